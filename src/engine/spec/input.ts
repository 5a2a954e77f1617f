import type { Device } from '../../spec/oci-runtime.js';
import type { ContainerConfig, HostConfig } from './types.js';
import type { ResolvedUser } from './user.js';

/**
 * What buildSpec takes: the container as dockerd keeps it (its merged
 * Config and its HostConfig), and what the engine decided or prepared for
 * this start (root filesystem, mounts, /etc files, namespaces to join,
 * cgroup path). Facts about the host come through SpecHost, so that the
 * build itself reads nothing and is tested without root.
 */

/** A container mount as the engine resolved it (Docker's MountPoints: -v, --mount, volumes). */
export interface SpecMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** host path (a volume's _data directory for volumes); unused for tmpfs */
  source: string;
  /** absolute path in the container */
  destination: string;
  readOnly: boolean;
  /**
   * [r]private, [r]shared, [r]slave. Unset: "rprivate" for a bind mount,
   * nothing for a volume — the defaults of Docker's mount parser.
   */
  propagation?: string;
  /** --mount type=bind,bind-nonrecursive: "bind" instead of "rbind" */
  nonRecursive?: boolean;
  /** tmpfs only: mount data such as "size=64m", "mode=1770" (see tmpfsOptionsFromApi) */
  options?: string[];
}

/** A namespace to join (a path such as /proc/<pid>/ns/net), or none of the container's own. */
export type NamespaceChoice = 'private' | 'host' | { path: string };

/** Facts about the host the spec depends on. `realSpecHost()` (host.ts) reads them from this machine. */
export interface SpecHost {
  /** uname -r: seccomp rules depend on the kernel version */
  kernelRelease: string;
  /** a cgroup v2 (unified) host: containers get a cgroup namespace by default there */
  cgroupV2: boolean;
  /** whether /proc/sys/<key> exists: Docker adds its default sysctls only where the kernel has them */
  sysctlExists(key: string): boolean;
  /**
   * The device nodes at a host path, as `--device` reads them: the path
   * with a symlink there resolved (`resolved`), and the node at it or every
   * node under it when it is a directory (host paths; buildSpec moves them
   * under the container path). No devices: there is none, or no such path.
   */
  devicesAt(path: string): { resolved: string; devices: Device[] };
  /** Every device node of the host's /dev, for --privileged (runc's HostDevices). */
  hostDevices(): Device[];
  /**
   * The mount holding a host path and whether it is shared or a slave:
   * shared and slave bind mounts need it. Undefined: not checked.
   */
  mountPropagation?(path: string): { mountPoint: string; shared: boolean; slave: boolean } | undefined;
  /**
   * The limits the container's init inherits (berthd's), by RLIMIT_* name,
   * and whether it may raise a hard limit (CAP_SYS_RESOURCE). Without them
   * --ulimit is not clamped.
   */
  rlimits?: { limits: Record<string, { soft: number; hard: number }>; canRaise: boolean };
}

export interface SpecInput {
  /** the container's 64-hex ID */
  id: string;
  /** its Config, already merged with the image's (mergeImageConfig) */
  config: ContainerConfig;
  /** its HostConfig; adaptHostConfig's create-time defaults are applied again where missing */
  hostConfig: HostConfig;
  /** absolute host path of the mounted root filesystem */
  rootfs: string;
  /** -v, --mount and volumes, resolved; HostConfig.Tmpfs is read from hostConfig */
  mounts: SpecMount[];
  /** the files the engine wrote; each is bind-mounted over /etc/… when given, as Docker does */
  resolvConfPath?: string;
  hostsPath?: string;
  hostnamePath?: string;
  /**
   * Source of /dev/shm when IpcMode is "shareable" (the container's own
   * tmpfs), "container:…" (that container's) or "host" (default "/dev/shm").
   */
  shmPath?: string;
  /** the -u user; resolved from the rootfs (resolveUser) when left out */
  user?: ResolvedUser;
  /** host path of the init binary (berth-reaper) for --init: bound at /sbin/docker-init */
  initPath?: string;
  /**
   * Namespaces as the engine decided them. Left out, each follows its
   * HostConfig mode ("host" → the host's; anything else → a new one); a
   * "container:<id>" mode needs its path here.
   */
  namespaces?: { network?: NamespaceChoice; ipc?: NamespaceChoice; pid?: NamespaceChoice; uts?: 'private' | 'host'; cgroup?: 'private' | 'host' };
  /** linux.cgroupsPath, e.g. "/berth/<id>" */
  cgroupsPath: string;
  host: SpecHost;
}
