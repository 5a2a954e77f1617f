import { EngineError } from '../../errors/engine-error.js';
import { RLIMITS } from '../../runtime/config/rlimits.js';
import type { DeviceRule, LinuxResources, ThrottleDevice } from '../../spec/oci-resources.js';
import type { Rlimit } from '../../spec/oci-runtime.js';
import type { SpecHost } from './input.js';
import type { HostConfig, Ulimit } from './types.js';

/**
 * linux.resources and process.rlimits from HostConfig, as dockerd 20.10
 * writes them (daemon/daemon_unix.go getMemoryResources, getCPUResources,
 * getPidsLimit; oci_linux.go WithResources, WithRlimits).
 */

/** CFS period dockerd uses for --cpus: 100 ms, in µs. */
export const NANO_CPU_PERIOD = 100_000;

/** The spec's uint64 RLIM_INFINITY, as a number (2^64, which JSON cannot hold exactly: see specJson). */
export const RLIMIT_UNLIMITED = 2 ** 64;

function memoryOf(hc: HostConfig): NonNullable<LinuxResources['memory']> {
  const m: NonNullable<LinuxResources['memory']> = {};
  if ((hc.Memory ?? 0) > 0) m.limit = hc.Memory!;
  if ((hc.MemoryReservation ?? 0) > 0) m.reservation = hc.MemoryReservation!;
  if ((hc.MemorySwap ?? 0) > 0) m.swap = hc.MemorySwap!;
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness >= 0) m.swappiness = hc.MemorySwappiness;
  if (hc.OomKillDisable !== undefined && hc.OomKillDisable !== null) m.disableOOMKiller = hc.OomKillDisable;
  if (hc.KernelMemory) m.kernel = hc.KernelMemory;
  if (hc.KernelMemoryTCP) m.kernelTCP = hc.KernelMemoryTCP;
  return m;
}

function cpuOf(hc: HostConfig): NonNullable<LinuxResources['cpu']> {
  const shares = hc.CpuShares ?? 0;
  if (shares < 0) throw new EngineError('InvalidArgument', 'BAD_CPU_SHARES', 'shares: invalid argument', { hint: '--cpu-shares takes a positive weight (1024 is the default)' });
  const c: NonNullable<LinuxResources['cpu']> = { shares };
  if (hc.CpusetCpus) c.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) c.mems = hc.CpusetMems;
  if ((hc.NanoCpus ?? 0) > 0) {
    c.period = NANO_CPU_PERIOD;
    c.quota = Math.trunc((hc.NanoCpus! * NANO_CPU_PERIOD) / 1e9);
  }
  if (hc.CpuPeriod) c.period = hc.CpuPeriod;
  if (hc.CpuQuota) c.quota = hc.CpuQuota;
  if (hc.CpuRealtimePeriod) c.realtimePeriod = hc.CpuRealtimePeriod;
  if (hc.CpuRealtimeRuntime) c.realtimeRuntime = hc.CpuRealtimeRuntime;
  return c;
}

/** major:minor of a device path on the host, for the blkio lists. */
function deviceNumbers(host: Pick<SpecHost, 'devicesAt'>, path: string): { major: number; minor: number } {
  const { resolved, devices } = host.devicesAt(path);
  const d = devices.find((x) => x.path === resolved);
  if (!d) throw new EngineError('InvalidArgument', 'NO_SUCH_DEVICE', `stat ${path}: no such device`, { hint: 'block I/O limits name a block device of the host, such as /dev/sda' });
  return { major: d.major ?? 0, minor: d.minor ?? 0 };
}

function blockIOOf(hc: HostConfig, host: Pick<SpecHost, 'devicesAt'>): NonNullable<LinuxResources['blockIO']> {
  const b: NonNullable<LinuxResources['blockIO']> = { weight: hc.BlkioWeight ?? 0 };
  const weights = (hc.BlkioWeightDevice ?? []).map((w) => ({ ...deviceNumbers(host, w.Path), weight: w.Weight }));
  if (weights.length) b.weightDevice = weights;
  const throttles = (list: { Path: string; Rate: number }[] | null | undefined): ThrottleDevice[] => (list ?? []).map((t) => ({ ...deviceNumbers(host, t.Path), rate: t.Rate }));
  const lists = {
    throttleReadBpsDevice: throttles(hc.BlkioDeviceReadBps),
    throttleWriteBpsDevice: throttles(hc.BlkioDeviceWriteBps),
    throttleReadIOPSDevice: throttles(hc.BlkioDeviceReadIOps),
    throttleWriteIOPSDevice: throttles(hc.BlkioDeviceWriteIOps),
  };
  for (const [key, list] of Object.entries(lists) as [keyof typeof lists, ThrottleDevice[]][]) if (list.length) b[key] = list;
  return b;
}

/**
 * linux.resources: memory (limit, reservation, memory+swap, swappiness,
 * OOM killer), cpu (shares always; --cpus as quota over a 100 ms period;
 * explicit period and quota win), block I/O (weight always), pids (only
 * for a positive limit: the API turns 0 and -1 into "no limit" at create),
 * and the device rules.
 */
export function buildResources(hc: HostConfig, deviceRules: DeviceRule[], host: Pick<SpecHost, 'devicesAt'>): LinuxResources {
  const r: LinuxResources = { devices: deviceRules, memory: memoryOf(hc), cpu: cpuOf(hc), blockIO: blockIOOf(hc, host) };
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit > 0) r.pids = { limit: hc.PidsLimit };
  return r;
}

const asLimit = (v: number): number => (v < 0 ? RLIMIT_UNLIMITED : v);
const shown = (v: number): string => (v >= RLIMIT_UNLIMITED ? 'unlimited' : String(v));

/**
 * --ulimit → process.rlimits (RLIMIT_<NAME>, -1 unlimited), in the order
 * given. A hard limit above the one the container's init inherits cannot
 * be set without CAP_SYS_RESOURCE: where the host says so, it is lowered
 * to the inherited one (and the soft limit with it), with a warning, rather
 * than failing at start as runc does.
 */
export function buildRlimits(ulimits: readonly Ulimit[] | null | undefined, host: Pick<SpecHost, 'rlimits'>, warnings: string[]): Rlimit[] | undefined {
  if (!ulimits?.length) return undefined;
  const out: Rlimit[] = [];
  for (const u of ulimits) {
    const type = `RLIMIT_${u.Name.toUpperCase()}`;
    if (!(type in RLIMITS)) throw new EngineError('InvalidArgument', 'BAD_ULIMIT', `invalid ulimit type: ${u.Name}`, { hint: 'use a name such as nofile, nproc, core, memlock, stack' });
    let soft = asLimit(u.Soft);
    let hard = asLimit(u.Hard);
    if (soft > hard) throw new EngineError('InvalidArgument', 'BAD_ULIMIT', `ulimit soft limit must be less than or equal to hard limit: ${shown(soft)} > ${shown(hard)}`);
    const inherited = host.rlimits?.limits[type];
    if (inherited && !host.rlimits!.canRaise && hard > inherited.hard) {
      warnings.push(`ulimit ${u.Name}: hard limit ${shown(hard)} is above the engine's own (${shown(inherited.hard)}), which it cannot raise without CAP_SYS_RESOURCE; using ${shown(inherited.hard)}`);
      hard = inherited.hard;
      soft = Math.min(soft, hard);
    }
    out.push({ type, soft, hard });
  }
  return out;
}
