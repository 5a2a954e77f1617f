import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../errors/engine-error.js';

/**
 * Content digests: `sha256:<64 lower-case hex>`, the only algorithm Docker
 * writes. The brand keeps an unchecked string (a tag, a path, a short id)
 * from being passed where a digest is expected; `parseDigest` is the one
 * door from text to Digest.
 */
declare const digestBrand: unique symbol;
export type Digest = string & { readonly [digestBrand]: true };

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// the OCI descriptor grammar (defs-descriptor.json), to tell "malformed" from "another algorithm"
const ANY_DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && SHA256_DIGEST.test(value);
}

/** `text` as a Digest, or an InvalidArgument error that says what is wrong with it; `what` names it. */
export function parseDigest(text: string, what = 'digest'): Digest {
  if (SHA256_DIGEST.test(text)) return text as Digest;
  throw new EngineError('InvalidArgument', 'INVALID_DIGEST', `invalid ${what} ${JSON.stringify(text)}: ${digestProblem(text)}`, {
    hint: 'a digest is "sha256:" followed by 64 lower-case hex digits',
  });
}

function digestProblem(text: string): string {
  const m = ANY_DIGEST.exec(text);
  if (!m) return 'not of the form algorithm:hex';
  const algorithm = m[1]!;
  const encoded = m[2]!;
  if (algorithm !== 'sha256') return `unsupported digest algorithm "${algorithm}" (only sha256 is)`;
  if (encoded.length !== 64) return `a sha256 digest has 64 hex digits, this one has ${encoded.length}`;
  return 'the hex digits must be lower-case 0-9a-f';
}

/** The digest whose hex part is `hex` (64 lower-case hex digits, as image ids are written bare). */
export function digestFromHex(hex: string): Digest {
  if (!SHA256_HEX.test(hex)) return parseDigest(hex); // fails, with the reason
  return `sha256:${hex}` as Digest;
}

/** The 64 hex digits of a digest. */
export function hexOf(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** The 12-hex-digit short form docker prints for ids: `sha256:0123456789ab…` → `0123456789ab`. */
export function shortId(digest: Digest | string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
  return hex.slice(0, 12);
}

/** sha256 of bytes (a string is hashed as UTF-8). */
export function sha256Of(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

export interface DigestedSize {
  digest: Digest;
  size: number;
}

/**
 * A pass-through that hashes and counts what flows through it, so that a
 * blob is verified while it is written rather than read a second time.
 * With a `limit`, more bytes than that fail the stream at once: an archive
 * that lies about a size cannot fill the disk before the check.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  private result: Digest | undefined;

  constructor(private readonly limit?: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.count += chunk.length;
    if (this.limit !== undefined && this.count > this.limit) {
      done(new EngineError('InvalidArgument', 'SIZE_MISMATCH', `verify content: more than the expected ${this.limit} bytes`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}` as Digest;
    done();
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /** The digest, once the stream has ended. */
  digest(): Digest {
    if (!this.result) throw new Error('DigestingStream.digest() called before the stream ended');
    return this.result;
  }
}

/** sha256 and length of everything a stream yields (the stream is consumed). */
export async function sha256OfStream(stream: Readable): Promise<DigestedSize> {
  const hasher = new DigestingStream();
  await pipeline(stream, hasher, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) void chunk; // drain: the hasher saw it on the way
  });
  return { digest: hasher.digest(), size: hasher.bytes };
}
