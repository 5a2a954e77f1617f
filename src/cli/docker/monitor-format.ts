import { EngineError } from '../../errors/engine-error.js';
import { parseGoDuration, ValueError } from './parse/go.js';
import { humanSize } from './format/units.js';

/**
 * What `berth top`, `stats` and `events` print, as the docker CLI prints
 * it: Go's tabwriter, go-units' binary sizes, docker's stats arithmetic,
 * event lines, and the CLI's conversion of --since/--until.
 */

/** Display width: code points. */
const width = (s: string): number => [...s].length;

/**
 * Go's text/tabwriter with spaces: a column's width is the widest of its
 * cells plus padding, at least minWidth, computed for each block of
 * consecutive lines that have that column. Text after a line's last tab is
 * not a cell and is printed as it is.
 */
export function tabwrite(lines: string[], minWidth: number, padding: number): string {
  const rows = lines.map((l) => l.split('\t'));
  const widths = rows.map((r) => new Array<number>(Math.max(r.length - 1, 0)).fill(0));
  const block = (start: number, end: number, col: number): void => {
    let i = start;
    while (i < end) {
      if (rows[i]!.length - 1 <= col) {
        i++;
        continue;
      }
      let j = i;
      let w = minWidth;
      for (; j < end && rows[j]!.length - 1 > col; j++) w = Math.max(w, width(rows[j]![col]!) + padding);
      for (let k = i; k < j; k++) widths[k]![col] = w;
      block(i, j, col + 1);
      i = j;
    }
  };
  block(0, rows.length, 0);
  return rows.map((cells, r) => `${cells.map((c, i) => (i < cells.length - 1 ? c + ' '.repeat(widths[r]![i]! - width(c)) : c)).join('')}\n`).join('');
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units BytesSize: binary units, four significant digits ("512KiB", "23.54GiB"). */
export function bytesSize(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < BINARY.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toPrecision(4))}${BINARY[i]}`;
}

/** One container's numbers as `docker stats` shows them (StatsEntry). */
export interface StatsEntry {
  /** as the user named it (the CONTAINER column) */
  container: string;
  name: string;
  id: string;
  cpuPercent: number;
  memory: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
  /** no numbers (yet, or an error): shown as "--" */
  invalid: boolean;
}

/** The parts of a StatsJSON the CLI reads. */
export interface StatsJsonView {
  name?: string;
  id?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

/** docker's arithmetic: CPU % against the machine's time between two readings, memory without the inactive page cache. */
export function statsEntry(container: string, v: StatsJsonView): StatsEntry {
  const cpu = v.cpu_stats ?? {};
  const pre = v.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 0;
  const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const mem = v.memory_stats ?? {};
  const usage = mem.usage ?? 0;
  const inactive = mem.stats?.['total_inactive_file'] ?? mem.stats?.['inactive_file'];
  const memory = inactive !== undefined && inactive < usage ? usage - inactive : usage;
  const limit = mem.limit ?? 0;
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') blockRead += e.value;
    else if (op === 'write') blockWrite += e.value;
  }
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    netRx += n.rx_bytes ?? 0;
    netTx += n.tx_bytes ?? 0;
  }
  return {
    container,
    name: v.name ?? '',
    id: v.id ?? '',
    cpuPercent,
    memory,
    memoryLimit: limit,
    memoryPercent: limit ? (memory / limit) * 100 : 0,
    netRx,
    netTx,
    blockRead,
    blockWrite,
    pids: v.pids_stats?.current ?? 0,
    invalid: false,
  };
}

/** A stats row for --format: the fields docker's template sees (and `json` prints, keys in order). */
export function statsRow(e: StatsEntry, trunc: boolean): Record<string, string> {
  const bad = e.invalid;
  return {
    BlockIO: bad ? '--' : `${humanSize(e.blockRead, 3)} / ${humanSize(e.blockWrite, 3)}`,
    CPUPerc: bad ? '--' : `${e.cpuPercent.toFixed(2)}%`,
    Container: e.container,
    ID: trunc ? e.id.replace(/^sha256:/, '').slice(0, 12) : e.id,
    MemPerc: bad ? '--' : `${e.memoryPercent.toFixed(2)}%`,
    MemUsage: bad ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    Name: e.name.length > 1 ? e.name.slice(1) : '--',
    NetIO: bad ? '--' : `${humanSize(e.netRx, 3)} / ${humanSize(e.netTx, 3)}`,
    PIDs: bad ? '--' : String(e.pids),
  };
}

export const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
export const STATS_HEADERS: Record<string, string> = { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };

/** An event as the API sends it (events.Message). */
export interface EventView {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  timeNano?: number;
}

/**
 * The message for --format: its JSON fields as they came (what `json`
 * prints), and Go's field names beside them (.Status, .ID, .From, .Scope,
 * .Time, .TimeNano), which templates use.
 */
export function eventForTemplate(e: EventView): EventView {
  const out = { ...e };
  const alias = (name: string, value: unknown): void => void Object.defineProperty(out, name, { value, enumerable: false });
  alias('Status', e.status ?? '');
  alias('ID', e.id ?? '');
  alias('From', e.from ?? '');
  alias('Scope', e.scope ?? '');
  alias('Time', e.time ?? 0);
  alias('TimeNano', e.timeNano ?? 0);
  return out;
}

/** `docker events`' line: the time with nanoseconds in the local zone, type, action, actor and its attributes in key order. */
export function eventLine(e: EventView, exactNanos?: bigint, tzOffsetMinutes = new Date().getTimezoneOffset()): string {
  let line = '';
  // a double holds timeNano to a few hundred nanoseconds: the caller may have the digits as sent
  const nanos = exactNanos ?? (e.timeNano ? BigInt(Math.round(e.timeNano / 1000)) * 1000n : e.time ? BigInt(e.time) * 1_000_000_000n : undefined);
  if (nanos !== undefined) line += `${rfc3339NanoFixed(nanos, tzOffsetMinutes)} `;
  line += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const attrs = Object.entries(e.Actor.Attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (attrs.length) line += ` (${attrs.map(([k, v]) => `${k}=${v}`).join(', ')})`;
  return `${line}\n`;
}

const pad = (n: number | bigint, w: number): string => String(n).padStart(w, '0');

/** Go's "2006-01-02T15:04:05.000000000Z07:00" for epoch nanoseconds, in the zone `getTimezoneOffset()` describes. */
export function rfc3339NanoFixed(nanos: bigint, tzOffsetMinutes: number): string {
  const ms = Number(nanos / 1_000_000n);
  const frac = nanos % 1_000_000_000n;
  const local = new Date(ms - tzOffsetMinutes * 60_000);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}T${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}`;
  return `${date}.${pad(frac < 0n ? frac + 1_000_000_000n : frac, 9)}${zone(tzOffsetMinutes)}`;
}

function zone(tzOffsetMinutes: number): string {
  if (tzOffsetMinutes === 0) return 'Z';
  const east = -tzOffsetMinutes;
  return `${east >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(east) / 60), 2)}:${pad(Math.abs(east) % 60, 2)}`;
}

/**
 * The docker client's GetTimestamp, for --since/--until: a Go duration
 * (that long ago), an RFC 3339 date or part of one (in the local zone when
 * it names none), or Unix seconds with an optional fraction, which pass
 * as they are. Returns "seconds.nanoseconds" as the API takes it.
 */
export function goTimestamp(value: string, now = Date.now(), tzOffsetMinutes = new Date(now).getTimezoneOffset()): string {
  if (value !== '0') {
    try {
      const d = parseGoDuration(value);
      return String(Math.floor((now * 1e6 - d) / 1e9));
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
    }
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (m) {
    const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', z] = m;
    let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (z === undefined) ms += tzOffsetMinutes * 60_000;
    else if (z !== 'Z' && z !== 'z') ms -= (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(4, 6))) * 60_000;
    return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0')}`;
  }
  if (value.includes('-') || !/^\d+(\.\d+)?$/.test(value)) {
    throw new EngineError('InvalidArgument', 'BAD_TIME', `failed to parse value as time or duration: ${JSON.stringify(value)}`);
  }
  return value;
}
