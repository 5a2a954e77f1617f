import { EngineError } from '../errors/engine-error.js';
import type { Spec } from '../spec/oci-runtime.js';
import type { Container } from './container.js';
import type { EngineContext } from './context.js';
import { buildSpec } from './spec/build.js';
import { realSpecHost } from './spec/host.js';
import type { NamespaceChoice, SpecHost, SpecMount } from './spec/input.js';

let host: SpecHost | undefined;

/** Where a container's cgroups are, in every hierarchy (under berth's shared parent). */
export const containerCgroupsPath = (id: string): string => `/berth/${id}`;

/** "container:<name|id>" → the namespace file of that container's init, which must be running. */
function joinContainer(ctx: EngineContext, mode: string, kind: 'net' | 'ipc' | 'pid', what: string): NamespaceChoice {
  const ref = mode.slice('container:'.length);
  const other = ctx.containers.resolve(ref);
  if (!other.State.Running || other.State.Pid <= 0) {
    throw new EngineError('Conflict', 'JOIN_NOT_RUNNING', `cannot join ${what} of a non running container: ${other.ID}`);
  }
  return { path: `/proc/${other.State.Pid}/ns/${kind}` };
}

/** The OCI spec a container runs from, with its warnings (--ulimit clamped, …). */
export function containerSpec(ctx: EngineContext, c: Container, rootfs: string): { spec: Spec; warnings: string[] } {
  host ??= realSpecHost();
  const hc = c.HostConfig;
  const namespaces: NonNullable<Parameters<typeof buildSpec>[0]['namespaces']> = {};
  const net = hc.NetworkMode ?? 'none';
  namespaces.network = net === 'host' ? 'host' : net.startsWith('container:') ? joinContainer(ctx, net, 'net', 'network namespace') : 'private';
  if (hc.IpcMode?.startsWith('container:')) namespaces.ipc = joinContainer(ctx, hc.IpcMode, 'ipc', 'IPC namespace');
  if (hc.PidMode?.startsWith('container:')) namespaces.pid = joinContainer(ctx, hc.PidMode, 'pid', 'PID namespace');
  const mounts: SpecMount[] = c.Mounts.map((m) => ({
    type: m.Type,
    source: m.Source,
    destination: m.Destination,
    readOnly: !m.RW,
    ...(m.Propagation ? { propagation: m.Propagation } : {}),
    ...(m.Options ? { options: m.Options } : {}),
  }));
  return buildSpec({
    id: c.ID,
    config: c.Config,
    hostConfig: hc,
    rootfs,
    mounts,
    resolvConfPath: c.ResolvConfPath,
    hostsPath: c.HostsPath,
    hostnamePath: c.HostnamePath,
    ...(hc.Init ? { initPath: ctx.reaperPath } : {}),
    namespaces,
    cgroupsPath: containerCgroupsPath(c.ID),
    host,
  });
}
