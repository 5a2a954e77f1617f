import { EngineError } from '../../errors/engine-error.js';
import { BLOCK, corrupt, decodeHeader, decodeName, decodePax, type RawHeader, type TarHeader, type TarType } from './tar-header.js';

/**
 * A streaming tar reader: entries one at a time, each body read from the
 * source as it is consumed, so a layer of any size needs memory only for a
 * chunk. Strict where leniency would hide damage: every header's checksum
 * is checked, numbers must be numbers, PAX and GNU long-name records are
 * bounded, a body that ends early or an archive without its end-of-archive
 * marker is an error (an empty input is an empty archive). Every failure
 * is an EngineError (TAR_CORRUPT…) naming the byte offset.
 */

export interface TarEntry {
  header: TarHeader;
  /** The content (regular files only); read it before asking for the next entry, or it is skipped. */
  body: AsyncIterable<Buffer>;
}

/** PAX and GNU long-name records larger than this are refused (Go's archive/tar draws the line there too). */
const MAX_META_SIZE = 1 << 20;

const TYPES: Record<string, TarType> = { '0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

/** Pulls bytes from an async iterable of chunks, in exact amounts. */
class ByteSource {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far: the archive offset of the next byte. */
  offset = 0;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Buffers at least n bytes; false if the input ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.ended) {
      const next = await this.it.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
        this.chunks.push(chunk);
        this.buffered += chunk.length;
      }
    }
    return this.buffered >= n;
  }

  /** Up to n bytes that are already buffered (or one more chunk): zero-copy. */
  private async some(n: number): Promise<Buffer | undefined> {
    if (this.buffered === 0 && !(await this.fill(1))) return undefined;
    const first = this.chunks[0]!;
    const take = first.length <= n ? first : first.subarray(0, n);
    if (take === first) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= take.length;
    this.offset += take.length;
    return take;
  }

  /** Exactly n bytes, or undefined at a clean end of input (nothing left); a partial read is truncation. */
  async exact(n: number, what: string): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.buffered === 0) return undefined;
      throw corrupt(this.offset + this.buffered, `the archive ends inside ${what}`);
    }
    const parts: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const part = (await this.some(left))!;
      parts.push(part);
      left -= part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /** n bytes as chunks; the input ending first is truncation. */
  async *stream(n: number, what: string): AsyncGenerator<Buffer> {
    for (let left = n; left > 0; ) {
      const part = await this.some(left);
      if (!part) throw corrupt(this.offset, `the archive ends inside ${what}`);
      left -= part.length;
      yield part;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const part of this.stream(n, what)) void part;
  }

  /** Reads whatever follows (padding after the end marker), so the whole input is consumed and any decompression error surfaces. */
  async drain(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    while (!this.ended) {
      const next = await this.it.next();
      if (next.done) this.ended = true;
    }
  }

  async close(): Promise<void> {
    if (!this.ended) await this.it.return?.();
  }
}

interface Pending {
  pax: Map<string, Buffer> | undefined;
  longName: string | undefined;
  longLink: string | undefined;
}

function paxText(records: Map<string, Buffer>, key: string, offset: number): string | undefined {
  const value = records.get(key);
  if (value === undefined || value.length === 0) return undefined;
  return decodeName(value, offset, `PAX ${key}`);
}

function paxNumber(records: Map<string, Buffer>, key: string, offset: number, fallback: number, fraction = false): number {
  const text = paxText(records, key, offset);
  if (text === undefined) return fallback;
  // mtime may carry a fraction of a second; layers keep whole seconds (floored: -1.5 is before -1)
  const ok = fraction ? /^-?[0-9]+(\.[0-9]+)?$/.test(text) : /^[0-9]+$/.test(text);
  const value = fraction ? Math.floor(Number(text)) : Number(text);
  if (!ok || !Number.isSafeInteger(value)) throw corrupt(offset, `PAX ${key} is not a valid number (${JSON.stringify(text)})`);
  return value;
}

/** The raw header with PAX and GNU records merged in: what the entry really is. */
function resolve(raw: RawHeader, pending: Pending, globalPax: Map<string, Buffer>, offset: number): TarHeader {
  const type = TYPES[raw.typeflag];
  if (!type) {
    if (raw.typeflag === 'S') throw new EngineError('NotImplemented', 'TAR_UNSUPPORTED', `tar archive at byte ${offset}: GNU sparse files are not supported`);
    throw corrupt(offset, `unknown entry type ${JSON.stringify(raw.typeflag)}`);
  }
  const pax = new Map([...globalPax, ...(pending.pax ?? [])]);
  for (const key of pax.keys()) {
    if (key.startsWith('GNU.sparse.')) throw new EngineError('NotImplemented', 'TAR_UNSUPPORTED', `tar archive at byte ${offset}: sparse files (PAX ${key}) are not supported`);
  }
  let name = paxText(pax, 'path', offset) ?? pending.longName ?? raw.name;
  // v7 archives mark directories only by a trailing slash
  const finalType: TarType = type === 'file' && raw.typeflag !== '7' && name.endsWith('/') ? 'dir' : type;
  if (finalType === 'dir') name = name.replace(/\/+$/, '') || '.';
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith('SCHILY.xattr.') && key.length > 'SCHILY.xattr.'.length) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
  }
  return {
    name,
    type: finalType,
    mode: raw.mode & 0o7777,
    uid: paxNumber(pax, 'uid', offset, raw.uid),
    gid: paxNumber(pax, 'gid', offset, raw.gid),
    // as Go's reader: only regular files have content, whatever the size field of another type says
    size: finalType === 'file' ? paxNumber(pax, 'size', offset, raw.size) : 0,
    mtime: paxNumber(pax, 'mtime', offset, raw.mtime, true),
    linkname: paxText(pax, 'linkpath', offset) ?? pending.longLink ?? raw.linkname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs,
  };
}

/**
 * The entries of a tar archive. The source's iterator is closed when the
 * caller stops early (an error, a break). After the end-of-archive marker
 * the rest of the input is read and dropped (writers pad archives to a
 * record size), so a decompressor sees its whole stream.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const src = new ByteSource(source[Symbol.asyncIterator]());
  try {
    const pending: Pending = { pax: undefined, longName: undefined, longLink: undefined };
    let globalPax = new Map<string, Buffer>();
    let sawEntry = false;
    for (;;) {
      const offset = src.offset;
      const block = await src.exact(BLOCK, 'a header');
      if (!block) {
        if (!sawEntry) return; // an empty input: an empty archive
        throw corrupt(offset, 'the archive ends without its end-of-archive marker (truncated?)');
      }
      sawEntry = true;
      const raw = decodeHeader(block, offset);
      if (!raw) {
        // one zero block is the end (Go accepts a lone one); the second and any record padding are drained
        await src.drain();
        return;
      }
      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (raw.size > MAX_META_SIZE) throw corrupt(offset, `a ${raw.typeflag === 'x' || raw.typeflag === 'g' ? 'PAX' : 'GNU long name'} record of ${raw.size} bytes (at most ${MAX_META_SIZE})`);
        const data = (await src.exact(raw.size, 'an extended header')) ?? Buffer.alloc(0);
        if (data.length !== raw.size) throw corrupt(src.offset, 'the archive ends inside an extended header');
        await src.skip((BLOCK - (raw.size % BLOCK)) % BLOCK, 'padding');
        if (raw.typeflag === 'x') pending.pax = decodePax(data, offset);
        else if (raw.typeflag === 'g') globalPax = new Map([...globalPax, ...decodePax(data, offset)]);
        else if (raw.typeflag === 'L') pending.longName = decodeName(data, offset, 'a GNU long name');
        else pending.longLink = decodeName(data, offset, 'a GNU long link name');
        continue;
      }
      const header = resolve(raw, pending, globalPax, offset);
      pending.pax = pending.longName = pending.longLink = undefined;
      const what = `the content of ${JSON.stringify(header.name)}`;
      let consumed = false;
      let remaining = header.size;
      const body: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: async function* () {
          if (consumed) throw new Error(`the body of ${header.name} was already read`);
          consumed = true;
          for await (const part of src.stream(header.size, what)) {
            remaining -= part.length;
            yield part;
          }
        },
      };
      yield { header, body };
      // the consumer may have read all, part or none of the body
      await src.skip(consumed ? remaining : header.size, what);
      await src.skip((BLOCK - (header.size % BLOCK)) % BLOCK, `the padding of ${JSON.stringify(header.name)}`);
    }
  } finally {
    await src.close();
  }
}
