import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupLayout } from './layout.js';
import { parseProcCgroup } from './paths.js';
import { readProcCgroup } from '../sys/proc.js';

/**
 * Moving a process into a cgroup (a write to cgroup.procs) takes the
 * kernel's global cgroup_threadgroup_rwsem for writing. The first writer
 * after a quiet spell waits for an RCU grace period (rcu_sync_enter): 10 to
 * 20 ms on a small VM, most of a container start's own work. Writers that
 * come while the semaphore's fast path is still held open (about one grace
 * period after the last writer left) pass straight through.
 *
 * berth's own runtime avoids the semaphore (the process joins its cgroups
 * itself: see runtime/plan/cgroup-join.ts). Where the join is still a pid
 * written from outside (a runc-compatible binary under the engine; rootless
 * with delegated cgroups), it comes late, once the process exists.
 * Starting the wait early, when the start or exec request arrives, lets the
 * grace period elapse while the rootfs is mounted and the process set up,
 * and the real migration then takes the fast path. The early write moves
 * this process into the cgroup it is already in: the kernel takes the
 * semaphore, finds nothing to migrate, and lets go.
 */

let target: string | null | undefined;
let inFlight: Promise<void> | undefined;

/** This process's own cgroup.procs in one hierarchy; null where there is none to write. */
function ownProcsFile(layout: CgroupLayout): string | null {
  try {
    const own = parseProcCgroup(readProcCgroup('self'));
    for (const h of layout.v1) {
      const path = own.get(h.key);
      if (path !== undefined) return join(h.mountPoint, path, 'cgroup.procs');
    }
    const unified = own.get('');
    if (layout.unified && unified !== undefined) return join(layout.unified.mountPoint, unified, 'cgroup.procs');
  } catch {
    // no /proc/self/cgroup: nothing to warm
  }
  return null;
}

/**
 * Opens the semaphore's fast path for a migration coming within the next
 * few tens of ms. Fire and forget: it runs on the thread pool, one at a
 * time, and a failure only means the later migration waits as it would
 * have (errors are not reported).
 */
export function warmCgroupMigration(layout: () => CgroupLayout): void {
  if (inFlight) return;
  if (target === undefined) target = ownProcsFile(layout());
  if (target === null) return;
  inFlight = writeFile(target, String(process.pid))
    .catch(() => undefined)
    .finally(() => {
      inFlight = undefined;
    });
}
