/** Query strings as Docker's Go client writes them. */

export type QueryValue = string | number | boolean | undefined | null | readonly string[];
export type Filters = Record<string, readonly string[]>;

/**
 * Encodes parameters: true as "1" and false as "0" (dockerd reads both),
 * arrays as repeated parameters, undefined and null left out; `filters` in
 * the map form current daemons and clients use, left out when empty.
 */
export function encodeQuery(params: Record<string, QueryValue> = {}, filters?: Filters): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) q.append(key, v);
    else if (typeof value === 'boolean') q.append(key, value ? '1' : '0');
    else q.append(key, String(value));
  }
  const f = filters ? encodeFilters(filters) : '';
  if (f !== '') q.set('filters', f);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** `{ name: ["web"] }` → `{"name":{"web":true}}`; empty when there is nothing to filter on. */
export function encodeFilters(filters: Filters): string {
  const doc: Record<string, Record<string, true>> = {};
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    doc[key] = Object.fromEntries(values.map((v) => [v, true]));
  }
  return Object.keys(doc).length === 0 ? '' : JSON.stringify(doc);
}
