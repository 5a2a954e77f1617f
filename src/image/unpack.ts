import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors/engine-error.js';
import { shortId, type Digest } from '../lib/digest.js';
import { decompress, detectCompression } from '../snapshot/layer/compression.js';
import type { ImageContext } from './context.js';
import type { Lease } from './leases.js';
import type { BlobRef, ImageRecord } from './store.js';

/**
 * Layers from content blobs to committed snapshots. A snapshot is named by
 * its chain ID, which every image with the same bottom layers shares, so
 * what is unpacked under a chain ID must be exactly the layers the chain
 * names: a blob whose uncompressed bytes do not hash to the config's diff
 * ID would otherwise poison every later image built on that chain. So the
 * diff ID is checked while the snapshotter reads the layer, and a layer
 * that fails the check is removed before anyone can use it.
 */

export interface LayerToUnpack {
  diffId: Digest;
  chainId: Digest;
  /** chain ID of the layers below; none for a bottom layer */
  parent: Digest | undefined;
  blob: BlobRef;
}

function diffIdMismatch(blob: Digest, expected: Digest, got: Digest): EngineError {
  return new EngineError('InvalidArgument', 'DIFF_ID_MISMATCH', `unpack layer ${blob}: its content has diff ID ${got}, the image config says ${expected}`, {
    hint: 'the image or the archive it came from is corrupt',
  });
}

/** How a stored blob is compressed, from its first bytes (as Docker decides, whatever a media type claims). */
export async function blobCompression(ctx: ImageContext, digest: Digest): Promise<ReturnType<typeof detectCompression>> {
  const stream = await ctx.content.openRead(digest);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) return detectCompression(chunk);
    return 'none';
  } finally {
    stream.destroy();
  }
}

/**
 * The uncompressed bytes of a stored blob, hashed on the way: `digest()`
 * is valid once they have all been read. `close()` releases the blob
 * whether or not it was read (an apply may fail, or find the layer there).
 */
async function uncompressedBlob(ctx: ImageContext, digest: Digest): Promise<{ stream: AsyncIterable<Buffer>; digest: () => Digest | undefined; close: () => void }> {
  const raw: Readable = await ctx.content.openRead(digest);
  const close = (): void => void raw.destroy();
  let stream: AsyncIterable<Buffer>;
  try {
    ({ stream } = await decompress(raw));
  } catch (err) {
    close();
    throw err;
  }
  const hash = createHash('sha256');
  let result: Digest | undefined;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of stream) {
      hash.update(chunk);
      yield chunk;
    }
    result = `sha256:${hash.digest('hex')}` as Digest;
  }
  return { stream: hashed(), digest: () => result, close };
}

/**
 * Checks that a blob holds the layer `diffId` names: free for an
 * uncompressed blob (its digest is its diff ID, and the content store
 * verified the digest on ingest), one pass through the decompressor for
 * a compressed one.
 */
export async function verifyLayerBlob(ctx: ImageContext, blob: BlobRef, diffId: Digest): Promise<void> {
  if ((await blobCompression(ctx, blob.digest)) === 'none') {
    if (blob.digest !== diffId) throw diffIdMismatch(blob.digest, diffId, blob.digest);
    return;
  }
  const { stream, digest, close } = await uncompressedBlob(ctx, blob.digest);
  try {
    for await (const chunk of stream) void chunk;
  } finally {
    close();
  }
  if (digest() !== diffId) throw diffIdMismatch(blob.digest, diffId, digest()!);
}

/**
 * Makes the committed snapshot of one layer from its blob, unless it
 * exists. Returns whether this call made it. The lease holds the
 * snapshot from before it exists, so no cleanup elsewhere takes it.
 */
export async function unpackLayer(ctx: ImageContext, layer: LayerToUnpack, lease: Lease): Promise<boolean> {
  lease.snapshots.add(layer.chainId);
  lease.blobs.add(layer.blob.digest);
  if (ctx.snapshots.stat(layer.chainId)) return false;
  if ((await blobCompression(ctx, layer.blob.digest)) === 'none') {
    // the stored bytes are the layer: their digest (checked on ingest) must be the diff ID
    if (layer.blob.digest !== layer.diffId) throw diffIdMismatch(layer.blob.digest, layer.diffId, layer.blob.digest);
    const stream = await ctx.content.openRead(layer.blob.digest);
    try {
      await ctx.snapshots.applyLayer(layer.chainId, layer.parent, stream);
    } finally {
      stream.destroy();
    }
    return true;
  }
  const { stream, digest, close } = await uncompressedBlob(ctx, layer.blob.digest);
  try {
    const it = stream[Symbol.asyncIterator]();
    // the check runs when the input ends, so a snapshotter that reads to the end fails the apply itself
    const checked: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const next = await it.next();
          if (next.done && digest() !== layer.diffId) throw diffIdMismatch(layer.blob.digest, layer.diffId, digest()!);
          return next;
        },
        return: async () => (await it.return?.()) ?? { done: true, value: undefined },
      }),
    };
    await ctx.snapshots.applyLayer(layer.chainId, layer.parent, checked);
    if (digest() === undefined) {
      // the snapshotter stopped at the end-of-archive marker: read the rest here before trusting the layer
      try {
        for (let next = await it.next(); !next.done; next = await it.next()) void next;
      } catch (err) {
        ctx.snapshots.remove(layer.chainId);
        throw err;
      }
      if (digest() !== layer.diffId) {
        ctx.snapshots.remove(layer.chainId);
        throw diffIdMismatch(layer.blob.digest, layer.diffId, digest()!);
      }
    }
  } finally {
    close();
  }
  return true;
}

/** The layers of an image as unpack steps, bottom first. */
export function layersToUnpack(record: ImageRecord): (Omit<LayerToUnpack, 'blob'> & { blob: BlobRef | undefined })[] {
  return record.layers.map((l, i) => ({ diffId: l.diffId, chainId: l.chainId, parent: record.layers[i - 1]?.chainId, blob: l.blob }));
}

/**
 * Every layer of the image present as a committed snapshot: the missing
 * ones are unpacked from their blobs, bottom first (each needs the one
 * below). Snapshots this call made stay even if a later layer fails: they
 * are correct layers, and the next call resumes from them.
 */
export async function ensureUnpacked(ctx: ImageContext, id: Digest): Promise<void> {
  const record = ctx.images.get(id);
  if (!record) throw new EngineError('NotFound', 'NO_SUCH_IMAGE', `no such image: ${id}`);
  const lease = ctx.leases.create();
  try {
    for (const [i, layer] of layersToUnpack(record).entries()) {
      if (ctx.snapshots.stat(layer.chainId)) continue;
      if (!layer.blob) {
        throw new EngineError('NotFound', 'LAYER_NOT_AVAILABLE', `unpack image ${shortId(id)}: layer ${i} (${layer.diffId}) is neither unpacked nor stored as a blob`, {
          hint: 'remove the image and pull or load it again',
        });
      }
      await unpackLayer(ctx, { ...layer, blob: layer.blob }, lease);
    }
  } finally {
    lease.release();
  }
}
