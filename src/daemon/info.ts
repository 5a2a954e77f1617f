import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, hostname, release, totalmem } from 'node:os';
import { v1HierarchyOf, type CgroupLayout } from '../cgroups/layout.js';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { CgroupDir } from '../sys/cgroupfs.js';
import { backingFilesystem, openFileCount, osRelease, sysctlEnabled } from '../sys/system-facts.js';
import { eventLogOf } from './events.js';
import type { DaemonPaths, Services } from './services.js';
import { VERSION } from './services.js';

/** GET /info: Docker's SystemInfo, with what berth knows. */
export function systemInfo(s: Services, paths: DaemonPaths): Record<string, unknown> {
  const containers = s.ctx.containers.list();
  const running = containers.filter((c) => c.State.Running && !c.State.Paused).length;
  const paused = containers.filter((c) => c.State.Paused).length;
  const layout = s.ctx.runtime.cgroupLayout();
  const features = cgroupFeatures(layout);
  const cgroupVersion = layout.kind === 'v2' ? '2' : '1';
  const os = osRelease();
  const driver = s.ctx.snapshots.driver;
  return {
    ID: engineId(paths.dataRoot),
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: containers.length - running - paused,
    Images: s.images.ctx.images.list().length,
    Driver: driver,
    DriverStatus: driverStatus(driver, paths.dataRoot),
    // network drivers by Docker's names: "none" is the null driver
    Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['json-file'] },
    ...features,
    IPv4Forwarding: sysctlEnabled('net.ipv4.ip_forward') === true,
    BridgeNfIptables: sysctlEnabled('net.bridge.bridge-nf-call-iptables') === true,
    BridgeNfIp6tables: sysctlEnabled('net.bridge.bridge-nf-call-ip6tables') === true,
    Debug: false,
    NFd: openFileCount(),
    // Node has no goroutines; its event loop's live handles are the nearest count
    NGoroutines: process.getActiveResourcesInfo().length,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion,
    NEventsListener: eventLogOf(s.engine).listenerCount,
    KernelVersion: release(),
    OperatingSystem: os.prettyName,
    OSVersion: os.versionId,
    OSType: 'linux',
    Architecture: process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch,
    IndexServerAddress: 'https://index.docker.io/v1/',
    NCPU: cpus().length,
    MemTotal: totalmem(),
    GenericResources: null,
    DockerRootDir: paths.dataRoot,
    HttpProxy: proxyOf('HTTP_PROXY'),
    HttpsProxy: proxyOf('HTTPS_PROXY'),
    NoProxy: process.env['NO_PROXY'] ?? process.env['no_proxy'] ?? '',
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: VERSION,
    Runtimes: { berth: { path: 'berth (in-process)' }, runc: { path: 'runc' } },
    DefaultRuntime: 'berth',
    Swarm: { LocalNodeState: 'inactive', NodeID: '', NodeAddr: '', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'berth-reaper',
    // no containerd here; the default runtime and the init are berth's own, of this version
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: VERSION, Expected: VERSION },
    InitCommit: { ID: VERSION, Expected: VERSION },
    SecurityOptions: ['name=seccomp,profile=default'],
    Warnings: warnings(features, cgroupVersion),
  };
}

/**
 * The engine's ID, made once and kept in <data-root>/engine-id, as
 * dockerd 23+ keeps its own: `docker info` shows it, swarm and some
 * clients use it to tell daemons apart.
 */
export function engineId(dataRoot: string): string {
  const path = join(dataRoot, 'engine-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (id) return id;
  } catch {
    // not made yet
  }
  const id = randomUUID();
  try {
    writeFileAtomic(path, id, 0o600);
  } catch {
    // a read-only data root: this answer's ID only
  }
  return id;
}

function driverStatus(driver: string, dataRoot: string): [string, string][] {
  if (driver !== 'overlay2') return [];
  return [
    ['Backing Filesystem', backingFilesystem(dataRoot)],
    ['Supports d_type', 'true'],
    ['Native Overlay Diff', 'true'],
    ['userxattr', 'false'],
  ];
}

interface CgroupFeatures {
  MemoryLimit: boolean;
  SwapLimit: boolean;
  KernelMemory: boolean;
  KernelMemoryTCP: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  PidsLimit: boolean;
  OomKillDisable: boolean;
}

/** What limits containers can have here: the controllers present and, on v1, their optional files. */
function cgroupFeatures(layout: CgroupLayout): CgroupFeatures {
  const v1 = (controller: string, file?: string): boolean => {
    const h = v1HierarchyOf(layout, controller);
    if (!h) return false;
    return file === undefined || new CgroupDir(h.mountPoint).has(file);
  };
  const v2 = (controller: string): boolean => layout.unified?.controllers.includes(controller) === true;
  const either = (controller: string, file?: string): boolean => v1(controller, file) || v2(controller);
  return {
    MemoryLimit: either('memory'),
    SwapLimit: v1('memory', 'memory.memsw.limit_in_bytes') || v2('memory'),
    KernelMemory: v1('memory', 'memory.kmem.limit_in_bytes'),
    KernelMemoryTCP: v1('memory', 'memory.kmem.tcp.limit_in_bytes'),
    CpuCfsPeriod: either('cpu', 'cpu.cfs_period_us'),
    CpuCfsQuota: either('cpu', 'cpu.cfs_quota_us'),
    CPUShares: either('cpu', 'cpu.shares'),
    CPUSet: either('cpuset'),
    PidsLimit: either('pids'),
    OomKillDisable: v1('memory', 'memory.oom_control'),
  };
}

/** dockerd's warnings for what containers here cannot be limited by. */
function warnings(f: CgroupFeatures, cgroupVersion: string): string[] {
  const out: string[] = [];
  if (!f.MemoryLimit) out.push('WARNING: No memory limit support');
  if (!f.SwapLimit) out.push('WARNING: No swap limit support');
  if (cgroupVersion === '1' && !f.OomKillDisable) out.push('WARNING: No oom kill disable support');
  if (!f.CpuCfsQuota) out.push('WARNING: No cpu cfs quota support');
  if (!f.CpuCfsPeriod) out.push('WARNING: No cpu cfs period support');
  if (!f.CPUShares) out.push('WARNING: No cpu shares support');
  if (!f.CPUSet) out.push('WARNING: No cpuset support');
  if (!f.PidsLimit) out.push('WARNING: No pids limit support');
  return out;
}

/** A proxy setting as dockerd shows it: a password in it masked. */
function proxyOf(name: string): string {
  const value = process.env[name] ?? process.env[name.toLowerCase()] ?? '';
  try {
    const url = new URL(value);
    if (url.username || url.password) {
      url.username = 'xxxxx';
      url.password = 'xxxxx';
    }
    return url.toString().replace(/\/$/, value.endsWith('/') ? '/' : '');
  } catch {
    return value;
  }
}
