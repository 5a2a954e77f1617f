import { EngineError } from '../../errors/engine-error.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import { badResource, fieldPath, unsupported, writeSetting } from '../values.js';

/**
 * cgroup.* files that control processes and state rather than resources:
 * the manager owns them (joining, freezing, killing), and a config that
 * wrote them would move, pause or kill the container behind its back.
 */
const MANAGER_FILES = new Set(['cgroup.procs', 'cgroup.threads', 'cgroup.kill', 'cgroup.freeze']);

/**
 * linux.resources.unified: cgroup v2 control files written as given, after
 * every other setting (so they override them, as in runc). `available` is
 * the tree's cgroup.controllers; "cgroup.*" files belong to no controller.
 *
 * Every key is checked before anything is written: it must name a file in
 * the container's own directory ("<controller>.<setting>", no "/" or
 * ".."), of a controller the tree offers, that the kernel has and that can
 * be written. A value of several lines (io.max for two devices) is written
 * a line at a time, as the kernel parses one rule per write.
 */
export function applyUnified(dir: CgroupDir, unified: Record<string, string>, available: string[]): void {
  const keys = Object.keys(unified);
  for (const key of keys) checkKey(dir, key, available);
  for (const key of keys) {
    const field = unifiedField(key);
    const value = unified[key]!;
    const lines = value.includes('\n') ? value.split('\n').filter((l) => l.trim() !== '') : [value];
    for (const line of lines) writeSetting(dir, key, line, field);
  }
}

function unifiedField(key: string): string {
  return `unified[${JSON.stringify(key)}]`;
}

function checkKey(dir: CgroupDir, key: string, available: string[]): void {
  const field = unifiedField(key);
  if (key.includes('/') || key.includes('..') || key.includes('\0')) {
    throw badResource(field, 'must name a control file in the container\'s own cgroup: no "/" and no ".."', 'use a file name such as "memory.high"');
  }
  const m = /^([a-z_][a-z0-9_]*)\.[A-Za-z0-9_.-]+$/.exec(key);
  if (!m) throw badResource(field, 'is not a control file name of the form <controller>.<setting>', 'use a file name such as "memory.high" or "pids.max"');
  const controller = m[1]!;
  if (controller !== 'cgroup' && !available.includes(controller)) {
    throw new EngineError('NotImplemented', 'NO_CGROUP_CONTROLLER', `${fieldPath(field)}: the ${controller} controller is not available in this host's cgroup v2 tree (it offers: ${available.length ? available.join(', ') : 'none'})`, {
      hint: controller === 'devices' ? 'cgroup v2 has no devices files (it filters devices with eBPF): use linux.resources.devices' : 'drop the key, or use the matching linux.resources field where the controller is mounted as cgroup v1',
    });
  }
  if (MANAGER_FILES.has(key)) throw badResource(field, `${key} controls the container's processes, not its resources, and is berth's to write`, 'drop the key');
  if (!dir.exists()) return; // the write will say so
  if (!dir.has(key)) throw unsupported(dir, field, key, 'the kernel has no such setting');
  // read-only files (memory.current, cgroup.controllers…) report, they do not set
  if (!dir.writable(key)) throw badResource(field, `${key} is read-only: it reports a value, it does not set one`, 'drop the key');
}
