import type { HealthConfig } from '../../spec/oci-image.js';

/**
 * The container configuration the Engine API carries (v1.41, as dockerd
 * 20.10 speaks it; fields of v1.47 that 20.10 lacks are left out): the
 * `Config` and `HostConfig` of `POST /containers/create` and of inspect.
 * Field names are the API's exactly. Go's zero values and nulls both mean
 * "not set", so most fields are optional and lists/maps may be null.
 */

export type { HealthConfig };

/** Docker's container.Config. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean | null;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean | null;
  MacAddress?: string | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

/**
 * The `config` part of an image config that a container inherits (the
 * image's ENV, CMD, ENTRYPOINT, WORKDIR, USER, ...). Both the OCI image
 * config's `config` and image inspect's `Config` fit it.
 */
export interface ImageRunConfig {
  User?: string;
  ExposedPorts?: Record<string, object> | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Healthcheck?: HealthConfig | null;
  WorkingDir?: string;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  /** any of r, w, m; "rwm" when empty */
  CgroupPermissions: string;
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

export interface WeightDevice {
  Path: string;
  Weight: number;
}

/** --ulimit nofile=1024:2048 → { Name: "nofile", Soft: 1024, Hard: 2048 }; -1 is unlimited. */
export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface DeviceRequest {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[] | null;
  Capabilities?: string[][] | null;
  Options?: Record<string, string> | null;
}

/** HostConfig.Resources (inlined into HostConfig, as the API does). */
export interface Resources {
  CpuShares?: number;
  /** bytes; 0 unlimited */
  Memory?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: DeviceRequest[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  /** memory + swap in bytes; -1 unlimited swap; 0 means twice Memory (set at create) */
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  /** CPUs × 10⁹ */
  NanoCpus?: number;
  OomKillDisable?: boolean | null;
  Init?: boolean | null;
  /** 0 or -1: unlimited; null: not set */
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure' | (string & {});
  MaximumRetryCount: number;
}

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** HostConfig.Mounts (--mount), as the API carries them. */
export interface ApiMount {
  Target?: string;
  Source?: string;
  Type?: 'bind' | 'volume' | 'tmpfs' | 'npipe' | (string & {});
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/** Docker's container.HostConfig. */
export interface HostConfig extends Resources {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: LogConfig;
  /** "default", "bridge", "none", "host", "container:<name|id>", or a network's name */
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: ApiMount[] | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  /** "private" | "host"; empty: the daemon's default */
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  /** "", "none", "private", "shareable", "host", "container:<name|id>" */
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  /** "", "host", "container:<name|id>" */
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  /** mount point → options ("rw,size=64m") */
  Tmpfs?: Record<string, string> | null;
  /** "", "host" */
  UTSMode?: string;
  UsernsMode?: string;
  /** bytes; 0: the default (64 MiB) */
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  ConsoleSize?: [number, number] | number[] | null;
  Isolation?: string;
  /** null: Docker's defaults (set at create); [] none */
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
}
