import type { Readable } from 'node:stream';
import type { Digest } from '../lib/digest.js';

/**
 * What a content store is: immutable blobs addressed by their sha256 —
 * layers exactly as pulled or built (compressed or not), manifests, image
 * configs, indexes. Push and save send the exact bytes whose digest they
 * name, so a blob is never rewritten, only added or removed.
 *
 * Lifecycle of a blob:
 *
 *   ingest ──▶ verify ──▶ commit ──▶ read by digest … ──▶ sweep / delete
 *
 * - ingest: bytes arrive (a Buffer, or a stream of unknown length) and go
 *   to a private temporary place, hashed and counted on the way.
 * - verify: when the caller knows what it expects (a descriptor's digest
 *   and size), the bytes must match it; too many bytes fail at once. A
 *   mismatch is an error and leaves nothing behind.
 * - commit: the verified bytes become visible under their digest in one
 *   atomic step; a reader sees the whole blob or none. If the blob is
 *   already there, the ingest succeeds without writing: equal content gives
 *   one blob, however many images share it, and concurrent ingests of the
 *   same content all succeed.
 * - read: by digest only. Nothing in a store says which image uses a blob;
 *   the image store holds those references, and garbage collection asks it
 *   which blobs to keep (`sweep`).
 */
export interface ContentStore {
  /**
   * Adds a blob. With `expected`, the content must have that digest and/or
   * size (else InvalidArgument DIGEST_MISMATCH / SIZE_MISMATCH, and nothing
   * is stored). A stream is consumed to its end even when the blob exists.
   */
  ingest(data: Uint8Array | Readable, expected?: Expected): Promise<BlobInfo>;
  has(digest: Digest): Promise<boolean>;
  /** Size of a stored blob; NotFound BLOB_NOT_FOUND when absent. */
  info(digest: Digest): Promise<BlobInfo>;
  /** The whole blob (for small ones: manifests, configs). */
  read(digest: Digest): Promise<Buffer>;
  /** A stream of the blob from byte `start` (default 0); opened before it returns, so absence fails here. */
  openRead(digest: Digest, start?: number): Promise<Readable>;
  /** Removes a blob; false when it was not there. The caller decides that nothing needs it. */
  delete(digest: Digest): Promise<boolean>;
  /** Every stored blob, in no particular order. */
  list(): Promise<BlobInfo[]>;
  /** Ingests under way (or abandoned by a crash), by an opaque name each. */
  ingests(): Promise<string[]>;
  /**
   * Garbage collection: removes every blob not in `keep`, and abandoned
   * ingests. Blobs added or re-ingested in the last `graceMs` are kept even
   * when not in `keep`: they may belong to an image being registered now.
   */
  sweep(keep: ReadonlySet<Digest>, options?: SweepOptions): Promise<SweepResult>;
}

export interface Expected {
  digest?: Digest;
  size?: number;
}

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface SweepOptions {
  /** Keep blobs touched this recently (ms). Default 0: everything not kept goes. */
  graceMs?: number;
  /** Remove ingests idle this long (ms). Default one hour, so that live ones survive. */
  ingestIdleMs?: number;
}

export interface SweepResult {
  removed: BlobInfo[];
  /** bytes freed by removing blobs */
  freed: number;
  /** abandoned ingests removed */
  ingestsRemoved: number;
}
