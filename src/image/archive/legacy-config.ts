import type { Digest } from '../../lib/digest.js';

/**
 * Image configs for the legacy (pre-1.10) save format, which has no image
 * config: each layer directory's `json` is a v1 image, and dockerd makes a
 * config of it (image/v1 MakeConfigFromV1Config) by dropping the v1-only
 * keys, adding rootfs and history, and marshalling the result as a Go map.
 * Done the same way here — top-level keys sorted, every value kept as it
 * was written but compacted and HTML-escaped as Go's encoder compacts a
 * json.RawMessage — the config bytes, and so the image ID, are the ones
 * dockerd gets for the same archive. (dockerd re-marshals v1 images older
 * than docker_version 1.8.3, or without one, through its structs first;
 * for those the bytes, and the ID, differ from dockerd's.)
 */

export interface LegacyHistory {
  created: string;
  author?: string;
  created_by?: string;
  comment?: string;
}

/** Splits a JSON object's text into its top-level keys and the raw text of their values (input already valid JSON). */
function topLevelMembers(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = text.indexOf('{') + 1;
  const skipWs = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const stringEnd = (start: number): number => {
    let j = start + 1;
    while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  const valueEnd = (start: number): number => {
    if (text[start] === '"') return stringEnd(start);
    if (text[start] !== '{' && text[start] !== '[') {
      let j = start;
      while (j < text.length && !/[\s,}\]]/.test(text[j]!)) j++;
      return j;
    }
    let depth = 0;
    for (let j = start; ; ) {
      const c = text[j]!;
      if (c === '"') {
        j = stringEnd(j);
        continue;
      }
      if (c === '{' || c === '[') depth++;
      if (c === '}' || c === ']') depth--;
      j++;
      if (depth === 0) return j;
    }
  };
  for (;;) {
    skipWs();
    if (text[i] === '}') break;
    const keyEnd = stringEnd(i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = keyEnd;
    skipWs();
    i++; // the colon
    skipWs();
    const end = valueEnd(i);
    out.set(key, text.slice(i, end)); // a repeated key: the last one wins, as in Go's decoder
    i = end;
    skipWs();
    if (text[i] === ',') i++;
  }
  return out;
}

/** Go's compact(dst, src, escapeHTML=true): whitespace out, <>& and U+2028/9 escaped inside strings, the rest untouched. */
export function goCompact(raw: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      if (c === '\\') {
        out += c + raw[++i]!;
        continue;
      }
      if (c === '"') inString = false;
      out += c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : c === '&' ? '\\u0026' : c === '\u2028' ? '\\u2028' : c === '\u2029' ? '\\u2029' : c;
      continue;
    }
    if (c === '"') inString = true;
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') out += c;
  }
  return out;
}

/** A string as Go's encoder writes it (HTML-safe). */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A time as Go re-marshals the value it parsed (RFC 3339 with nanoseconds,
 * trailing zeros of the fraction dropped, a zero offset written Z); Go's
 * zero time for none. Text that is not RFC 3339 is kept as it is.
 */
export function goTime(value: unknown): string {
  if (typeof value !== 'string') return '0001-01-01T00:00:00Z';
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!m) return value;
  const fraction = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
  return `${m[1]}${fraction ? `.${fraction}` : ''}${zone}`;
}

/** The history entry dockerd makes of a v1 image (image/v1 HistoryFromConfig). */
export function historyFromV1(v1: Record<string, unknown>): LegacyHistory {
  const h: LegacyHistory = { created: goTime(v1['created']) };
  if (typeof v1['author'] === 'string' && v1['author']) h.author = v1['author'];
  const cmd = (v1['container_config'] as { Cmd?: unknown } | null | undefined)?.Cmd;
  const createdBy = Array.isArray(cmd) ? cmd.join(' ') : '';
  if (createdBy) h.created_by = createdBy;
  if (typeof v1['comment'] === 'string' && v1['comment']) h.comment = v1['comment'];
  return h;
}

const V1_ONLY = new Set(['id', 'parent', 'Size', 'parent_id', 'layer_id', 'throwaway']);

/**
 * The config bytes of a legacy layer's image: its v1 json (exact text)
 * with the diff IDs of it and the layers below, and the history of them
 * all. `defaults` fills in fields berth requires that very old v1 images
 * lack (architecture, os).
 */
export function configFromV1(v1Text: string, diffIds: readonly Digest[], history: readonly LegacyHistory[], defaults: { architecture: string; os: string }): Buffer {
  const members = topLevelMembers(v1Text);
  for (const key of V1_ONLY) members.delete(key);
  const historyJson = history.map((h) => {
    let s = `{"created":${goString(h.created)}`;
    if (h.author) s += `,"author":${goString(h.author)}`;
    if (h.created_by) s += `,"created_by":${goString(h.created_by)}`;
    if (h.comment) s += `,"comment":${goString(h.comment)}`;
    return `${s}}`;
  });
  const raw = new Map<string, string>([...members].map(([k, v]) => [k, goCompact(v)]));
  for (const [key, value] of Object.entries(defaults)) {
    if (!/^"[^"]+"$/.test(raw.get(key) ?? '')) raw.set(key, goString(value));
  }
  raw.set('rootfs', `{"type":"layers","diff_ids":[${diffIds.map((d) => `"${d}"`).join(',')}]}`);
  raw.set('history', `[${historyJson.join(',')}]`);
  const keys = [...raw.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(`{${keys.map((k) => `${goString(k)}:${raw.get(k)}`).join(',')}}`);
}
