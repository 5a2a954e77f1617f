import type { Container } from './container.js';
import type { EngineContext } from './context.js';

/** Docker's "Up 2 minutes" / "Exited (0) 3 seconds ago", as `docker ps` shows a state. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** How `docker ps` shows a running container's health. */
const HEALTH_TEXT = { starting: ' (health: starting)', healthy: ' (healthy)', unhealthy: ' (unhealthy)' } as const;

export function statusText(c: Container, now = Date.now()): string {
  const st = c.State;
  if (st.Restarting) return `Restarting (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago`;
  if (st.Running) return `Up ${humanDuration(now - Date.parse(st.StartedAt))}${st.Paused ? ' (Paused)' : st.Health ? HEALTH_TEXT[st.Health.Status] : ''}`;
  if (st.Status === 'removing') return 'Removal In Progress';
  if (st.Dead) return 'Dead';
  if (st.Status === 'created') return 'Created';
  return `Exited (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago`;
}

/** The command as `docker ps` shows it (before truncation): path and args joined by spaces. */
export function commandText(c: Container): string {
  return [c.Path, ...c.Args].join(' ');
}

/** GET /containers/{id}/json: Docker's ContainerJSON. */
export function inspectContainer(ctx: EngineContext, c: Container): Record<string, unknown> {
  let graph: Record<string, string> | null;
  try {
    graph = ctx.snapshots.graphDriverData?.(c.ID) ?? null;
  } catch {
    graph = null;
  }
  return {
    Id: c.ID,
    Created: c.Created,
    Path: c.Path,
    Args: c.Args,
    State: { ...c.State, Status: c.State.Paused ? 'paused' : c.State.Status },
    Image: c.Image,
    ResolvConfPath: c.ResolvConfPath,
    HostnamePath: c.HostnamePath,
    HostsPath: c.HostsPath,
    LogPath: c.LogPath,
    Name: c.Name,
    RestartCount: c.RestartCount,
    Driver: c.Driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: c.HostConfig,
    GraphDriver: { Data: graph, Name: c.Driver },
    Mounts: c.Mounts.map((m) => ({
      Type: m.Type,
      ...(m.Name ? { Name: m.Name } : {}),
      Source: m.Source,
      Destination: m.Destination,
      ...(m.Type === 'volume' ? { Driver: m.Driver ?? 'local' } : {}),
      Mode: m.Mode,
      RW: m.RW,
      Propagation: m.Propagation,
    })),
    Config: c.Config,
    NetworkSettings: networkSettings(c),
  };
}

function networkSettings(c: Container): Record<string, unknown> {
  const mode = c.HostConfig.NetworkMode ?? 'none';
  const name = mode.startsWith('container:') ? undefined : mode;
  return {
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: {},
    SandboxKey: '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: name ? { [name]: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null } } : {},
  };
}

/** GET /containers/json: one of Docker's ContainerSummary. */
export function summarizeContainer(c: Container, sizes?: { rw: number; rootFs: number }): Record<string, unknown> {
  return {
    Id: c.ID,
    Names: [c.Name],
    Image: c.ImageRef,
    ImageID: c.Image,
    Command: commandText(c),
    Created: Math.floor(Date.parse(c.Created) / 1000),
    Ports: [],
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: c.Config.Labels ?? {},
    State: c.State.Paused ? 'paused' : c.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.HostConfig.NetworkMode ?? 'none' },
    NetworkSettings: { Networks: (networkSettings(c)['Networks'] as Record<string, unknown>) ?? {} },
    Mounts: c.Mounts.map((m) => ({ Type: m.Type, ...(m.Name ? { Name: m.Name } : {}), Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation })),
  };
}
