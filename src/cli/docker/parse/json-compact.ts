import { goQuoteChar, ValueError } from './go.js';

/**
 * Go's json.Compact: the JSON text with the white space between tokens
 * removed and nothing else changed — numbers keep their spelling (1.50
 * stays 1.50), strings their escapes, objects their key order and any
 * duplicate keys. The docker CLI sends a seccomp profile this way
 * (`seccomp=<compact JSON>`), so berth cannot use JSON.parse/stringify,
 * which would rewrite all of those. Invalid JSON fails with the message
 * Go's scanner gives.
 */
export function compactJson(input: Uint8Array): string {
  // Go's scanner reads bytes, and names a bad byte as the rune of that value ('ï' for 0xEF):
  // so does this, on the bytes as Latin-1 characters
  const src = Buffer.from(input).toString('latin1');
  let i = 0;
  let out = '';
  const n = src.length;
  const eof = (): never => {
    throw new ValueError('unexpected end of JSON input');
  };
  const bad = (context: string): never => {
    throw new ValueError(`invalid character ${goQuoteChar(src[i]!)} ${context}`);
  };
  const ws = (): void => {
    while (i < n && (src[i] === ' ' || src[i] === '\t' || src[i] === '\n' || src[i] === '\r')) i++;
  };
  const digits = (context: string): void => {
    if (i >= n) eof();
    if (!/[0-9]/.test(src[i]!)) bad(context);
    while (i < n && /[0-9]/.test(src[i]!)) out += src[i++];
  };

  const value = (): void => {
    ws();
    if (i >= n) eof();
    const c = src[i]!;
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || /[0-9]/.test(c)) return number();
    for (const lit of ['true', 'false', 'null']) {
      if (c !== lit[0]) continue;
      out += src[i++];
      for (const expect of lit.slice(1)) {
        if (i >= n) eof();
        if (src[i] !== expect) bad(`in literal ${lit} (expecting ${goQuoteChar(expect)})`);
        out += src[i++];
      }
      return;
    }
    bad('looking for beginning of value');
  };

  const number = (): void => {
    if (src[i] === '-') {
      out += src[i++];
      if (i >= n) eof();
      if (!/[0-9]/.test(src[i]!)) bad('in numeric literal');
    }
    if (src[i] === '0') out += src[i++];
    else digits('in numeric literal');
    if (src[i] === '.') {
      out += src[i++];
      digits('after decimal point in numeric literal');
    }
    if (src[i] === 'e' || src[i] === 'E') {
      out += src[i++];
      if (src[i] === '+' || src[i] === '-') out += src[i++];
      digits('in exponent of numeric literal');
    }
  };

  const string = (): void => {
    out += src[i++];
    for (;;) {
      if (i >= n) eof();
      const c = src[i]!;
      if (c === '"') {
        out += src[i++];
        return;
      }
      if (c < ' ') bad('in string literal');
      if (c === '\\') {
        out += src[i++];
        if (i >= n) eof();
        const e = src[i]!;
        if (e === 'u') {
          out += src[i++];
          for (let k = 0; k < 4; k++) {
            if (i >= n) eof();
            if (!/[0-9a-fA-F]/.test(src[i]!)) bad('in \\u hexadecimal character escape');
            out += src[i++];
          }
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) bad('in string escape code');
      }
      out += src[i++];
    }
  };

  const object = (): void => {
    out += src[i++];
    ws();
    if (i >= n) eof();
    if (src[i] === '}') {
      out += src[i++];
      return;
    }
    for (;;) {
      ws();
      if (i >= n) eof();
      if (src[i] !== '"') bad('looking for beginning of object key string');
      string();
      ws();
      if (i >= n) eof();
      if (src[i] !== ':') bad('after object key');
      out += src[i++];
      value();
      ws();
      if (i >= n) eof();
      if (src[i] === ',') {
        out += src[i++];
        continue;
      }
      if (src[i] === '}') {
        out += src[i++];
        return;
      }
      bad('after object key:value pair');
    }
  };

  const array = (): void => {
    out += src[i++];
    ws();
    if (i >= n) eof();
    if (src[i] === ']') {
      out += src[i++];
      return;
    }
    for (;;) {
      value();
      ws();
      if (i >= n) eof();
      if (src[i] === ',') {
        out += src[i++];
        continue;
      }
      if (src[i] === ']') {
        out += src[i++];
        return;
      }
      bad('after array element');
    }
  };

  value();
  ws();
  if (i < n) bad('after top-level value');
  return Buffer.from(out, 'latin1').toString('utf8');
}
