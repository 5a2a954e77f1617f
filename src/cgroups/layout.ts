import { join } from 'node:path';
import { CgroupDir } from '../sys/cgroupfs.js';
import { readMountInfo, type MountInfoEntry } from '../sys/mountinfo.js';

/**
 * Where cgroups live on this host: v1 hierarchies (one per mounted set of
 * controllers, or a named one such as name=systemd), a v2 (unified) tree, or
 * both — "hybrid", where the v2 tree holds whatever controllers v1 does not.
 */
export interface CgroupLayout {
  kind: 'v1' | 'v2' | 'hybrid' | 'none';
  v1: V1Hierarchy[];
  unified: UnifiedTree | undefined;
}

export interface V1Hierarchy {
  mountPoint: string;
  /** Controllers (cpu, memory…) or "name=systemd". */
  subsystems: string[];
  /** Key in a container's cgroup record: its subsystems joined, as /proc/<pid>/cgroup names them. */
  key: string;
}

export interface UnifiedTree {
  mountPoint: string;
  /** What the root offers (cgroup.controllers). */
  controllers: string[];
}

const V1_NON_SUBSYSTEM_OPTIONS = /^(?:rw|ro|relatime|noatime|nosuid|nodev|noexec|clone_children|noprefix|xattr|release_agent=.*|cpuset_v2_mode|favordynmods)$/;

/** The layout from mountinfo; readControllers reads a v2 root's cgroup.controllers. */
export function detectLayout(entries: MountInfoEntry[], readControllers: (mountPoint: string) => string): CgroupLayout {
  const v1: V1Hierarchy[] = [];
  let unified: UnifiedTree | undefined;
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.fstype === 'cgroup') {
      const subsystems = e.superOptions.split(',').filter((o) => o && !V1_NON_SUBSYSTEM_OPTIONS.test(o));
      const key = subsystems.join(',');
      if (!subsystems.length || seen.has(key)) continue; // the same hierarchy mounted twice
      seen.add(key);
      v1.push({ mountPoint: e.mountPoint, subsystems, key });
    } else if (e.fstype === 'cgroup2' && !unified) {
      unified = { mountPoint: e.mountPoint, controllers: readControllers(e.mountPoint).split(/\s+/).filter(Boolean) };
    }
  }
  const kind = v1.length && unified ? 'hybrid' : v1.length ? 'v1' : unified ? 'v2' : 'none';
  return { kind, v1, unified };
}

/** The v1 hierarchy holding a controller, if any. */
export function v1HierarchyOf(layout: CgroupLayout, controller: string): V1Hierarchy | undefined {
  return layout.v1.find((h) => h.subsystems.includes(controller));
}

export const UNIFIED_KEY = 'unified';

/** Directory of a cgroup path in one hierarchy. */
export function dirIn(mountPoint: string, cgroupPath: string): string {
  return join(mountPoint, cgroupPath);
}

/** This host's layout, as the runtime's mount namespace shows it. */
export function hostLayout(): CgroupLayout {
  return detectLayout(readMountInfo(), (mountPoint) => {
    try {
      return new CgroupDir(mountPoint).read('cgroup.controllers');
    } catch {
      return '';
    }
  });
}
