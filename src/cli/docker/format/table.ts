/**
 * Go's text/tabwriter as the docker CLI sets it up (minwidth 10, padding 3,
 * spaces): tab-separated cells become aligned columns. As in Go, only
 * tab-terminated cells form columns; the text after a line's last tab is
 * printed as it is.
 */
const MIN_WIDTH = 10;
const PADDING = 3;

/** Display width: what a terminal shows (code points, not UTF-16 units). */
const width = (s: string): number => [...s].length;

export function alignColumns(lines: string[]): string {
  const rows = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of rows) {
    cells.slice(0, -1).forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, Math.max(MIN_WIDTH, width(c) + PADDING));
    });
  }
  return rows
    .map((cells) => cells.map((c, i) => (i < cells.length - 1 ? c + ' '.repeat(widths[i]! - width(c)) : c)).join(''))
    .map((l) => `${l}\n`)
    .join('');
}
