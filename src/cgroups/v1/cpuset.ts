import { dirname } from 'node:path';
import { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import { checkCpuList, writeSetting } from '../values.js';

const FILES = ['cpuset.cpus', 'cpuset.mems'] as const;

/**
 * cpuset, v1 (and v2, whose files are the same): which CPUs and memory
 * nodes the container may use. An empty list means "not set" (the spec's
 * zero value), never "none": the kernel refuses an empty cpuset for a
 * cgroup with tasks, and one without would be useless.
 */
export const cpusetV1: Controller = {
  name: 'cpuset',

  needed(r) {
    return Boolean(r.cpu?.cpus?.trim() || r.cpu?.mems?.trim());
  },

  apply(dir, r) {
    const cpus = r.cpu?.cpus?.trim();
    const mems = r.cpu?.mems?.trim();
    if (cpus) checkCpuList('cpu.cpus', cpus);
    if (mems) checkCpuList('cpu.mems', mems);
    if (cpus) writeSetting(dir, 'cpuset.cpus', cpus, 'cpu.cpus');
    if (mems) writeSetting(dir, 'cpuset.mems', mems, 'cpu.mems');
  },

  stats() {
    // runc's stats shape has no cpuset part
  },
};

/**
 * A new v1 cpuset cgroup starts with empty cpus and mems, and the kernel
 * refuses to put a process into it (ENOSPC) until both are filled in: v1
 * does not inherit them (v2 does). So each directory the manager just made
 * gets its parent's lists, from the top down so that each parent is filled
 * before its child copies it. `dirs` are those directories, parents first;
 * the first one's parent already existed and is filled.
 */
export function initCpusetParents(dirs: CgroupDir[]): void {
  for (const dir of dirs) {
    const parent = new CgroupDir(dirname(dir.path));
    for (const file of FILES) {
      if (dir.read(file) !== '') continue;
      dir.write(file, parent.read(file), `copied from the parent cgroup ${parent.path}, as v1 cpusets start empty`);
    }
  }
}
