import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirIn, UNIFIED_KEY, v1HierarchyOf } from '../cgroups/layout.js';
import { CgroupManager } from '../cgroups/manager.js';
import { parseProcCgroup } from '../cgroups/paths.js';
import type { BlkioEntry, CgroupStats } from '../cgroups/stats.js';
import { cgroupsOf } from '../runtime/cgroups.js';
import { readProcCgroup } from '../sys/proc.js';
import { systemCpuNanos } from '../sys/system-facts.js';
import type { Container } from './container.js';
import type { EngineContext } from './context.js';

/**
 * `docker stats`: the container's cgroup counters in Docker's StatsJSON
 * shape (what the docker CLI computes CPU %, MEM USAGE / LIMIT, BLOCK I/O
 * and PIDS from). Fields Docker leaves out when zero (omitempty) are left
 * out here too: a container that is not running has `memory_stats: {}`.
 */

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

type BlkioList = BlkioEntry[] | null;

export interface StatsJson {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioList;
    io_serviced_recursive: BlkioList;
    io_queue_recursive: BlkioList;
    io_service_time_recursive: BlkioList;
    io_wait_time_recursive: BlkioList;
    io_merged_recursive: BlkioList;
    io_time_recursive: BlkioList;
    sectors_recursive: BlkioList;
  };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
  name: string;
  id: string;
}

/** Go's zero time, which dockerd sends for a read that did not happen. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

const zeroCpu = (): CpuStats => ({ cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } });

/** What dockerd answers for a container that is not running: names and zeros. */
export function emptyStatsJson(c: Container): StatsJson {
  const none = null;
  return {
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: { io_service_bytes_recursive: none, io_serviced_recursive: none, io_queue_recursive: none, io_service_time_recursive: none, io_wait_time_recursive: none, io_merged_recursive: none, io_time_recursive: none, sectors_recursive: none },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: zeroCpu(),
    precpu_stats: zeroCpu(),
    memory_stats: {},
    name: c.Name,
    id: c.ID,
  };
}

/** One reading: the cgroup's counters with the machine's CPU time beside them. */
export interface StatsSample {
  read: string;
  cgroup: CgroupStats;
  systemCpu: number;
  onlineCpus: number;
}

/**
 * A running container's cgroups: from the in-process runtime's state, or —
 * for a container under a runtime binary (runc, crun), whose state is the
 * binary's — from its init process's /proc/<pid>/cgroup.
 */
export function containerCgroups(ctx: EngineContext, c: Container): CgroupManager | undefined {
  if (!c.State.Running) return undefined;
  try {
    return cgroupsOf(ctx.runtime, ctx.runtime.store.load(c.ID));
  } catch {
    // not the in-process runtime's: the process tells
  }
  if (c.State.Pid <= 0) return undefined;
  let own: Map<string, string>;
  try {
    own = parseProcCgroup(readProcCgroup(c.State.Pid));
  } catch {
    return undefined;
  }
  const layout = ctx.runtime.cgroupLayout();
  const dirs: Record<string, string> = {};
  for (const h of layout.v1) {
    const path = own.get(h.key);
    if (path !== undefined) dirs[h.key] = dirIn(h.mountPoint, path);
  }
  const unified = own.get('');
  if (layout.unified && unified !== undefined) dirs[UNIFIED_KEY] = dirIn(layout.unified.mountPoint, unified);
  return Object.keys(dirs).length ? CgroupManager.load(layout, { dirs, created: [] }) : undefined;
}

/** Reads the container's counters now; undefined when it is not running (or stopped meanwhile). */
export function sampleStats(ctx: EngineContext, c: Container): StatsSample | undefined {
  try {
    const cgroups = containerCgroups(ctx, c);
    if (!cgroups) return undefined;
    return { read: new Date().toISOString(), cgroup: cgroups.stats(), systemCpu: systemCpuNanos(), onlineCpus: cpus().length };
  } catch {
    return undefined;
  }
}

function cpuStats(s: StatsSample): CpuStats {
  const u = s.cgroup.cpu.usage;
  return {
    cpu_usage: { total_usage: u.total, ...(u.percpu.length ? { percpu_usage: u.percpu } : {}), usage_in_kernelmode: u.kernel, usage_in_usermode: u.user },
    system_cpu_usage: s.systemCpu,
    online_cpus: s.onlineCpus,
    throttling_data: { ...s.cgroup.cpu.throttling },
  };
}

/**
 * A sample in Docker's shape, with the one before it as pre*. The limit is
 * the machine's memory when the cgroup has none (or more), as dockerd
 * reports it; v1 adds max_usage and failcnt.
 */
export function statsJson(ctx: EngineContext, c: Container, now: StatsSample, before: StatsSample | undefined): StatsJson {
  const mem = now.cgroup.memory;
  const memTotal = totalmem();
  const limit = mem.usage.limit > 0 && mem.usage.limit < memTotal ? mem.usage.limit : memTotal;
  const v1Memory = v1HierarchyOf(ctx.runtime.cgroupLayout(), 'memory') !== undefined;
  const pids = now.cgroup.pids;
  const blkio = now.cgroup.blkio;
  return {
    read: now.read,
    preread: before?.read ?? ZERO_TIME,
    pids_stats: { ...(pids.current ? { current: pids.current } : {}), ...(pids.limit ? { limit: pids.limit } : {}) },
    blkio_stats: {
      io_service_bytes_recursive: blkio.ioServiceBytesRecursive,
      io_serviced_recursive: blkio.ioServicedRecursive,
      io_queue_recursive: [],
      io_service_time_recursive: [],
      io_wait_time_recursive: [],
      io_merged_recursive: [],
      io_time_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(now),
    precpu_stats: before ? cpuStats(before) : zeroCpu(),
    memory_stats: {
      ...(mem.usage.usage ? { usage: mem.usage.usage } : {}),
      ...(v1Memory && mem.usage.max ? { max_usage: mem.usage.max } : {}),
      stats: sortedKeys(mem.raw),
      ...(v1Memory && mem.usage.failcnt ? { failcnt: mem.usage.failcnt } : {}),
      limit,
    },
    name: c.Name,
    id: c.ID,
  };
}

function sortedKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface StatsOptions {
  /** one answer, or one a second until the client goes (dockerd's default) */
  stream: boolean;
  /** with stream off: answer at once, without the second reading that fills precpu_stats */
  oneShot: boolean;
  signal?: AbortSignal;
  /** between readings; dockerd's collector reads once a second */
  intervalMs?: number;
}

/**
 * The answers of GET /containers/{id}/stats, as dockerd gives them: with
 * stream, one a second, each with the previous reading as precpu_stats
 * (nothing while the container is not running; the end when it is
 * removed); without, the second reading (so CPU % can be computed), or the
 * first with one-shot; for a container that is not running, zeros at once.
 */
export async function* statsStream(ctx: EngineContext, id: string, opts: StatsOptions): AsyncGenerator<StatsJson> {
  const interval = opts.intervalMs ?? 1000;
  let c = ctx.containers.get(id);
  if (!c) return;
  if (!opts.stream && !c.State.Running) {
    yield emptyStatsJson(c);
    return;
  }
  let before: StatsSample | undefined;
  let primed = opts.stream || opts.oneShot;
  for (;;) {
    if (opts.signal?.aborted) return;
    c = ctx.containers.get(id);
    if (!c) return;
    const now = sampleStats(ctx, c);
    if (now) {
      const out = statsJson(ctx, c, now, before);
      before = now;
      if (primed) {
        yield out;
        if (!opts.stream) return;
      }
      primed = true;
    } else {
      before = undefined;
      if (!opts.stream) {
        yield emptyStatsJson(c);
        return;
      }
    }
    try {
      await sleep(interval, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      return;
    }
  }
}
