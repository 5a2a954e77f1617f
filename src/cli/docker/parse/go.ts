/**
 * The few Go standard-library behaviours the docker CLI's flag parsing shows
 * to users: strconv's number and bool syntax with its error texts, %q
 * quoting, path.Clean and time.ParseDuration. berth's `run`/`create` accept
 * exactly what docker 20.10 accepts and fail with the same words, so these
 * follow Go's rules rather than JavaScript's (Number("0x10") and
 * parseInt("12abc") accept what Go refuses, and the reverse).
 */

/** A flag value that is not valid; the message is Go's or the docker CLI's, word for word. */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

/** Go's strconv.Quote (what %q prints for a string): printable characters kept, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (ESCAPES[ch] !== undefined) out += ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/[\p{C}\p{Z}]/u.test(ch)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** What %q prints for a single byte or rune: 'x'. */
export function goQuoteChar(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  return `'${goQuote(ch).slice(1, -1)}'`;
}

const ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

const numError = (fn: string, s: string, what: 'invalid syntax' | 'value out of range'): ValueError => new ValueError(`strconv.${fn}: parsing ${goQuote(s)}: ${what}`);

/**
 * The digits of an unsigned integer in Go's base-0 syntax (0x, 0o, 0b, a
 * leading 0 for octal, underscores between digits), as a bigint, or null
 * when the syntax is wrong.
 */
function unsignedBase0(s: string): bigint | null {
  if (s === '') return null;
  let base = 10;
  let digits = s;
  let prefixed = false;
  if (s[0] === '0' && s.length > 1) {
    const p = s[1]!.toLowerCase();
    if (p === 'x' || p === 'o' || p === 'b') {
      base = p === 'x' ? 16 : p === 'o' ? 8 : 2;
      digits = s.slice(2);
      prefixed = true;
    } else {
      base = 8;
      digits = s.slice(1);
      prefixed = true;
    }
  }
  if (s.includes('_') && !underscoresOk(s)) return null;
  digits = digits.replace(/_/g, '');
  if (digits === '') return prefixed && base === 8 ? 0n : null;
  let n = 0n;
  for (const c of digits.toLowerCase()) {
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) return null;
    n = n * BigInt(base) + BigInt(d);
  }
  return n;
}

/** Go's underscoreOK: underscores only between digits, or after a base prefix. */
function underscoresOk(s: string): boolean {
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && /[bBoOxX]/.test(s[1]!)) {
    hex = /[xX]/.test(s[1]!);
    i = 2;
    saw = '0';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (/[0-9]/.test(c) || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(s, 0, bits). Precise to 2^53; beyond that the JSON number is rounded (see README of run-request). */
export function parseGoInt(s: string, bits = 64): number {
  let body = s;
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    body = s.slice(1);
  }
  const n = unsignedBase0(body);
  if (n === null) throw numError('ParseInt', s, 'invalid syntax');
  const limit = 1n << BigInt(bits - 1);
  if ((!negative && n >= limit) || (negative && n > limit)) throw numError('ParseInt', s, 'value out of range');
  return Number(negative ? -n : n);
}

/** strconv.ParseUint(s, 0, bits). */
export function parseGoUint(s: string, bits = 64): number {
  const n = unsignedBase0(s);
  if (n === null) throw numError('ParseUint', s, 'invalid syntax');
  if (n >= 1n << BigInt(bits)) throw numError('ParseUint', s, 'value out of range');
  return Number(n);
}

/** strconv.Atoi: decimal only, optional sign. */
export function goAtoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw numError('Atoi', s, 'invalid syntax');
  const n = BigInt(s);
  if (n >= 1n << 63n || n < -(1n << 63n)) throw numError('Atoi', s, 'value out of range');
  return Number(n);
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw numError('ParseBool', s, 'invalid syntax');
}

/** Go's path.Clean: lexical, slash-separated. */
export function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n,
  'μs': 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number {
  const invalid = (): ValueError => new ValueError(`time: invalid duration ${goQuote(s)}`);
  let rest = s;
  let negative = false;
  if (rest[0] === '-' || rest[0] === '+') {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0n;
  const max = 1n << 63n;
  while (rest !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
    const [whole, intPart = '', fracPart] = m;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) throw invalid();
    rest = rest.slice(whole.length);
    const u = /^[^0-9.]*/.exec(rest)![0];
    if (u === '') throw new ValueError(`time: missing unit in duration ${goQuote(s)}`);
    const unit = UNITS[u];
    if (unit === undefined) throw new ValueError(`time: unknown unit ${goQuote(u)} in duration ${goQuote(s)}`);
    rest = rest.slice(u.length);
    let v = BigInt(intPart || '0') * unit;
    if (fracPart) {
      // Go keeps the fraction to the precision of the unit, truncating
      const scale = 10n ** BigInt(fracPart.length);
      v += (BigInt(fracPart) * unit) / scale;
    }
    total += v;
    if (total > max || (total === max && !negative)) throw invalid();
  }
  return Number(negative ? -total : total);
}

/** Go's errors from opening or reading a file (os.Open, then Read), in Go's words. */
export function goFileError(op: 'open' | 'read', path: string, err: unknown): string {
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  const text = ERRNO_TEXT[code];
  if (code === 'EISDIR') return `read ${path}: is a directory`;
  return `${op} ${path}: ${text ?? (err instanceof Error ? err.message : String(err))}`;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EISDIR: 'is a directory',
};

/** A copy with its keys in order, as Go's JSON writes a map (deep equality does not care; byte comparisons do). */
export function sortedRecord<V>(r: Record<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}
