export function printJson(value: unknown, indent: boolean): void {
  process.stdout.write(JSON.stringify(value, null, indent ? '  ' : undefined) + '\n');
}

/** Columns padded to their widest cell, as runc's tabwriter prints them. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('');
  process.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
}
