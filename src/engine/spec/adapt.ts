import { EngineError } from '../../errors/engine-error.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../../security/defaults.js';
import { DEFAULT_SHM_SIZE } from './mounts.js';
import { normalizeCapabilities, parseSecurityOpt } from './security.js';
import type { HostConfig } from './types.js';

/**
 * `docker create`'s part of the HostConfig rules (dockerd 20.10's
 * verifyContainerSettings, adaptContainerSettings and
 * createContainerOSSpecificSettings): the defaults it stores, so that
 * inspect shows them, and the checks that refuse a container before it
 * exists. The engine calls adaptHostConfig at create time and stores its
 * result; buildSpec applies the same defaults to what lacks them.
 */

/** What the checks need to know about the host; each feature counts as present unless said otherwise. */
export interface AdaptHost {
  /** containers get a private cgroup namespace by default on a cgroup v2 host */
  cgroupV2: boolean;
  /** online CPUs, for the --cpus range */
  numCpus: number;
  /** memory.memsw.* exists (swap accounting); false: memory is limited without swap, with a warning */
  swapLimit?: boolean;
  /** kernel memory accounting (memory.kmem.*) */
  kernelMemory?: boolean;
  /** the CFS bandwidth controller (cpu.cfs_quota_us) */
  cpuCfs?: boolean;
  /** blkio.weight (CFQ) */
  blkioWeight?: boolean;
}

const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * The defaults dockerd writes into a new container's HostConfig: swap
 * twice the memory limit when only a limit is set, a 64 MiB /dev/shm, a
 * private IPC namespace, the cgroup namespace mode of the host's cgroup
 * version, OomKillDisable false, Docker's masked and read-only paths
 * (unless privileged), and no pids limit for 0 or -1. Idempotent; the
 * argument is not changed.
 */
export function withCreateDefaults(hostConfig: HostConfig, host: Pick<AdaptHost, 'cgroupV2'>): HostConfig {
  const hc: HostConfig = structuredClone(hostConfig);
  if ((hc.Memory ?? 0) > 0 && !hc.MemorySwap) hc.MemorySwap = hc.Memory! * 2;
  if (!hc.ShmSize) hc.ShmSize = DEFAULT_SHM_SIZE;
  if (!hc.IpcMode) hc.IpcMode = 'private';
  if (!hc.CgroupnsMode) hc.CgroupnsMode = host.cgroupV2 ? 'private' : 'host';
  hc.OomKillDisable ??= false;
  if (hc.MaskedPaths == null && !hc.Privileged) hc.MaskedPaths = [...DOCKER_MASKED_PATHS];
  if (hc.ReadonlyPaths == null && !hc.Privileged) hc.ReadonlyPaths = [...DOCKER_READONLY_PATHS];
  if (hc.PidsLimit != null && hc.PidsLimit <= 0) hc.PidsLimit = null;
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = null;
  return hc;
}

function refuse(message: string, hint?: string): never {
  throw new EngineError('InvalidArgument', 'BAD_HOST_CONFIG', message, hint === undefined ? {} : { hint });
}

/** verifyPlatformContainerResources: errors refuse the container, warnings go back to the client. */
function checkResources(hc: HostConfig, host: AdaptHost, warnings: string[]): void {
  const memory = hc.Memory ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) refuse('Minimum memory limit allowed is 6MB');
  if (memory > 0 && hc.MemorySwap !== -1 && host.swapLimit === false) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    hc.MemorySwap = -1;
  }
  const swap = hc.MemorySwap ?? 0;
  if (memory > 0 && swap > 0 && swap < memory) refuse('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0) refuse('You should always set the Memory limit when using Memoryswap limit, see usage');
  const swappiness = hc.MemorySwappiness;
  if (swappiness != null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) refuse(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  const reservation = hc.MemoryReservation ?? 0;
  if (reservation > 0 && reservation < MIN_MEMORY) refuse('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) refuse('Minimum memory limit can not be less than memory reservation limit, see usage');
  if ((hc.KernelMemory ?? 0) > 0) {
    warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
    if (host.kernelMemory === false) {
      warnings.push('Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
      hc.KernelMemory = 0;
    } else if (hc.KernelMemory! < MIN_MEMORY) {
      refuse('Minimum kernel memory limit allowed is 6MB');
    }
  }
  if (hc.OomKillDisable === true && memory === 0) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');

  const nano = hc.NanoCpus ?? 0;
  if (nano > 0 && (hc.CpuPeriod ?? 0) > 0) refuse('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (hc.CpuQuota ?? 0) > 0) refuse('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && host.cpuCfs === false) refuse('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  if (nano < 0 || nano > host.numCpus * 1e9) refuse(`Range of CPUs is from 0.01 to ${host.numCpus}.00, as there are only ${host.numCpus} CPUs available`);
  if ((hc.CpuPeriod || hc.CpuQuota) && host.cpuCfs === false) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    hc.CpuPeriod = 0;
    hc.CpuQuota = 0;
  }
  const period = hc.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) refuse('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = hc.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) refuse('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((hc.CpuPercent ?? 0) > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    hc.CpuPercent = 0;
  }
  if ((hc.BlkioWeight ?? 0) > 0 && host.blkioWeight === false) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    hc.BlkioWeight = 0;
  }
  const weight = hc.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) refuse('Range of blkio weight is from 10 to 1000');
  if (hc.IOMaximumBandwidth || hc.IOMaximumIOps) refuse('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
}

/**
 * A new container's HostConfig: checked as dockerd checks it at create,
 * with its create-time defaults. Throws EngineError (InvalidArgument) with
 * dockerd's message; returns the warnings `docker create` prints.
 */
export function adaptHostConfig(hostConfig: HostConfig, host: AdaptHost): { hostConfig: HostConfig; warnings: string[] } {
  const warnings: string[] = [];
  const hc: HostConfig = structuredClone(hostConfig);
  if (hc.AutoRemove && hc.RestartPolicy?.Name && hc.RestartPolicy.Name !== 'no') refuse("can't create 'AutoRemove' container with restart policy");
  const policy = hc.RestartPolicy;
  if (policy?.Name) {
    if (['always', 'unless-stopped', 'no'].includes(policy.Name)) {
      if (policy.MaximumRetryCount) refuse(`maximum retry count cannot be used with restart policy '${policy.Name}'`);
    } else if (policy.Name === 'on-failure') {
      if (policy.MaximumRetryCount < 0) refuse('maximum retry count cannot be negative');
    } else {
      refuse(`invalid restart policy '${policy.Name}'`, 'use no, always, unless-stopped or on-failure[:max-retries]');
    }
  }
  normalizeCapabilities(hc.CapAdd, 'CapAdd');
  normalizeCapabilities(hc.CapDrop, 'CapDrop');
  parseSecurityOpt(hc.SecurityOpt);
  checkResources(hc, host, warnings);
  if ((hc.ShmSize ?? 0) < 0) refuse('SHM size can not be less than 0');
  const oom = hc.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) refuse(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  if (hc.NetworkMode === 'host' && Object.keys(hc.PortBindings ?? {}).length > 0) warnings.push('Published ports are discarded when using host network mode');
  for (const dest of Object.keys(hc.Tmpfs ?? {})) {
    if (!dest.startsWith('/')) refuse(`invalid mount path: '${dest}' mount path must be absolute`);
    if (dest.replace(/\/+$/, '') === '') refuse("invalid specification: destination can't be '/'");
  }
  if (hc.CgroupnsMode && hc.CgroupnsMode !== 'private' && hc.CgroupnsMode !== 'host') refuse(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`, 'use private or host');
  return { hostConfig: withCreateDefaults(hc, host), warnings };
}
