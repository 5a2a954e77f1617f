import { Readable } from 'node:stream';
import { EngineError } from '../errors/engine-error.js';
import type { Digest } from '../lib/digest.js';
import { decompress } from '../snapshot/layer/compression.js';
import { MediaType, type Platform } from '../spec/oci-image.js';
import { discardUnused } from './cleanup.js';
import { applyChanges } from './config-changes.js';
import { childImageConfig, serializeImageConfig } from './config.js';
import type { ImageContext } from './context.js';
import { familiarString, parseReference, withDefaultTag, type Reference } from './reference.js';
import type { BlobRef } from './store.js';
import { unpackLayer } from './unpack.js';

/**
 * `docker import`: a root filesystem as a tar (plain, gzip or zstd — told
 * by its first bytes) becomes a one-layer image.
 *
 * The layer is stored uncompressed, as Docker's import stores it: its
 * blob's digest is then its diff ID, computed in the one pass that reads
 * the input and writes the blob, and `save` sends exactly those bytes
 * under that name (as Docker ≥25's save names layers by diff ID).
 * Recompressing 100 MiB with gzip would cost seconds; keeping a gzip
 * input as it came would need a second decompression to unpack it.
 *
 * The snapshot is unpacked from the stored blob once it is complete: the
 * snapshot's key is the chain ID, which for a base layer is the diff ID,
 * known only when the whole input has been read.
 */

export interface ImportOptions {
  /** repository[:tag] to give the image (a bare name means :latest) */
  ref?: string;
  /** Dockerfile instructions for the run config (CMD, ENV, …), as `--change` */
  changes?: string[];
  /** the commit message; Docker's default is "Imported from <source>" */
  message?: string;
  /** what the input was, for the default message: "-" for stdin, as Docker writes it, or a URL */
  source?: string;
  platform?: Platform;
}

export interface ImportResult {
  id: Digest;
  tags: string[];
}

function importRef(text: string): Reference {
  const ref = parseReference(text);
  if (ref.digest !== undefined) throw new EngineError('InvalidArgument', 'INVALID_REFERENCE', `import as ${JSON.stringify(text)}: cannot import digest reference`);
  return withDefaultTag(ref);
}

export async function importImage(ctx: ImageContext, source: AsyncIterable<Uint8Array>, options: ImportOptions = {}): Promise<ImportResult> {
  // everything that can be refused is checked before a byte is read
  const ref = options.ref === undefined ? undefined : importRef(options.ref);
  const runConfig = applyChanges(undefined, options.changes ?? []);
  const message = options.message || `Imported from ${options.source ?? '-'}`;

  const lease = ctx.leases.create();
  let blob: BlobRef | undefined;
  try {
    const { stream } = await decompress(source);
    const stored = await ctx.content.ingest(Readable.from(stream));
    blob = { ...stored, mediaType: MediaType.OciLayer };
    lease.blobs.add(blob.digest);
    if (blob.size === 0) throw new EngineError('InvalidArgument', 'IMPORT_EMPTY', 'import: the input is empty', { hint: 'give a tar archive of a root filesystem' });
    await unpackLayer(ctx, { diffId: blob.digest, chainId: blob.digest, parent: undefined, blob }, lease);

    const config = childImageConfig({
      diffId: blob.digest,
      emptyLayer: false,
      config: runConfig,
      history: { comment: message },
      created: ctx.now(),
      platform: options.platform ?? ctx.platform,
      ...(ctx.engineVersion ? { dockerVersion: ctx.engineVersion } : {}),
    });
    const record = await ctx.images.add({ config: serializeImageConfig(config), layerBlobs: [blob] });
    if (ref) ctx.images.tag(ref, record.id);
    return { id: record.id, tags: ref ? [familiarString(ref)] : [] };
  } catch (err) {
    if (blob) await discardUnused(ctx, lease, [blob.digest], [blob.digest]);
    throw err;
  } finally {
    lease.release();
  }
}
