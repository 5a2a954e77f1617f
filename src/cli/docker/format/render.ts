import { alignColumns } from './table.js';
import { compileTemplate } from './template.js';

/**
 * How the docker CLI prints a list: a table by default (`table …` formats
 * get a header row made by running the template over the column headers,
 * and aligned columns), `json` (one JSON object per line), or any other Go
 * template, one line per item.
 */
export interface ListFormat {
  /** The default, e.g. "table {{.Repository}}\t{{.Tag}}\t{{.ID}}". */
  table: string;
  /** Field → column header ("ID" → "IMAGE ID"); other fields get their upper-case name. */
  headers: Record<string, string>;
}

function headerRow(format: string, headers: Record<string, string>): string {
  const proxy = new Proxy(headers, { get: (h, k) => (typeof k === 'string' ? (h[k] ?? k.toUpperCase()) : undefined) });
  return compileTemplate(format).execute(proxy);
}

export function renderList(items: readonly unknown[], spec: ListFormat, format?: string): string {
  const f = format === undefined || format === '' || format === 'table' ? spec.table : format;
  if (f === 'json') return items.map((i) => `${JSON.stringify(i)}\n`).join('');
  if (f.startsWith('table')) {
    const body = f.slice('table'.length).trimStart();
    const t = compileTemplate(body);
    return alignColumns([headerRow(body, spec.headers), ...items.map((i) => t.execute(i))]);
  }
  const t = compileTemplate(f);
  return items.map((i) => `${t.execute(i)}\n`).join('');
}

/** `inspect --format`: each object through the template, or all as an indented JSON array. */
export function renderInspect(items: readonly unknown[], format?: string): string {
  if (format === undefined || format === '') return `${JSON.stringify(items, null, 4)}\n`;
  if (format === 'json') return `${JSON.stringify(items)}\n`;
  const t = compileTemplate(format);
  return items.map((i) => `${t.execute(i)}\n`).join('');
}
