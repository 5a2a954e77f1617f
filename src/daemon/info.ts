import { cpus, hostname, release, totalmem } from 'node:os';
import type { DaemonPaths, Services } from './services.js';
import { VERSION } from './services.js';

/** GET /info: Docker's SystemInfo, with what berth knows. */
export function systemInfo(s: Services, paths: DaemonPaths): Record<string, unknown> {
  const containers = s.ctx.containers.list();
  const running = containers.filter((c) => c.State.Running && !c.State.Paused).length;
  const paused = containers.filter((c) => c.State.Paused).length;
  return {
    ID: '',
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: containers.length - running - paused,
    Images: s.images.ctx.images.list().length,
    Driver: s.ctx.snapshots.driver,
    DriverStatus: [['Backing Filesystem', 'extfs']],
    Plugins: { Volume: ['local'], Network: ['host', 'none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: false,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: '1',
    NEventsListener: 0,
    KernelVersion: release(),
    OperatingSystem: 'linux',
    OSType: 'linux',
    Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: paths.dataRoot,
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
    SecurityOptions: ['name=seccomp,profile=default'],
    Warnings: [],
  };
}
