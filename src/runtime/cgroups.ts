import { posix } from 'node:path';
import { UNIFIED_KEY } from '../cgroups/layout.js';
import { CgroupManager, type CgroupRecord } from '../cgroups/manager.js';
import { parseProcCgroup } from '../cgroups/paths.js';
import type { Spec, State, Status } from '../spec/oci-runtime.js';
import { readProcCgroup } from '../sys/proc.js';
import type { RuntimeContext } from './context.js';
import type { ContainerRecord } from './state-store.js';
import { cgroupDirsWritable, checkRootlessWithoutCgroups, isRootless } from './rootless.js';

/** Whether containers get cgroups here: any hierarchy at all. */
export function hostHasCgroups(ctx: RuntimeContext): boolean {
  return ctx.cgroupLayout().kind !== 'none';
}

/**
 * Root: always true. Rootless (runc's rule): true when every cgroup the
 * container would get may be made by this user (a delegated v2 subtree);
 * otherwise cgroups are skipped, said once as a warning, and a config that
 * asks for limits or its own cgroupsPath is refused (it would not apply).
 */
export function rootlessCanUseCgroups(ctx: RuntimeContext, id: string, spec: Spec): boolean {
  if (!isRootless()) return true;
  const dirs = CgroupManager.dirsFor(ctx.cgroupLayout(), id, spec.linux?.cgroupsPath, parseProcCgroup(readProcCgroup('self')));
  if (cgroupDirsWritable(Object.values(dirs))) return true;
  checkRootlessWithoutCgroups(spec);
  ctx.log.warn('cgroups skipped: running rootless without a delegated cgroup; linux.resources not applied');
  return false;
}

/**
 * The container's cgroup directories (as planned) by their name under /sys/fs/cgroup
 * ("memory", "systemd", "unified"; "" for a v2-only host), for a
 * container without a cgroup namespace to see its own cgroups there, as runc shows them.
 */
export function cgroupMountSources(ctx: RuntimeContext, dirs: Record<string, string>): Record<string, string> {
  const layout = ctx.cgroupLayout();
  const out: Record<string, string> = {};
  const mounts = [...layout.v1.map((h) => [h.key, h.mountPoint] as const), ...(layout.unified ? [[UNIFIED_KEY, layout.unified.mountPoint] as const] : [])];
  for (const [key, mountPoint] of mounts) {
    const rel = posix.relative('/sys/fs/cgroup', mountPoint);
    if (!rel.startsWith('..') && !rel.includes('/')) out[rel] = dirs[key]!;
  }
  return out;
}

/** Where the container's cgroups go (CgroupManager.plan), before they are made. */
export function planCgroups(ctx: RuntimeContext, id: string, spec: Spec): CgroupRecord {
  return CgroupManager.plan(ctx.cgroupLayout(), id, spec.linux?.cgroupsPath, parseProcCgroup(readProcCgroup('self')));
}

/** Makes the planned (empty) cgroups in every hierarchy, off the event loop. */
export function createCgroups(ctx: RuntimeContext, planned: CgroupRecord): Promise<CgroupManager> {
  return CgroupManager.createPlanned(ctx.cgroupLayout(), planned);
}

export function cgroupsOf(ctx: RuntimeContext, record: ContainerRecord): CgroupManager | undefined {
  return record.cgroup ? CgroupManager.load(ctx.cgroupLayout(), record.cgroup) : undefined;
}

/** The store's status, with "paused" for a running container whose cgroup is frozen. */
export function statusOf(ctx: RuntimeContext, record: ContainerRecord): Status {
  const status = ctx.store.status(record);
  if (status !== 'running') return status;
  return cgroupsOf(ctx, record)?.isFrozen() ? 'paused' : status;
}

export function stateOf(ctx: RuntimeContext, record: ContainerRecord): State {
  return { ...ctx.store.state(record), status: statusOf(ctx, record) };
}
