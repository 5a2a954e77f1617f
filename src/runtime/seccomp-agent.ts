import { OCI_VERSION, type State } from '../spec/oci-runtime.js';

/**
 * What a seccomp agent (SCMP_ACT_NOTIFY, linux.seccomp.listenerPath) gets
 * with the listener fd: the runtime spec's ContainerProcessState, as runc
 * sends it. `pid` is the filtered process as the runtime sees it (the
 * container's init for create, the new process for exec); `state` is the
 * container's. The fd is the one entry of `fds`.
 */
export interface ContainerProcessState {
  ociVersion: string;
  fds: string[];
  pid: number;
  metadata?: string;
  state: State;
}

/** The JSON sent to the agent at listenerPath with the listener fd. */
export function seccompAgentMessage(pid: number, state: State, seccomp: Record<string, unknown> | undefined): string {
  const metadata = seccomp?.['listenerMetadata'];
  // empty annotations left out, as runc's JSON does (omitempty)
  const { annotations, ...rest } = state;
  const msg: ContainerProcessState = { ociVersion: OCI_VERSION, fds: ['seccompFd'], pid, state: annotations && Object.keys(annotations).length ? state : rest };
  if (typeof metadata === 'string' && metadata !== '') msg.metadata = metadata;
  return JSON.stringify(msg);
}
