import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, watch } from 'node:fs';
import { EngineError } from '../errors/engine-error.js';

/** One json-file entry, as berth-shim writes it (Docker's format). */
export interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  /** unix seconds (fractions allowed); entries before it are skipped */
  since?: number | undefined;
  /** unix seconds; entries after it are skipped */
  until?: number | undefined;
  /** the last N entries only ("all": every one) */
  tail?: number | undefined;
  follow: boolean;
}

/** Docker's --since/--until: unix seconds, RFC 3339, or a duration ago (10m, 1h30m). */
export function parseLogTime(text: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const d = /^((\d+(\.\d+)?)(h|m|s|ms))+$/.test(text) ? durationMs(text) : undefined;
  if (d !== undefined) return (now - d) / 1000;
  const t = Date.parse(text);
  if (!Number.isNaN(t)) return t / 1000;
  throw new EngineError('InvalidArgument', 'BAD_TIME', `invalid time value ${JSON.stringify(text)}`, { hint: 'give unix seconds, an RFC 3339 date, or a duration such as 10m' });
}

function durationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
  return total;
}

/** Nanosecond-precision RFC 3339 as seconds (a double is precise enough to compare at µs). */
function entrySeconds(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return Date.parse(time) / 1000;
  return Date.parse(`${m[1]}${m[3]}`) / 1000 + (m[2] ? Number(`0${m[2]}`) : 0);
}

function parseLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // a line cut by a crash mid-write: skipped, as Docker skips it
    }
  }
  return out;
}

function wanted(e: LogEntry, o: LogOptions): boolean {
  if (e.stream === 'stdout' ? !o.stdout : !o.stderr) return false;
  if (o.since === undefined && o.until === undefined) return true;
  const t = entrySeconds(e.time);
  return (o.since === undefined || t >= o.since) && (o.until === undefined || t <= o.until);
}

/** The rotated files oldest first, then the live one. */
function logFiles(path: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; existsSync(`${path}.${i}`); i++) rotated.push(`${path}.${i}`);
  return [...rotated.reverse(), ...(existsSync(path) ? [path] : [])];
}

/**
 * The entries of a container's log, then (with follow) new ones as they
 * are written, until `done` resolves (the container's exit) and the file
 * has been read to its end.
 */
export async function* readLogs(path: string, o: LogOptions, done: Promise<void>, signal?: AbortSignal): AsyncGenerator<LogEntry> {
  let entries: LogEntry[] = [];
  for (const f of logFiles(path)) entries.push(...parseLines(readFileSync(f, 'utf8')).filter((e) => wanted(e, o)));
  if (o.tail !== undefined && o.tail >= 0) entries = o.tail === 0 ? [] : entries.slice(-o.tail);
  yield* entries;
  if (!o.follow) return;
  let offset = existsSync(path) ? statSync(path).size : 0;
  let finished = false;
  void done.then(() => (finished = true));
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const watcher = existsSync(path) ? watch(path, nudge) : undefined;
  const timer = setInterval(nudge, 250); // rotation replaces the file under the watcher
  signal?.addEventListener('abort', nudge);
  let partial = '';
  try {
    for (;;) {
      if (signal?.aborted) return;
      const size = existsSync(path) ? statSync(path).size : 0;
      if (size < offset) offset = 0; // rotated: the live file is new
      if (size > offset) {
        const fd = openSync(path, 'r');
        const buf = Buffer.alloc(size - offset);
        try {
          readSync(fd, buf, 0, buf.length, offset);
        } finally {
          closeSync(fd);
        }
        offset = size;
        const text = partial + buf.toString('utf8');
        const cut = text.lastIndexOf('\n');
        partial = text.slice(cut + 1);
        for (const e of parseLines(text.slice(0, cut + 1))) if (wanted(e, o)) yield e;
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        void done.then(resolve);
      });
    }
  } finally {
    watcher?.close();
    clearInterval(timer);
  }
}
