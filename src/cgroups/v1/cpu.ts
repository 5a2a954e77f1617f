import type { LinuxResources } from '../../spec/oci-resources.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import { badResource, checkBurstKept, checkRange, cpuSettingsGiven, isSet, refusal, writeSetting } from '../values.js';

type Cpu = NonNullable<LinuxResources['cpu']>;

const NO_BURST = 'CFS burst needs Linux 5.14 or later';
const NO_RT = 'real-time group scheduling needs a kernel built with CONFIG_RT_GROUP_SCHED';
const NO_IDLE = 'SCHED_IDLE for cgroups needs Linux 5.15 or later';

/**
 * cgroup v1 cpu: CFS shares, quota/period and burst, SCHED_IDLE, and
 * real-time runtime/period. cpus and mems belong to cpuset. Throttling
 * statistics come from here (cpu.stat); usage from cpuacct.
 */
export const cpuV1: Controller = {
  name: 'cpu',

  needed: cpuSettingsGiven,

  apply(dir, r) {
    const c = r.cpu;
    if (!c) return;
    check(c);
    checkBurstKept(dir, c, 'cpu.cfs_burst_us');
    // idle before shares: an idle group's shares are fixed, and the kernel
    // refuses new ones (EINVAL) until idle is 0 again. (runc writes idle last.)
    if (c.idle !== undefined) writeSetting(dir, 'cpu.idle', c.idle, 'cpu.idle', NO_IDLE);
    if (isSet(c.shares)) writeSetting(dir, 'cpu.shares', c.shares, 'cpu.shares');
    setBandwidth(dir, c);
    setRealtime(dir, c);
  },

  stats(dir, s) {
    const st = dir.readKeyValues('cpu.stat');
    s.cpu.throttling = {
      periods: st['nr_periods'] ?? 0,
      throttled_periods: st['nr_throttled'] ?? 0,
      // v1 counts nanoseconds already
      throttled_time: st['throttled_time'] ?? 0,
    };
  },
};

/**
 * The kernel's own bounds (kernel/sched/core.c), so a wrong value is named
 * here rather than coming back as a bare EINVAL. Shares outside 2-262144
 * are not refused by the kernel but silently clamped, which hides the
 * mistake: runc reads them back and errors; this checks first.
 */
function check(c: Cpu): void {
  if (isSet(c.shares)) checkRange('cpu.shares', c.shares, 2, 262144, 'the kernel clamps shares to 2-262144');
  if (isSet(c.period)) checkRange('cpu.period', c.period, 1000, 1_000_000, 'CFS periods run from 1 ms to 1 s, in microseconds');
  if (isSet(c.quota) && c.quota !== -1) {
    checkRange('cpu.quota', c.quota, 1000, Number.MAX_SAFE_INTEGER, 'at least 1 ms, in microseconds; -1 for no quota');
  }
  if (c.burst !== undefined) {
    checkRange('cpu.burst', c.burst, 0, Number.MAX_SAFE_INTEGER);
    if (isSet(c.quota) && c.quota > 0 && c.burst > c.quota) {
      throw badResource('cpu.burst', `${c.burst} is above cpu.quota ${c.quota}: the kernel allows a burst of at most one quota`, 'lower cpu.burst or raise cpu.quota');
    }
  }
  if (c.idle !== undefined) checkRange('cpu.idle', c.idle, 0, 1, '1 makes the group SCHED_IDLE, 0 undoes it');
  if (c.idle === 1 && isSet(c.shares)) throw badResource('cpu.shares', `${c.shares} cannot go with cpu.idle 1: an idle group has no shares of its own`, 'drop one of the two');
  if (isSet(c.realtimePeriod)) checkRange('cpu.realtimePeriod', c.realtimePeriod, 1, Number.MAX_SAFE_INTEGER);
  if (isSet(c.realtimeRuntime) && c.realtimeRuntime !== -1) {
    checkRange('cpu.realtimeRuntime', c.realtimeRuntime, 0, Number.MAX_SAFE_INTEGER, 'microseconds per period; -1 for no limit');
    if (isSet(c.realtimePeriod) && c.realtimeRuntime > c.realtimePeriod) {
      throw badResource('cpu.realtimeRuntime', `${c.realtimeRuntime} is above cpu.realtimePeriod ${c.realtimePeriod}: a group cannot run longer than its period`, 'lower the runtime');
    }
  }
}

/**
 * A new quota below the burst already set is refused by the kernel
 * (EINVAL: burst ≤ quota); say which of the two to change.
 */
/**
 * Period, burst, quota. Each file is checked by the kernel against the
 * others and against the parent's quota, so a new period can be refused
 * (EINVAL) until the new quota is in, and the other way round. As runc
 * does: when a write of period or burst is refused and a quota is coming,
 * write the quota and then try the refused one again.
 */
function setBandwidth(dir: CgroupDir, c: Cpu): void {
  const quotaComing = isSet(c.quota);
  let periodLater = false;
  if (isSet(c.period)) periodLater = writeOrDefer(() => writeSetting(dir, 'cpu.cfs_period_us', c.period!, 'cpu.period'), quotaComing);
  let burstLater = false;
  if (c.burst !== undefined) {
    // No burst file: an old kernel. Burst 0 is what it does anyway.
    if (dir.has('cpu.cfs_burst_us') || c.burst !== 0 || !dir.exists()) {
      burstLater = writeOrDefer(() => writeSetting(dir, 'cpu.cfs_burst_us', c.burst!, 'cpu.burst', NO_BURST), quotaComing);
    }
  }
  if (!quotaComing) return;
  writeSetting(dir, 'cpu.cfs_quota_us', c.quota!, 'cpu.quota');
  if (periodLater) writeSetting(dir, 'cpu.cfs_period_us', c.period!, 'cpu.period');
  if (burstLater) writeSetting(dir, 'cpu.cfs_burst_us', c.burst!, 'cpu.burst', NO_BURST);
}

/** rt_period_us and rt_runtime_us constrain each other the same way; the same retry. */
function setRealtime(dir: CgroupDir, c: Cpu): void {
  const runtimeComing = isSet(c.realtimeRuntime);
  let periodLater = false;
  if (isSet(c.realtimePeriod)) {
    periodLater = writeOrDefer(() => writeSetting(dir, 'cpu.rt_period_us', c.realtimePeriod!, 'cpu.realtimePeriod', NO_RT), runtimeComing);
  }
  if (!runtimeComing) return;
  writeSetting(dir, 'cpu.rt_runtime_us', c.realtimeRuntime!, 'cpu.realtimeRuntime', NO_RT);
  if (periodLater) writeSetting(dir, 'cpu.rt_period_us', c.realtimePeriod!, 'cpu.realtimePeriod', NO_RT);
}

/** Runs a write; an EINVAL is swallowed (→ true: write again later) only when `retry` says a later write may cure it. */
function writeOrDefer(write: () => void, retry: boolean): boolean {
  try {
    write();
    return false;
  } catch (err) {
    if (retry && refusal(err) === 'EINVAL') return true;
    throw err;
  }
}
