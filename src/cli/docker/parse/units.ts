import type { Ulimit } from '../../../engine/spec/types.js';
import { goQuote, ValueError } from './go.js';

/**
 * Sizes, CPU counts and ulimits as the docker CLI reads them (go-units and
 * the CLI's opts package): "512m", "1.5g", "64 MiB" are binary multiples;
 * "1.5" CPUs is 1500000000 NanoCpus; "nofile=1024:2048" a soft:hard pair.
 */

const SIZE_RE = /^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const BINARY: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
const INT64_MIN = -(2 ** 63);

/** go-units RAMInBytes: what -m, --shm-size, --memory-reservation, tmpfs-size take. */
export function ramInBytes(s: string): number {
  const m = SIZE_RE.exec(s);
  if (!m) throw new ValueError(`invalid size: '${s}'`);
  const digits = m[1]!;
  // \d+(\.\d+)* lets "1.2.3" through the pattern; Go's ParseFloat then refuses it
  if (digits.split('.').length > 2) throw new ValueError(`strconv.ParseFloat: parsing ${goQuote(digits)}: invalid syntax`);
  let size = Number(digits);
  if (!Number.isFinite(size)) throw new ValueError(`strconv.ParseFloat: parsing ${goQuote(digits)}: value out of range`);
  const unit = m[3]?.toLowerCase();
  if (unit) size *= BINARY[unit]!;
  // Go's int64(float64) on amd64: out of range becomes the minimum int64
  return size >= 2 ** 63 ? INT64_MIN : Math.trunc(size);
}

/** --memory-swap: a size, or -1 for unlimited swap. */
export function memSwapBytes(s: string): number {
  return s === '-1' ? -1 : ramInBytes(s);
}

/** --cpus: a decimal or a fraction, in units of 10⁻⁹ CPUs (the CLI's ParseCPUs over big.Rat). */
export function parseNanoCpus(s: string): number {
  const r = parseRational(s);
  if (!r) throw new ValueError(`failed to parse ${s} as a rational number`);
  const nano = r.num * 1_000_000_000n;
  if (nano % r.den !== 0n) throw new ValueError('value is too precise');
  return Number(nano / r.den);
}

/** big.Rat SetString for the forms people type: "1.5", "-2", "3/2", "1e-1", ".5". */
function parseRational(s: string): { num: bigint; den: bigint } | null {
  const frac = /^([+-]?[0-9]+)\/([0-9]+)$/.exec(s);
  if (frac) {
    const den = BigInt(frac[2]!);
    return den === 0n ? null : { num: BigInt(frac[1]!), den };
  }
  const dec = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(s);
  if (!dec) return null;
  const [, sign, intPart = '', fracPart = '', exp] = dec;
  if (intPart === '' && fracPart === '') return null;
  let num = BigInt(intPart + fracPart || '0');
  let den = 10n ** BigInt(fracPart.length);
  const e = exp === undefined ? 0 : Number(exp);
  if (Math.abs(e) > 10_000) return null;
  if (e > 0) num *= 10n ** BigInt(e);
  else if (e < 0) den *= 10n ** BigInt(-e);
  if (sign === '-') num = -num;
  return { num, den };
}

const ULIMIT_NAMES = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

function int64(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new ValueError(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n >= 1n << 63n || n < -(1n << 63n)) throw new ValueError(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  return Number(n);
}

/** go-units ParseUlimit: name=soft[:hard]; the hard limit defaults to the soft one; -1 is unlimited. */
export function parseUlimit(s: string): Ulimit {
  const eq = s.indexOf('=');
  if (eq < 0) throw new ValueError(`invalid ulimit argument: ${s}`);
  const name = s.slice(0, eq);
  if (!ULIMIT_NAMES.has(name)) throw new ValueError(`invalid ulimit type: ${name}`);
  const limits = s.slice(eq + 1).split(':');
  if (limits.length > 2) throw new ValueError(`too many limit value arguments - ${s.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const hard = limits.length === 2 ? int64(limits[1]!) : undefined;
  const soft = int64(limits[0]!);
  const h = hard ?? soft;
  if (h !== -1) {
    if (soft === -1) throw new ValueError(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${h}`);
    if (soft > h) throw new ValueError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${h}`);
  }
  return { Name: name, Hard: h, Soft: soft };
}
