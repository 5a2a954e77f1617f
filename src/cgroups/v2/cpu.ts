import type { LinuxResources } from '../../spec/oci-resources.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import { badResource, checkBurstKept, checkRange, cpuSettingsGiven, isSet, refusal, writeSetting } from '../values.js';

type Cpu = NonNullable<LinuxResources['cpu']>;

/** The kernel's default CFS period, 100 ms, which a fresh cgroup's cpu.max shows. */
const DEFAULT_PERIOD = 100_000;

/**
 * The spec's v1 shares (2-262144, default 1024) as a v2 weight (1-10000,
 * default 100), runc's linear map: 2 → 1, 262144 → 10000. (It maps 1024 to
 * 39, not 100; runc 1.3 moved to a curve through 1024 → 100, crun too, but
 * this is the conversion docker and containerd were built against.)
 */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * cgroup v2 cpu: cpu.weight (from the spec's shares), cpu.max
 * ("<quota|max> <period>"), cpu.max.burst and cpu.idle. v2 has no
 * real-time group scheduling, so realtime settings are refused.
 */
export const cpuV2: Controller = {
  name: 'cpu',

  needed: cpuSettingsGiven,

  apply(dir, r) {
    const c = r.cpu;
    if (!c) return;
    check(c);
    checkBurstKept(dir, c, 'cpu.max.burst');
    // idle first, as runc: an idle group's weight is fixed, and writing the
    // weight fails (EINVAL) until idle is off again.
    if (c.idle !== undefined) writeSetting(dir, 'cpu.idle', c.idle, 'cpu.idle', 'SCHED_IDLE for cgroups needs Linux 5.15 or later');
    if (isSet(c.shares)) writeSetting(dir, 'cpu.weight', sharesToWeight(c.shares), 'cpu.shares');
    setMax(dir, c);
  },

  stats(dir, s) {
    const st = dir.readKeyValues('cpu.stat');
    // v2 counts microseconds; runc's shape has nanoseconds
    s.cpu.usage.total = (st['usage_usec'] ?? 0) * 1000;
    s.cpu.usage.user = (st['user_usec'] ?? 0) * 1000;
    s.cpu.usage.kernel = (st['system_usec'] ?? 0) * 1000;
    s.cpu.throttling = {
      periods: st['nr_periods'] ?? 0,
      throttled_periods: st['nr_throttled'] ?? 0,
      throttled_time: (st['throttled_usec'] ?? 0) * 1000,
    };
  },
};

/** The kernel's bounds (kernel/sched/core.c), named here instead of a bare EINVAL. */
function check(c: Cpu): void {
  if (isSet(c.realtimeRuntime) || isSet(c.realtimePeriod)) {
    const field = isSet(c.realtimeRuntime) ? 'cpu.realtimeRuntime' : 'cpu.realtimePeriod';
    throw badResource(field, 'cgroup v2 has no real-time group scheduling', 'leave realtimeRuntime and realtimePeriod out; real-time tasks are bounded host-wide by kernel.sched_rt_runtime_us');
  }
  if (isSet(c.shares)) checkRange('cpu.shares', c.shares, 2, 262144, 'v1 shares, which berth converts to a cgroup v2 weight');
  if (isSet(c.period)) checkRange('cpu.period', c.period, 1000, 1_000_000, 'CFS periods run from 1 ms to 1 s, in microseconds');
  if (isSet(c.quota) && c.quota !== -1) checkRange('cpu.quota', c.quota, 1000, Number.MAX_SAFE_INTEGER, 'at least 1 ms, in microseconds; -1 for no quota');
  if (c.burst !== undefined) {
    checkRange('cpu.burst', c.burst, 0, Number.MAX_SAFE_INTEGER);
    if (isSet(c.quota) && c.quota > 0 && c.burst > c.quota) {
      throw badResource('cpu.burst', `${c.burst} is above cpu.quota ${c.quota}: the kernel allows a burst of at most one quota`, 'lower cpu.burst or raise cpu.quota');
    }
  }
  if (c.idle !== undefined) checkRange('cpu.idle', c.idle, 0, 1, '1 makes the group SCHED_IDLE, 0 undoes it');
  if (c.idle === 1 && isSet(c.shares)) throw badResource('cpu.shares', `${c.shares} cannot go with cpu.idle 1: an idle group has no weight of its own`, 'drop one of the two');
}

/**
 * cpu.max takes quota and period in one write. When the spec gives only
 * one, the other is kept from the file (runc would write "max <period>" and
 * drop a quota set earlier); a file that cannot be read gives the kernel's
 * defaults, "max" and 100000.
 *
 * Burst is bounded by the quota, so a larger burst may be refused (EINVAL)
 * until the new quota is in: then it is written again after cpu.max, as
 * runc does.
 */
function setMax(dir: CgroupDir, c: Cpu): void {
  const quotaComing = isSet(c.quota) || isSet(c.period);
  let burstLater = false;
  if (c.burst !== undefined && (dir.has('cpu.max.burst') || c.burst !== 0 || !dir.exists())) {
    try {
      writeSetting(dir, 'cpu.max.burst', c.burst, 'cpu.burst', 'CFS burst needs Linux 5.14 or later');
    } catch (err) {
      if (!(quotaComing && refusal(err) === 'EINVAL')) throw err;
      burstLater = true;
    }
  }
  if (!quotaComing) return;
  const [curQuota, curPeriod] = currentMax(dir);
  const quota = isSet(c.quota) ? (c.quota === -1 ? 'max' : String(c.quota)) : curQuota;
  const period = isSet(c.period) ? c.period : curPeriod;
  writeSetting(dir, 'cpu.max', `${quota} ${period}`, isSet(c.quota) ? 'cpu.quota' : 'cpu.period');
  if (burstLater) writeSetting(dir, 'cpu.max.burst', c.burst!, 'cpu.burst');
}

/** cpu.max as [quota ("max" or a number), period]; the kernel's defaults when unreadable. */
function currentMax(dir: CgroupDir): [string, number] {
  try {
    const [quota, period] = dir.read('cpu.max').split(/\s+/);
    const p = Number(period);
    return [quota && /^(max|\d+)$/.test(quota) ? quota : 'max', Number.isSafeInteger(p) && p > 0 ? p : DEFAULT_PERIOD];
  } catch {
    return ['max', DEFAULT_PERIOD];
  }
}
