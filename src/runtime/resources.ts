import { setTimeout as sleep } from 'node:timers/promises';
import type { CgroupManager } from '../cgroups/manager.js';
import type { CgroupStats } from '../cgroups/stats.js';
import { EngineError } from '../errors/engine-error.js';
import type { LinuxResources } from '../spec/oci-resources.js';
import { cgroupsOf, statusOf } from './cgroups.js';
import { withDefaultDeviceRules } from './config/default-device-rules.js';
import type { RuntimeContext } from './context.js';
import type { ContainerRecord } from './state-store.js';

function managed(ctx: RuntimeContext, id: string): { record: ContainerRecord; cgroups: CgroupManager } {
  const record = ctx.store.load(id);
  const cgroups = cgroupsOf(ctx, record);
  if (!cgroups) throw new EngineError('NotImplemented', 'NO_CGROUPS', `container ${id} has no cgroups (the host had none when it was created)`);
  return { record, cgroups };
}

/** `pause`: freezes every process of a running container. */
export async function pauseContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const { record, cgroups } = managed(ctx, id);
  const status = statusOf(ctx, record);
  if (status !== 'running') throw new EngineError('Conflict', 'NOT_RUNNING', `container not running: ${id} is ${status}`);
  await cgroups.freeze();
}

/** `resume`: thaws a paused container. */
export async function resumeContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const { record, cgroups } = managed(ctx, id);
  const status = statusOf(ctx, record);
  if (status !== 'paused') throw new EngineError('Conflict', 'NOT_PAUSED', `container not paused: ${id} is ${status}`);
  await cgroups.thaw();
}

/**
 * `update`: applies changed resources to a live container and keeps them in
 * its state, so that the next update starts from them.
 */
export function updateContainer(ctx: RuntimeContext, id: string, changes: LinuxResources): void {
  const { record, cgroups } = managed(ctx, id);
  if (statusOf(ctx, record) === 'stopped') throw new EngineError('Conflict', 'NOT_RUNNING', `container not running: ${id}`);
  // device rules get the always-allowed devices after them, as at create: a
  // v2 device filter is replaced whole, and must not lose /dev/null
  cgroups.apply(withDefaultDeviceRules(changes), { update: true });
  const linux = (record.spec.linux ??= {});
  linux.resources = mergeResources(linux.resources ?? {}, changes);
  ctx.store.save(record);
}

/** Field by field: what `changes` sets replaces, the rest stays. */
export function mergeResources(base: LinuxResources, changes: LinuxResources): LinuxResources {
  const out: LinuxResources = { ...base };
  for (const key of Object.keys(changes) as (keyof LinuxResources)[]) {
    const value = changes[key];
    const old = base[key];
    (out as Record<string, unknown>)[key] =
      value && old && typeof value === 'object' && !Array.isArray(value) && typeof old === 'object' && !Array.isArray(old) ? { ...old, ...value } : value;
  }
  return out;
}

export type ContainerEvent = { type: 'stats'; id: string; data: CgroupStats } | { type: 'oom'; id: string };

export function containerStats(ctx: RuntimeContext, id: string): ContainerEvent {
  return { type: 'stats', id, data: managed(ctx, id).cgroups.stats() };
}

/**
 * `events`: stats every interval and an "oom" event each time the OOM killer
 * strikes, until the container stops.
 */
export async function watchEvents(ctx: RuntimeContext, id: string, intervalMs: number, emit: (e: ContainerEvent) => void): Promise<void> {
  const { record, cgroups } = managed(ctx, id);
  let ooms = cgroups.oomKills();
  let nextStats = 0;
  const tick = Math.min(intervalMs, 100);
  while (statusOf(ctx, record) !== 'stopped') {
    const now = cgroups.oomKills();
    for (; ooms < now; ooms++) emit({ type: 'oom', id });
    if (Date.now() >= nextStats) {
      emit({ type: 'stats', id, data: cgroups.stats() });
      nextStats = Date.now() + intervalMs;
    }
    await sleep(tick);
  }
  // the kill that ended the container, seen after the fact
  for (const now = cgroups.oomKills(); ooms < now; ooms++) emit({ type: 'oom', id });
}
