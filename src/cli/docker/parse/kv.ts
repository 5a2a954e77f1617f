import { goFileError, ValueError } from './go.js';

/**
 * Environment variables and labels: -e/--env, --env-file, -l/--label and
 * --label-file, by the docker CLI's rules.
 *
 * - `-e KEY=VAL` is sent as it is; `-e KEY` takes KEY's value from the
 *   environment of the CLI when it is set there, and is sent bare otherwise.
 * - a file has KEY=VAL lines; leading whitespace is dropped, a line starting
 *   with `#` is a comment, the value is kept byte for byte (no quotes are
 *   removed), a key may not contain a space or a tab; a bare KEY line takes
 *   the value from the environment (env files) or is dropped (label files,
 *   and env files when KEY is not set).
 * - file entries come first, then the flags, so a flag overrides a file.
 */

export type Lookup = (key: string) => string | undefined;
export type ReadFile = (path: string) => Buffer;

/** The CLI's ValidateEnv, applied to each -e as it is parsed. */
export function expandEnv(value: string, lookup: Lookup): string {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key === '') throw new ValueError(`invalid environment variable: ${value}`);
  if (eq >= 0) return value;
  const v = lookup(key);
  return v === undefined ? value : `${key}=${v}`;
}

/** The CLI's ValidateLabel, applied to each -l. */
export function checkLabel(value: string): string {
  const eq = value.indexOf('=');
  const key = (eq < 0 ? value : value.slice(0, eq)).replace(/^[ \t]+/, '');
  if (key === '') throw new ValueError(`invalid label '${value}': empty name`);
  if (/[ \t]/.test(key)) throw new ValueError(`label '${key}' contains whitespaces`);
  return value;
}

const MAX_LINE = 64 * 1024;
/** Leading white space by Go's unicode.IsSpace. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * One env or label file, as KEY=VAL strings (the CLI's parseKeyValueFile).
 * `lookup` fills bare keys (env files); without it they are dropped
 * (label files).
 */
export function readKeyValueFile(path: string, readFile: ReadFile, lookup?: Lookup): string[] {
  let data: Buffer;
  try {
    data = readFile(path);
  } catch (err) {
    throw new ValueError(goFileError('open', path, err));
  }
  const out: string[] = [];
  let start = 0;
  let lineNo = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    const next = end < 0 ? data.length : end + 1;
    if (end < 0) end = data.length;
    // bufio.Scanner gives up on a line of 64 KiB or more
    if (end - start >= MAX_LINE) throw new ValueError('bufio.Scanner: token too long');
    let bytes = data.subarray(start, end);
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    start = next;
    if (!isUtf8(bytes)) throw new ValueError(`env file ${path} contains invalid utf8 bytes at line ${lineNo + 1}: [${Array.from(bytes).join(' ')}]`);
    if (lineNo === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    lineNo++;
    const line = bytes.toString('utf8').replace(GO_SPACE, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const variable = (eq < 0 ? line : line.slice(0, eq)).replace(/^[ \t]+/, '');
    if (/[ \t]/.test(variable)) throw new ValueError(`poorly formatted environment: variable '${variable}' contains whitespaces`);
    if (variable === '') throw new ValueError(`poorly formatted environment: no variable name on line '${line}'`);
    if (eq >= 0) {
      out.push(`${variable}=${line.slice(eq + 1)}`);
      continue;
    }
    // the whole line is looked up (trailing blanks included), and trimmed when found
    const value = lookup?.(line);
    if (value !== undefined) out.push(`${line.trim()}=${value}`);
  }
  return out;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The container's Env: the files' entries in order, then the -e values.
 * The CLI puts the -e values through a map on the way (for the proxy
 * settings of its config file), so a key given twice is sent once, with its
 * last value — and in an order that differs from run to run; berth keeps
 * the order in which the keys first appear.
 */
export function buildEnv(files: readonly string[], flags: readonly string[], readFile: ReadFile, lookup: Lookup): string[] | null {
  const out: string[] = [];
  for (const f of files) out.push(...readKeyValueFile(f, readFile, lookup));
  const byKey = new Map<string, string>();
  for (const v of flags) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    byKey.set(key, v);
  }
  out.push(...byKey.values());
  return out.length > 0 ? out : null;
}

/** The container's Labels: the files' entries, then -l; the last value of a key wins. */
export function buildLabels(files: readonly string[], flags: readonly string[], readFile: ReadFile): Record<string, string> {
  const all: string[] = [];
  for (const f of files) all.push(...readKeyValueFile(f, readFile));
  all.push(...flags);
  return kvMap(all);
}

/** KEY=VAL strings to a map (the CLI's ConvertKVStringsToMap): a bare KEY maps to "". */
export function kvMap(values: readonly string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) m[v] = '';
    else m[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return m;
}
