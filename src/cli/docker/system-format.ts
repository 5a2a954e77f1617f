import { renderList } from './format/render.js';
import { ago, humanSize } from './format/units.js';
import { bytesSize, tabwrite } from './monitor-format.js';

/**
 * What `berth info`, `version` and `system df` print, as the docker CLI
 * (28.x) prints them, from the daemon's answers.
 */

/** The parts of GET /info the printout reads (Docker's system.Info). */
export interface InfoView {
  ID?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Authorization?: string[] | null; Log?: string[] | null };
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Swarm?: { LocalNodeState?: string };
  Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string;
  InitBinary?: string;
  ContainerdCommit?: { ID?: string };
  RuncCommit?: { ID?: string };
  InitCommit?: { ID?: string };
  SecurityOptions?: string[] | null;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Name?: string;
  DockerRootDir?: string;
  Debug?: boolean;
  NFd?: number;
  NGoroutines?: number;
  SystemTime?: string;
  NEventsListener?: number;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  Labels?: string[] | null;
  ExperimentalBuild?: boolean;
  RegistryConfig?: { InsecureRegistryCIDRs?: string[] | null; IndexConfigs?: Record<string, { Name: string; Secure: boolean }> | null; Mirrors?: string[] | null } | null;
  LiveRestoreEnabled?: boolean;
  Warnings?: string[] | null;
}

export interface ClientInfoView {
  Version: string;
  Context: string;
  Debug: boolean;
}

/** Go's fmt.Println: operands joined by spaces. */
const println = (...parts: unknown[]): string => `${parts.map((p) => (p === undefined || p === null ? '' : String(p))).join(' ')}\n`;

/** The client section of `docker info`. */
export function clientInfoText(c: ClientInfoView): string {
  return `Client:\n${println(' Version:   ', c.Version)}${println(' Context:   ', c.Context)}${println(' Debug Mode:', c.Debug)}`;
}

/** The server section of `docker info` (after "Server:"), and the warnings it ends with (for stderr). */
export function serverInfoText(i: InfoView, clientDebug = false): { out: string; warnings: string[] } {
  let o = '';
  const line = (...p: unknown[]): void => void (o += println(...p));
  const nonEmpty = (label: string, v: string | undefined): void => {
    if (v) line(label, v);
  };
  line(' Containers:', i.Containers ?? 0);
  line('  Running:', i.ContainersRunning ?? 0);
  line('  Paused:', i.ContainersPaused ?? 0);
  line('  Stopped:', i.ContainersStopped ?? 0);
  line(' Images:', i.Images ?? 0);
  nonEmpty(' Server Version:', (i as { ServerVersion?: string }).ServerVersion);
  nonEmpty(' Storage Driver:', i.Driver);
  for (const [k, v] of i.DriverStatus ?? []) o += `  ${k}: ${v}\n`;
  line(' Logging Driver:', i.LoggingDriver ?? '');
  line(' Cgroup Driver:', i.CgroupDriver ?? '');
  nonEmpty(' Cgroup Version:', i.CgroupVersion);
  line(' Plugins:');
  line('  Volume:', (i.Plugins?.Volume ?? []).join(' '));
  line('  Network:', (i.Plugins?.Network ?? []).join(' '));
  if (i.Plugins?.Authorization?.length) line('  Authorization:', i.Plugins.Authorization.join(' '));
  line('  Log:', (i.Plugins?.Log ?? []).join(' '));
  line(' Swarm:', i.Swarm?.LocalNodeState ?? '');
  const runtimes = Object.keys(i.Runtimes ?? {}).sort();
  if (runtimes.length) {
    line(' Runtimes:', runtimes.join(' '));
    line(' Default Runtime:', i.DefaultRuntime ?? '');
  }
  if (i.OSType === 'linux') {
    line(' Init Binary:', i.InitBinary ?? '');
    o += ` containerd version: ${i.ContainerdCommit?.ID ?? ''}\n`;
    o += ` runc version: ${i.RuncCommit?.ID ?? ''}\n`;
    o += ` init version: ${i.InitCommit?.ID ?? ''}\n`;
    if (i.SecurityOptions?.length) {
      line(' Security Options:');
      for (const so of i.SecurityOptions) {
        const kv = Object.fromEntries(so.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
        line(`  ${kv['name'] ?? so}`);
        if (kv['profile'] !== undefined) line('   Profile:', kv['profile']);
      }
    }
  }
  nonEmpty(' Kernel Version:', i.KernelVersion);
  nonEmpty(' Operating System:', i.OperatingSystem);
  nonEmpty(' OSType:', i.OSType);
  nonEmpty(' Architecture:', i.Architecture);
  line(' CPUs:', i.NCPU ?? 0);
  line(' Total Memory:', bytesSize(i.MemTotal ?? 0));
  nonEmpty(' Name:', i.Name);
  nonEmpty(' ID:', i.ID);
  line(' Docker Root Dir:', i.DockerRootDir ?? '');
  line(' Debug Mode:', i.Debug === true);
  if (i.Debug || clientDebug) {
    line('  File Descriptors:', i.NFd ?? 0);
    line('  Goroutines:', i.NGoroutines ?? 0);
    line('  System Time:', i.SystemTime ?? '');
    line('  EventsListeners:', i.NEventsListener ?? 0);
  }
  nonEmpty(' HTTP Proxy:', i.HttpProxy);
  nonEmpty(' HTTPS Proxy:', i.HttpsProxy);
  nonEmpty(' No Proxy:', i.NoProxy);
  if (i.Labels?.length) {
    line(' Labels:');
    for (const l of i.Labels) line(`  ${l}`);
  }
  line(' Experimental:', i.ExperimentalBuild === true);
  const reg = i.RegistryConfig;
  if (reg && ((reg.InsecureRegistryCIDRs?.length ?? 0) > 0 || Object.keys(reg.IndexConfigs ?? {}).length > 0)) {
    line(' Insecure Registries:');
    for (const r of Object.values(reg.IndexConfigs ?? {})) if (!r.Secure) line(`  ${r.Name}`);
    for (const cidr of reg.InsecureRegistryCIDRs ?? []) line(`  ${cidr}`);
  }
  if (reg?.Mirrors?.length) {
    line(' Registry Mirrors:');
    for (const m of reg.Mirrors) line(`  ${m}`);
  }
  line(' Live Restore Enabled:', i.LiveRestoreEnabled === true);
  o += '\n';
  return { out: o, warnings: i.Warnings ?? [] };
}

/** GET /version's answer (types.Version). */
export interface ServerVersionView {
  Platform?: { Name?: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> | null }[] | null;
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  BuildTime?: string;
}

export interface ClientVersionView {
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  BuildTime: string;
  Context: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The CLI shows an RFC 3339 build time as Go's ANSIC ("Thu May  7 21:09:36 2026"), in the zone it names; anything else as it is. */
export function ansicTime(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDay();
  return `${DAYS[day]} ${MONTHS[Number(mo) - 1]} ${String(Number(d)).padStart(2, ' ')} ${h}:${mi}:${s} ${y}`;
}

/** `docker version`'s default printout (its template, tabwriter minwidth 20, padding 1). */
export function versionText(client: ClientVersionView, server: ServerVersionView | undefined): string {
  const lines: string[] = ['Client:'];
  lines.push(` Version:\t${client.Version}`);
  lines.push(` API version:\t${client.ApiVersion}${client.ApiVersion !== client.DefaultAPIVersion ? ` (downgraded from ${client.DefaultAPIVersion})` : ''}`);
  lines.push(` Go version:\t${client.GoVersion}`);
  lines.push(` Git commit:\t${client.GitCommit}`);
  lines.push(` Built:\t${client.BuildTime}`);
  lines.push(` OS/Arch:\t${client.Os}/${client.Arch}`);
  lines.push(` Context:\t${client.Context}`);
  if (server) {
    lines.push('');
    lines.push(`Server:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}`);
    for (const c of server.Components ?? []) {
      const d = c.Details ?? {};
      lines.push(` ${c.Name}:`);
      if (c.Name === 'Engine') {
        lines.push(`  Version:\t${c.Version}`);
        lines.push(`  API version:\t${d['ApiVersion'] ?? ''} (minimum version ${d['MinAPIVersion'] ?? ''})`);
        lines.push(`  Go version:\t${d['GoVersion'] ?? ''}`);
        lines.push(`  Git commit:\t${d['GitCommit'] ?? ''}`);
        lines.push(`  Built:\t${ansicTime(d['BuildTime'] ?? '')}`);
        lines.push(`  OS/Arch:\t${d['Os'] ?? ''}/${d['Arch'] ?? ''}`);
        lines.push(`  Experimental:\t${d['Experimental'] ?? ''}`);
      } else {
        lines.push(`  Version:\t${c.Version}`);
        for (const k of Object.keys(d).sort()) lines.push(`  ${k}:\t${d[k]}`);
      }
    }
  }
  return tabwrite(lines, 20, 1);
}

/** GET /system/df's answer, as far as the printout reads it. */
export interface DiskUsageView {
  LayersSize?: number;
  Images?: { Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize: number; VirtualSize?: number; Containers: number }[] | null;
  Containers?: { Id: string; Names: string[]; Image: string; Command: string; Created: number; State: string; Status: string; SizeRw?: number; Mounts?: { Type?: string; Name?: string; Driver?: string }[] }[] | null;
  Volumes?: { Name: string; UsageData?: { RefCount: number; Size: number } | null }[] | null;
  BuildCache?: { ID?: string; Type?: string; Size?: number; InUse?: boolean; Shared?: boolean; CreatedAt?: string; LastUsedAt?: string | null; UsageCount?: number }[] | null;
}

const percentOf = (part: number, total: number): string => (total > 0 ? `${humanSize(part, 4)} (${Math.floor((part * 100) / total)}%)` : humanSize(part, 4));

/** The four rows of `docker system df`. */
export function diskUsageRows(df: DiskUsageView): Record<string, string>[] {
  const images = df.Images ?? [];
  const containers = df.Containers ?? [];
  const volumes = df.Volumes ?? [];
  const cache = df.BuildCache ?? [];
  const layers = df.LayersSize ?? 0;
  const usedByImages = images.filter((i) => i.Containers > 0).reduce((sum, i) => sum + (i.Size - i.SharedSize), 0);
  const active = (state: string): boolean => /running|paused|restarting/.test(state);
  const cSize = containers.reduce((sum, c) => sum + (c.SizeRw ?? 0), 0);
  const cFree = containers.filter((c) => !active(c.State)).reduce((sum, c) => sum + (c.SizeRw ?? 0), 0);
  const vSizes = volumes.map((v) => ({ size: v.UsageData?.Size ?? -1, refs: v.UsageData?.RefCount ?? 0 })).filter((v) => v.size !== -1);
  const vSize = vSizes.reduce((sum, v) => sum + v.size, 0);
  const vFree = vSizes.filter((v) => v.refs === 0).reduce((sum, v) => sum + v.size, 0);
  const bSize = cache.reduce((sum, b) => sum + (b.Size ?? 0), 0);
  const bFree = cache.filter((b) => !b.InUse && !b.Shared).reduce((sum, b) => sum + (b.Size ?? 0), 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(layers, 4), Reclaimable: percentOf(layers - usedByImages, layers) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => active(c.State)).length), Size: humanSize(cSize, 4), Reclaimable: percentOf(cFree, cSize) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vSize, 4), Reclaimable: percentOf(vFree, vSize) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(bSize, 4), Reclaimable: humanSize(bFree, 4) },
  ];
}

const DF_FORMAT = { table: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' } };

/** `docker system df [--format]`: the summary table, or each row through the format. */
export function diskUsageText(df: DiskUsageView, format?: string): string {
  const rows = diskUsageRows(df);
  if (format === 'json') return rows.map((r) => `${JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1))))}\n`).join('');
  return renderList(rows, DF_FORMAT, format);
}

const ellipsis = (text: string, max: number): string => ([...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`);

/** `docker system df -v`: a table for each kind. */
export function diskUsageVerbose(df: DiskUsageView, now = Date.now()): string {
  let out = 'Images space usage:\n\n';
  const images: string[] = ['REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS'];
  for (const i of df.Images ?? []) {
    // the first tag only, as docker shows it
    const first = (i.RepoTags ?? []).find((t) => t !== '<none>:<none>');
    const colon = first ? first.lastIndexOf(':') : -1;
    const [repo, tag] = first && colon > first.lastIndexOf('/') ? [first.slice(0, colon), first.slice(colon + 1)] : ['<none>', '<none>'];
    const size = i.VirtualSize ?? i.Size;
    images.push([repo, tag, i.Id.replace(/^sha256:/, '').slice(0, 12), ago(i.Created * 1000, now), humanSize(size, 3), i.SharedSize === -1 ? 'N/A' : humanSize(i.SharedSize, 3), humanSize(size - Math.max(i.SharedSize, 0), 4), String(i.Containers)].join('\t'));
  }
  out += tabwrite(images, 10, 3);
  out += '\nContainers space usage:\n\n';
  const containers: string[] = ['CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES'];
  for (const c of df.Containers ?? []) {
    const image = c.Image.startsWith('sha256:') ? c.Image.slice(7, 19) : c.Image;
    const volumes = (c.Mounts ?? []).filter((m) => m.Type === 'volume' && (m.Driver ?? 'local') === 'local').length;
    containers.push([c.Id.slice(0, 12), image, JSON.stringify(ellipsis(c.Command, 20)), String(volumes), humanSize(c.SizeRw ?? 0, 3), ago(c.Created * 1000, now), c.Status, c.Names.map((n) => n.slice(1)).join(',')].join('\t'));
  }
  out += tabwrite(containers, 10, 3);
  out += '\nLocal Volumes space usage:\n\n';
  const volumes: string[] = ['VOLUME NAME\tLINKS\tSIZE'];
  for (const v of df.Volumes ?? []) volumes.push([v.Name, String(v.UsageData?.RefCount ?? 0), v.UsageData && v.UsageData.Size !== -1 ? humanSize(v.UsageData.Size, 3) : 'N/A'].join('\t'));
  out += tabwrite(volumes, 10, 3);
  const cache = df.BuildCache ?? [];
  out += `\nBuild cache usage: ${humanSize(cache.reduce((sum, b) => sum + (b.Size ?? 0), 0), 4)}\n\n`;
  const rows: string[] = ['CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED'];
  for (const b of cache) rows.push([b.ID ?? '', b.Type ?? '', humanSize(b.Size ?? 0, 3), b.CreatedAt ? ago(b.CreatedAt, now) : '', b.LastUsedAt ? ago(b.LastUsedAt, now) : '', String(b.UsageCount ?? 0), String(b.Shared === true)].join('\t'));
  out += tabwrite(rows, 10, 3);
  return out;
}
