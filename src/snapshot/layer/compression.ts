import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { EngineError } from '../../errors/engine-error.js';

/**
 * Layer compression: recognised by the stream's first bytes (as Docker does,
 * whatever the media type claimed), undone as a stream. gzip is Node's
 * zlib. zstd is fzstd, a pure-JavaScript decoder: Node 20's zlib has no
 * zstd, a native npm binding would need a download or a compiler at
 * install, and spawning Debian's zstd would add a host dependency and a
 * process per layer; zstd layers are rare (opt-in at push), so a slower
 * decoder costs little. Layers berth writes are gzip (or uncompressed).
 */

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP = [0x1f, 0x8b, 0x08];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const BZIP2 = [0x42, 0x5a, 0x68];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

const startsWith = (head: Uint8Array, magic: number[]): boolean => head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** What the first bytes say (six are enough); bzip2 and xz are recognised so that they can be refused by name. */
export function detectCompression(head: Uint8Array): Compression | 'bzip2' | 'xz' {
  if (startsWith(head, GZIP)) return 'gzip';
  if (startsWith(head, ZSTD)) return 'zstd';
  if (startsWith(head, BZIP2)) return 'bzip2';
  if (startsWith(head, XZ)) return 'xz';
  return 'none';
}

function damaged(format: string, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  return new EngineError('InvalidArgument', 'LAYER_CORRUPT', `corrupt ${format} stream: ${(err as Error).message}`, {
    cause: err,
    hint: 'the layer is damaged or truncated',
  });
}

/** The peeked head, then the rest; the source is closed when the consumer stops early. */
async function* prepend(head: Buffer, it: AsyncIterator<Uint8Array>, done: boolean): AsyncGenerator<Buffer> {
  try {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
    }
  } finally {
    await it.return?.();
  }
}

async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const inflate = createGunzip();
  // errors reach the consumer through the gunzip stream it iterates
  pipeline(Readable.from(source), inflate, () => undefined);
  try {
    for await (const chunk of inflate) yield chunk as Buffer;
  } catch (err) {
    throw damaged('gzip', err);
  } finally {
    inflate.destroy();
  }
}

async function* unzstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  // copied: the decoder may reuse the memory behind a block it hands out
  const decoder = new ZstdDecompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data));
  });
  try {
    for await (const chunk of source) {
      decoder.push(chunk);
      yield* out.splice(0);
    }
    decoder.push(new Uint8Array(0), true);
  } catch (err) {
    throw damaged('zstd', err);
  }
  yield* out.splice(0);
}

/**
 * The uncompressed bytes of a possibly compressed stream, and what it was.
 * bzip2 and xz are refused (Docker accepts them by running external tools;
 * no registry layer uses them).
 */
export async function decompress(input: AsyncIterable<Uint8Array>): Promise<{ compression: Compression; stream: AsyncIterable<Buffer> }> {
  const it = input[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < XZ.length) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
    parts.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(parts, length);
  const format = detectCompression(head);
  if (format === 'bzip2' || format === 'xz') {
    await it.return?.();
    throw new EngineError('NotImplemented', 'LAYER_COMPRESSION', `${format}-compressed layers are not supported`, { hint: 'use gzip, zstd or an uncompressed tar' });
  }
  const raw = prepend(head, it, done);
  const stream = format === 'gzip' ? gunzip(raw) : format === 'zstd' ? unzstd(raw) : raw;
  return { compression: format, stream };
}

/**
 * A tar stream compressed for storing or pushing. Node's gzip writes no
 * file name and a zero mtime in its header, so equal input gives equal
 * bytes (for one zlib version and level).
 */
export function compress(input: AsyncIterable<Uint8Array>, format: 'gzip' | 'none', level: number = constants.Z_DEFAULT_COMPRESSION): Readable {
  const source = Readable.from(input, { objectMode: false });
  if (format === 'none') return source;
  const gzip = createGzip({ level });
  pipeline(source, gzip, () => undefined);
  return gzip;
}
