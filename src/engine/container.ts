import type { Health } from './health.js';
import type { ContainerConfig, HostConfig } from './spec/types.js';

/** Docker's container states, as `docker ps` and inspect's State.Status name them. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Docker's State object, kept as it is shown. */
export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** with a healthcheck: its status and last results (health.ts) */
  Health?: Health;
}

/** A mount as the container has it: inspect's Mounts, and what the spec is built from. */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** volume name, for volumes */
  Name?: string;
  /** host path (bind, volume's _data); empty for tmpfs */
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** tmpfs options (size=…, mode=…) */
  Options?: string[];
  /** an anonymous volume: removed with the container by --rm and rm -v */
  Anonymous?: boolean;
  /** a new volume, to be filled from the image's files at its destination at first start */
  CopyUp?: boolean;
}

/**
 * A container as berthd keeps it in containers/<id>/config.v2.json: the
 * fields of Docker's inspect output that are state, plus berth's own (the
 * monitor and the runtime). Views (inspect, ps) are made from it.
 */
export interface Container {
  ID: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** image ID (sha256:…) */
  Image: string;
  /** as given at create time (docker ps's IMAGE column) */
  ImageRef: string;
  /** with Docker's leading slash */
  Name: string;
  RestartCount: number;
  Driver: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  LogPath: string;
  HostnamePath: string;
  HostsPath: string;
  ResolvConfPath: string;
  /** the runtime: "berth" (in-process) or a runc-compatible binary's name */
  Runtime: string;
  /** the berth-shim monitoring the running container */
  Shim?: { pid: number; startTime: number };
  /** set by `docker stop`/`kill` so a restart policy leaves the container stopped */
  ManuallyStopped?: boolean;
  /** anonymous volumes and tmpfs made for this container */
  AutoRemove?: boolean;
}

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: '0001-01-01T00:00:00Z',
    FinishedAt: '0001-01-01T00:00:00Z',
  };
}
