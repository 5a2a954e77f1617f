import { release } from 'node:os';
import { UNIFIED_KEY } from '../../cgroups/layout.js';
import type { LaunchPlan } from './plan.js';

/**
 * How the container's process gets into its cgroups without the kernel's
 * global cgroup_threadgroup_rwsem (see CGROUP_JOIN in protocol.h): it moves
 * itself into each v1 cgroup (its `tasks` file, "0"), and is created in
 * the v2 one (clone3 CLONE_INTO_CGROUP). A write of its pid to
 * cgroup.procs from outside, runc's way, waits for an RCU grace period:
 * 10 to 20 ms of every start and exec on a small VM.
 */
export interface CgroupSelfJoin {
  v1Tasks: string[];
  v2Dir?: string | undefined;
}

/** clone3 with CLONE_INTO_CGROUP: Linux 5.7. */
function kernelHasCloneIntoCgroup(): boolean {
  const [major = 0, minor = 0] = release().split('.').map((n) => Number.parseInt(n, 10));
  return major > 5 || (major === 5 && minor >= 7);
}

/**
 * The join for a container's cgroup directories (key → directory, as
 * CgroupManager records them); undefined where the process cannot do it
 * itself, and node joins it by pid as before: rootless; a v2 tree on a
 * kernel before 5.7; a v2 tree when berth-init first joins another user or
 * cgroup namespace (clone3 then checks its rights there, and refuses).
 */
export function cgroupSelfJoin(dirs: Record<string, string>, rootless: boolean, joinsUserOrCgroupNs = false): CgroupSelfJoin | undefined {
  if (rootless) return undefined;
  const v2Dir = dirs[UNIFIED_KEY];
  if (v2Dir !== undefined && (joinsUserOrCgroupNs || !kernelHasCloneIntoCgroup())) return undefined;
  const v1Tasks = Object.entries(dirs)
    .filter(([key]) => key !== UNIFIED_KEY)
    .map(([, dir]) => `${dir}/tasks`);
  if (v1Tasks.length > 32) return undefined;
  return { v1Tasks, v2Dir };
}

/** The parent ops: to come before any JOIN_NS (the paths are the host's). */
export function addCgroupSelfJoin(plan: LaunchPlan, join: CgroupSelfJoin): void {
  for (const path of join.v1Tasks) plan.add('CGROUP_JOIN', 0, path);
  if (join.v2Dir !== undefined) plan.add('CGROUP_JOIN', 1, join.v2Dir);
}
