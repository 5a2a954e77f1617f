import { EngineError } from '../errors/engine-error.js';

/**
 * Docker's detach keys: the key sequence that, typed into an attached
 * terminal (`run -it`, `attach`, `exec -it`), leaves the container running
 * and ends the session. Written as docker writes them: keys separated by
 * commas, each a single character or `ctrl-<c>` for c in `@`, `a`–`z`,
 * `[`, `\`, `]`, `^`, `_` (the control codes 0–31).
 */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/** The bytes of a detach key sequence; an unknown key is refused as dockerd refuses it. */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
      continue;
    }
    const code = key.startsWith('ctrl-') && key.length === 6 ? CTRL.indexOf(key[5]!) : -1;
    if (code < 0 || key[5]!.charCodeAt(0) > 0x7f) {
      throw new EngineError('InvalidArgument', 'BAD_DETACH_KEYS', `Invalid detach keys (${spec}) provided`, { hint: `give keys such as ${DEFAULT_DETACH_KEYS}: single characters or ctrl-<a-z, @, [, \\, ], ^ or _>, separated by commas` });
    }
    bytes.push(code);
  }
  return Buffer.from(bytes);
}

/**
 * Watches a terminal's input for the detach sequence. Bytes that could be
 * its start are held back until the next byte tells: the whole sequence
 * is swallowed (and `detached` set), anything else is passed on as typed.
 */
export class DetachKeyScanner {
  private matched = 0;
  detached = false;

  constructor(private readonly keys: Buffer) {}

  /** The part of `chunk` to pass on. After the sequence, the rest of the chunk is dropped. */
  feed(chunk: Buffer): Buffer {
    if (this.detached || this.keys.length === 0) return this.detached ? Buffer.alloc(0) : chunk;
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        if (++this.matched === this.keys.length) {
          this.detached = true;
          break;
        }
        continue;
      }
      // not the sequence after all: what was held goes on, and this byte may start it again
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (byte === this.keys[0]) {
        if (this.keys.length === 1) {
          this.detached = true;
          break;
        }
        this.matched = 1;
      } else {
        out.push(byte);
      }
    }
    return Buffer.from(out);
  }
}
