import { EngineError } from '../errors/engine-error.js';
import { familiarName, familiarString, type Reference } from './reference.js';

/**
 * Docker's filter arguments for `images` and `image prune`, as dockerd
 * reads them (api/types/filters): a name maps to values; values of one
 * name are alternatives for `reference`, all required for `label`.
 */
export type Filters = Record<string, string[]>;

/** Refuses names the operation does not know, with Docker's message. */
export function checkFilterNames(filters: Filters, accepted: readonly string[]): void {
  for (const name of Object.keys(filters)) {
    if (!accepted.includes(name)) throw new EngineError('InvalidArgument', 'INVALID_FILTER', `invalid filter '${name}'`, { hint: `accepted: ${accepted.join(', ')}` });
  }
}

export function invalidFilterValue(name: string, values: readonly string[]): EngineError {
  return new EngineError('InvalidArgument', 'INVALID_FILTER', `invalid filter '${name}=${values.join(',')}'`);
}

/** `dangling=true|false` (prune also takes 1|0); undefined when the filter is absent. */
export function danglingFilter(filters: Filters, allowNumbers: boolean): boolean | undefined {
  const values = filters['dangling'];
  if (!values || values.length === 0) return undefined;
  const only = (v: string): boolean => values.every((x) => x === v);
  if (only('true') || (allowNumbers && only('1'))) return true;
  if (only('false') || (allowNumbers && only('0'))) return false;
  throw invalidFilterValue('dangling', values);
}

/** Docker's MatchKVList: every `key` or `key=value` must hold. No filter matches everything. */
export function matchLabels(values: readonly string[] | undefined, labels: Record<string, string> | null | undefined): boolean {
  if (!values || values.length === 0) return true;
  if (!labels || Object.keys(labels).length === 0) return false;
  return values.every((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === v.slice(eq + 1);
  });
}

/**
 * Go's path.Match: `*` any run of non-slash characters, `?` one, `[...]`
 * a class (with ranges and `^` negation), `\` escapes. A malformed
 * pattern is an error, as in Go.
 */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) throw badPattern(pattern);
      re += escapeRe(next);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw badPattern(pattern);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^/' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`).test(name);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
function badPattern(pattern: string): EngineError {
  return new EngineError('InvalidArgument', 'INVALID_FILTER', `invalid filter 'reference=${pattern}': syntax error in pattern`);
}

/** Docker's FamiliarMatch: the pattern against "name:tag", then against the name alone. */
export function referenceMatches(pattern: string, ref: Reference): boolean {
  return globMatch(pattern, familiarString(ref)) || globMatch(pattern, familiarName(ref));
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `until` as Docker reads it (timetypes.GetTimestamp): a Go duration
 * before now ("24h", "1h30m"), Unix seconds ("1700000000.5"), or an
 * RFC 3339 date or time.
 */
export function parseUntil(value: string, now: Date): Date {
  if (DURATION.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return new Date(now.getTime() - ms);
  }
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(parsed)) {
    throw new EngineError('InvalidArgument', 'INVALID_FILTER', `invalid filter 'until=${value}': not a timestamp or a duration`, { hint: 'use e.g. 24h, 2024-01-02T15:04:05Z or Unix seconds' });
  }
  return new Date(parsed);
}
