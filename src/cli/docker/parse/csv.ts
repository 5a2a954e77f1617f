import { ValueError } from './go.js';

/**
 * The first record of a comma-separated value, read as Go's encoding/csv
 * reads it (the docker CLI reads --mount, --network and --gpus this way):
 * a field in double quotes may hold commas, `""` is a quote inside one, and
 * a quote anywhere else is an error — with Go's message and column.
 */
export function readCsvRecord(input: string): string[] {
  // Go skips empty lines before the record, and an input with nothing else is EOF
  const blank = /^(?:\r?\n)*/.exec(input)![0];
  let text = input.slice(blank.length);
  if (text === '') throw new ValueError('EOF');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const fields: string[] = [];
  const start = blank.split('\n').length;
  let line = start;
  let col = 1;
  let i = 0;
  const fail = (l: number, c: number, what: string): never => {
    const where = `parse error on line ${l}, column ${c}: ${what}`;
    throw new ValueError(l === start ? where : `record on line ${start}; ${where}`);
  };
  for (;;) {
    if (text[i] !== '"') {
      // a plain field runs to the next comma or the end of the line
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      const field = text.slice(i, end).replace(/\r$/, '');
      const q = field.indexOf('"');
      if (q >= 0) fail(line, col + q, 'bare " in non-quoted-field');
      fields.push(field);
      if (text[end] === ',') {
        col += end + 1 - i;
        i = end + 1;
        continue;
      }
      return fields;
    }
    // a quoted field
    i++;
    col++;
    let field = '';
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) {
        // no closing quote: Go reads on to the end and reports where the input stopped
        const rest = text.slice(i);
        const nl = rest.lastIndexOf('\n');
        if (nl >= 0) {
          line += rest.split('\n').length - 1;
          col = rest.length - nl;
        } else {
          col += rest.length;
        }
        return fail(line, col, 'extraneous or missing " in quoted-field');
      }
      const chunk = text.slice(i, q);
      field += chunk;
      const nl = chunk.lastIndexOf('\n');
      if (nl >= 0) {
        line += chunk.split('\n').length - 1;
        col = chunk.length - nl + 1;
      } else {
        col += chunk.length + 1;
      }
      i = q + 1;
      const next = text[i];
      if (next === '"') {
        field += '"';
        i++;
        col++;
        continue;
      }
      if (next === ',') {
        fields.push(field);
        i++;
        col++;
        break;
      }
      if (next === undefined || next === '\n' || (next === '\r' && text[i + 1] === '\n')) {
        fields.push(field);
        return fields;
      }
      return fail(line, col - 1, 'extraneous or missing " in quoted-field');
    }
  }
}
