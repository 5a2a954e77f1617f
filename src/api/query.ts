import { EngineError } from '../errors/engine-error.js';

/** Docker's list filters: a key and the values any of which may match. */
export type Filters = Record<string, string[]>;

/**
 * A request's query string, read with dockerd's rules: a boolean is false
 * when absent, empty, "0", "no", "false" or "none" (any case) and true
 * otherwise; `filters` is JSON in either of the forms clients send.
 */
export class Query {
  constructor(readonly raw: URLSearchParams) {}

  static parse(search: string): Query {
    return new Query(new URLSearchParams(search));
  }

  has(name: string): boolean {
    return this.raw.has(name);
  }

  /** The first value, or undefined when absent. */
  string(name: string): string | undefined {
    return this.raw.get(name) ?? undefined;
  }

  /** Every value of a repeated parameter (`?a=1&a=2`). */
  strings(name: string): string[] {
    return this.raw.getAll(name);
  }

  /** dockerd's BoolValue; `fallback` when the parameter is absent altogether. */
  bool(name: string, fallback = false): boolean {
    const v = this.raw.get(name);
    if (v === null) return fallback;
    return !FALSE_WORDS.has(v.trim().toLowerCase());
  }

  /**
   * An integer, `fallback` when absent or empty; a malformed one is a 400
   * naming the parameter (dockerd's handlers reject these one by one).
   */
  int(name: string, fallback?: number): number | undefined {
    const v = this.raw.get(name);
    if (v === null || v === '') return fallback;
    if (!/^[+-]?\d+$/.test(v.trim())) {
      throw new EngineError('InvalidArgument', 'BAD_QUERY_PARAMETER', `invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
    }
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n)) throw new EngineError('InvalidArgument', 'BAD_QUERY_PARAMETER', `invalid value for ${name}: ${v} is out of range`);
    return n;
  }

  /** The `filters` parameter (or another of the same JSON shape). */
  filters(name = 'filters'): Filters {
    return parseFilters(this.raw.get(name) ?? '');
  }
}

const FALSE_WORDS = new Set(['', '0', 'no', 'false', 'none']);

/**
 * Parses Docker's filters JSON. Today's clients send `{"name":{"x":true}}`
 * (a set, as a map to true); older ones `{"name":["x"]}`. Both become
 * `{ name: ["x"] }`. An empty string means no filters.
 */
export function parseFilters(json: string): Filters {
  if (json === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw invalidFilter();
  }
  if (doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalidFilter();
  const out: Filters = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (value === null) {
      out[key] = [];
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      out[key] = [...new Set(value as string[])];
    } else if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'boolean')) {
      // dockerd keeps every key of the set, whatever its boolean says
      out[key] = Object.keys(value);
    } else {
      throw invalidFilter();
    }
  }
  return out;
}

const invalidFilter = (): EngineError => new EngineError('InvalidArgument', 'INVALID_FILTER', 'invalid filter');
