import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError, errnoOf, isEngineError } from '../errors/engine-error.js';
import { DigestingStream, hexOf, isDigest, parseDigest, sha256Of, type Digest, digestFromHex } from '../lib/digest.js';
import type { BlobInfo, ContentStore, Expected, SweepOptions, SweepResult } from './content-store.js';

const BLOB_MODE = 0o644;
const HEX_NAME = /^[0-9a-f]{64}$/;
const HOUR = 60 * 60 * 1000;
/** Blobs are read in 1 MiB chunks: with Node's 64 KiB default, a 100 MiB layer costs 1600 thread-pool round trips. */
const READ_CHUNK = 1 << 20;

/**
 * A content store in a directory:
 *
 *   <root>/            0700: nothing under it is anyone else's business
 *     blobs/sha256/<hex>   committed blobs, 0644, never modified
 *     ingest/<name>        blobs being written, created O_EXCL, one per ingest
 *
 * An ingest writes its own temp file (so concurrent ingests never share
 * one), fsyncs it, and renames it to blobs/sha256/<hex>, then fsyncs the
 * directory: after a crash a blob is either whole or absent, and what is
 * left in ingest/ is swept later. If the blob is already there the temp
 * file is dropped instead; two ingests of the same content racing past
 * that check both rename identical bytes, and both succeed.
 */
export class LocalContentStore implements ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
    mkdirSync(this.blobsDir, { recursive: true, mode: 0o755 });
    mkdirSync(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  /** Where a blob lives, for readers that need a path (the snapshotter unpacking a layer). */
  path(digest: Digest): string {
    // the brand is a compile-time promise; a cast string must not walk out of blobs/
    if (!isDigest(digest)) parseDigest(digest);
    return join(this.blobsDir, hexOf(digest));
  }

  async ingest(data: Uint8Array | Readable, expected?: Expected): Promise<BlobInfo> {
    try {
      return data instanceof Uint8Array ? await this.ingestBytes(data, expected) : await this.ingestStream(data, expected);
    } catch (err) {
      throw this.explain(err, expected);
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.statBlob(digest)) !== undefined;
  }

  async info(digest: Digest): Promise<BlobInfo> {
    const st = await this.statBlob(digest);
    if (!st) throw notFound('stat', digest);
    return { digest, size: st.size };
  }

  async read(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw notFound('read', digest);
      throw err;
    }
  }

  async openRead(digest: Digest, start = 0): Promise<Readable> {
    let handle: FileHandle;
    try {
      handle = await open(this.path(digest), 'r');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw notFound('read', digest);
      throw err;
    }
    return handle.createReadStream({ start, highWaterMark: READ_CHUNK });
  }

  async delete(digest: Digest): Promise<boolean> {
    try {
      await unlink(this.path(digest));
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const name of await readdir(this.blobsDir)) {
      if (!HEX_NAME.test(name)) continue;
      const digest = digestFromHex(name);
      const st = await this.statBlob(digest);
      if (st) out.push({ digest, size: st.size });
    }
    return out;
  }

  async ingests(): Promise<string[]> {
    return readdir(this.ingestDir);
  }

  async sweep(keep: ReadonlySet<Digest>, options: SweepOptions = {}): Promise<SweepResult> {
    const now = Date.now();
    const graceMs = options.graceMs ?? 0;
    const result: SweepResult = { removed: [], freed: 0, ingestsRemoved: 0 };
    for (const name of await readdir(this.blobsDir)) {
      if (!HEX_NAME.test(name)) continue;
      const digest = digestFromHex(name);
      if (keep.has(digest)) continue;
      const st = await this.statBlob(digest);
      if (!st || (graceMs > 0 && now - st.mtimeMs < graceMs)) continue;
      if (await this.delete(digest)) {
        result.removed.push({ digest, size: st.size });
        result.freed += st.size;
      }
    }
    const idleMs = options.ingestIdleMs ?? HOUR;
    for (const name of await readdir(this.ingestDir)) {
      const path = join(this.ingestDir, name);
      const st = await stat(path).catch(() => undefined);
      // a live ingest writes steadily, so its mtime stays fresh
      if (!st || now - st.mtimeMs < idleMs) continue;
      await rm(path, { force: true, recursive: true });
      result.ingestsRemoved++;
    }
    return result;
  }

  // ——— ingest ———

  private async ingestBytes(data: Uint8Array, expected: Expected | undefined): Promise<BlobInfo> {
    // hashing first means a wrong blob is refused before a byte is written
    const got: BlobInfo = { digest: sha256Of(data), size: data.length };
    verify(got, expected);
    if (await this.alreadyStored(got)) return got;
    const { path, handle } = await this.newIngest();
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(path, { force: true });
      throw err;
    }
    await handle.close();
    await this.commit(path, got);
    return got;
  }

  private async ingestStream(source: Readable, expected: Expected | undefined): Promise<BlobInfo> {
    const hasher = new DigestingStream(expected?.size);
    if (expected?.digest && (await this.alreadyStored({ digest: expected.digest, size: expected.size }))) {
      // the blob is here: read the stream through (the caller may be walking an archive) to check it, but write nothing
      await pipeline(source, hasher, async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) void chunk;
      });
      const got = { digest: hasher.digest(), size: hasher.bytes };
      verify(got, expected);
      return got;
    }
    const { path, handle } = await this.newIngest();
    let got: BlobInfo;
    try {
      await pipeline(source, hasher, async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) await writeAll(handle, chunk);
      });
      got = { digest: hasher.digest(), size: hasher.bytes };
      verify(got, expected);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(path, { force: true });
      throw err;
    }
    await handle.close();
    await this.commit(path, got);
    return got;
  }

  private async newIngest(): Promise<{ path: string; handle: FileHandle }> {
    const path = join(this.ingestDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const handle = await open(path, 'wx', BLOB_MODE);
    try {
      await handle.chmod(BLOB_MODE); // whatever the umask: blobs are world-readable under a private root
    } catch (err) {
      await handle.close();
      await rm(path, { force: true });
      throw err;
    }
    return { path, handle };
  }

  /** Makes a verified temp file the blob; drops it when the blob is already there. */
  private async commit(tmp: string, got: BlobInfo): Promise<void> {
    try {
      if (await this.alreadyStored(got)) {
        await rm(tmp, { force: true });
        return;
      }
      await rename(tmp, this.path(got.digest));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    // the rename is durable only once the directory entry is
    const dir = await open(this.blobsDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * True when the blob is stored with the expected size; its mtime is then
   * refreshed, so that a sweep's grace period covers a blob an image being
   * registered right now has just been given again. A stored blob of another
   * size cannot come from this store's own writes; it is replaced.
   */
  private async alreadyStored(blob: { digest: Digest; size?: number | undefined }): Promise<boolean> {
    const st = await this.statBlob(blob.digest);
    if (!st || (blob.size !== undefined && st.size !== blob.size)) return false;
    const now = new Date();
    await utimes(this.path(blob.digest), now, now).catch(() => undefined);
    return true;
  }

  private async statBlob(digest: Digest): Promise<{ size: number; mtimeMs: number } | undefined> {
    try {
      const st = await stat(this.path(digest));
      return st.isFile() ? st : undefined;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Gives errors of an ingest their subject: the blob, and the store for I/O failures. */
  private explain(err: unknown, expected: Expected | undefined): unknown {
    const subject = expected?.digest ? `blob ${expected.digest}` : 'blob';
    if (isEngineError(err, 'SIZE_MISMATCH') && !err.message.startsWith('ingest')) {
      return new EngineError('InvalidArgument', 'SIZE_MISMATCH', `ingest ${subject}: ${err.message.replace(/^verify content: /, '')}`, { hint: 'the source does not match its descriptor', cause: err });
    }
    const errno = errnoOf(err);
    if (errno && err instanceof Error && 'syscall' in err) {
      return new EngineError('Internal', 'CONTENT_IO', `ingest ${subject} into ${JSON.stringify(this.root)}: ${err.message}`, { cause: err });
    }
    return err;
  }
}

function verify(got: BlobInfo, expected: Expected | undefined): void {
  if (!expected) return;
  const subject = `blob ${expected.digest ?? got.digest}`;
  if (expected.size !== undefined && got.size !== expected.size) {
    throw new EngineError('InvalidArgument', 'SIZE_MISMATCH', `ingest ${subject}: got ${got.size} bytes, expected ${expected.size}`, { hint: 'the source is truncated or does not match its descriptor' });
  }
  if (expected.digest !== undefined && got.digest !== expected.digest) {
    throw new EngineError('InvalidArgument', 'DIGEST_MISMATCH', `ingest ${subject}: the content has digest ${got.digest}`, { hint: 'the source is corrupt or does not match its descriptor' });
  }
}

/** write(2) may write less than asked; a blob must not lose its tail. */
async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
}

function notFound(op: string, digest: Digest): EngineError {
  return new EngineError('NotFound', 'BLOB_NOT_FOUND', `${op} blob ${digest}: not in the content store`);
}
