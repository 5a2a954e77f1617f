import { EngineError, isEngineError } from '../../errors/engine-error.js';
import { shortId, type Digest } from '../../lib/digest.js';
import { DOCKER_SAVE_MANIFEST_FILE, MediaType, OCI_INDEX_FILE } from '../../spec/oci-image.js';
import { discardUnused } from '../cleanup.js';
import { chainIds } from '../config.js';
import type { ImageContext } from '../context.js';
import type { Lease } from '../leases.js';
import { familiarString, type Reference } from '../reference.js';
import type { BlobRef } from '../store.js';
import { unpackLayer, verifyLayerBlob } from '../unpack.js';
import { planDockerArchive } from './load-docker.js';
import { planLegacyArchive } from './load-legacy.js';
import { planOciLayout } from './load-oci.js';
import { archiveError, ArchiveMembers } from './members.js';
import type { PlannedImage } from './plan.js';

/**
 * `docker load`: reads an archive once (members.ts), makes a plan of it in
 * the format it is in (manifest.json: Docker; index.json: an OCI layout;
 * only layer directories: the legacy format), then registers the plan:
 * layers unpacked (each checked against its diff ID), images added
 * parents first, tags set last. Any failure undoes what this load did —
 * tags restored, new images deleted, new snapshots and blobs removed — so
 * a bad archive leaves the stores as they were.
 */

export interface LoadOptions {
  /** called as each layer is unpacked: Docker's "Loading layer" lines */
  onProgress?: (event: { layer: string; index: number; count: number }) => void;
}

export interface LoadResult {
  /** Docker's answer, one per line: "name:tag" for each tag, the ID for an image without one */
  loaded: string[];
  images: { id: Digest; tags: string[] }[];
  /** tags that named another image before this load moved them (Docker says it renames the old one) */
  moved: { tag: string; previous: Digest }[];
}

const MEDIA_TYPE_BY_COMPRESSION = { none: MediaType.OciLayer, gzip: MediaType.OciLayerGzip, zstd: MediaType.OciLayerZstd } as const;

/** What a load has done so far, to undo it. */
class Undo {
  readonly images: Digest[] = [];
  readonly snapshots: Digest[] = [];
  readonly tags: { ref: Reference; previous: Digest | undefined }[] = [];

  async run(ctx: ImageContext, lease: Lease, blobs: Iterable<Digest>): Promise<void> {
    for (const { ref, previous } of this.tags.reverse()) {
      if (previous !== undefined && ctx.images.get(previous)) ctx.images.tag(ref, previous);
      else if (ctx.images.lookup(ref) !== undefined) ctx.images.untag(ref);
    }
    for (const id of this.images.reverse()) if (ctx.images.get(id)) ctx.images.delete(id);
    // an image's config blob was stored by the image store when it was added
    await discardUnused(ctx, lease, this.snapshots.reverse(), [...blobs, ...this.images]);
  }
}

/** Every failure of a load says it was the load that failed ("load: corrupt tar archive at byte 1024: …"). */
function asLoadError(err: unknown): EngineError {
  if (isEngineError(err)) {
    if (err.message.startsWith('load: ')) return err;
    return new EngineError(err.kind, err.code, `load: ${err.message}`, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
  }
  return new EngineError('Internal', 'LOAD_FAILED', `load: ${(err as Error).message}`, { cause: err });
}

function detectFormat(members: ArchiveMembers): 'docker' | 'oci' | 'legacy' {
  if (members.has(DOCKER_SAVE_MANIFEST_FILE)) return 'docker';
  if (members.has(OCI_INDEX_FILE)) return 'oci';
  return 'legacy';
}

async function registerImage(ctx: ImageContext, members: ArchiveMembers, image: PlannedImage, lease: Lease, undo: Undo, options: LoadOptions): Promise<void> {
  const chains = chainIds(image.layers.map((l) => l.diffId));
  const blobs: BlobRef[] = [];
  for (const [i, layer] of image.layers.entries()) {
    const what = `layer ${i} of image ${shortId(image.id)}`;
    const stored = await members.blob(layer.path, what);
    if (layer.size !== undefined && stored.size !== layer.size) throw archiveError('SIZE_MISMATCH', `${what}: ${stored.size} bytes, its descriptor says ${layer.size}`);
    const compression = await members.compression(layer.path, what);
    if (compression === 'bzip2' || compression === 'xz') {
      throw new EngineError('NotImplemented', 'LAYER_COMPRESSION', `load: ${what} is ${compression}-compressed`, { hint: 'berth reads uncompressed, gzip and zstd layers' });
    }
    const mediaType = layer.mediaType ?? MEDIA_TYPE_BY_COMPRESSION[compression];
    const blob: BlobRef = { digest: stored.digest, size: stored.size, mediaType };
    blobs.push(blob);
    const step = { diffId: layer.diffId, chainId: chains[i]!, parent: chains[i - 1], blob };
    options.onProgress?.({ layer: shortId(layer.diffId), index: i, count: image.layers.length });
    if (ctx.snapshots.stat(step.chainId)) {
      // the layer is here already, but this blob is what a later save will send: it must be that layer
      lease.snapshots.add(step.chainId);
      await verifyLayerBlob(ctx, blob, layer.diffId);
    } else if (await unpackLayer(ctx, step, lease)) {
      undo.snapshots.push(step.chainId);
    }
  }
  const manifests: BlobRef[] = [];
  if (image.manifest) {
    const stored = await members.blob(image.manifest.path, 'manifest');
    manifests.push({ ...stored, mediaType: image.manifest.mediaType });
  }
  const isNew = ctx.images.get(image.id) === undefined;
  await ctx.images.add({ config: image.config, layerBlobs: blobs, manifests, ...(image.parent ? { parent: image.parent } : {}) });
  if (isNew) undo.images.push(image.id);
}

export async function loadArchive(ctx: ImageContext, archive: AsyncIterable<Uint8Array>, options: LoadOptions = {}): Promise<LoadResult> {
  const lease = ctx.leases.create();
  const members = new ArchiveMembers(ctx, lease);
  const undo = new Undo();
  try {
    await members.read(archive);
    const format = detectFormat(members);
    const plan =
      format === 'docker' ? await planDockerArchive(members) : format === 'oci' ? await planOciLayout(members, ctx.platform) : await planLegacyArchive(ctx, members, ctx.platform);
    for (const image of plan) await registerImage(ctx, members, image, lease, undo, options);

    const result: LoadResult = { loaded: [], images: [], moved: [] };
    for (const image of plan) {
      const tags: string[] = [];
      for (const ref of image.tags) {
        const previous = ctx.images.lookup(ref);
        undo.tags.push({ ref, previous });
        ctx.images.tag(ref, image.id);
        if (previous !== undefined && previous !== image.id) result.moved.push({ tag: familiarString(ref), previous });
        if (!tags.includes(familiarString(ref))) tags.push(familiarString(ref));
      }
      result.images.push({ id: image.id, tags });
      result.loaded.push(...(tags.length > 0 ? tags : [image.id]));
    }
    // what the archive held but no image uses (other platforms' layers, Docker's legacy v1 files) goes now
    await discardUnused(ctx, lease, [], members.ingested);
    return result;
  } catch (err) {
    const failure = asLoadError(err);
    try {
      await undo.run(ctx, lease, members.ingested);
    } catch (cleanupErr) {
      throw new EngineError(failure.kind, failure.code, `${failure.message}. error during cleanup: ${(cleanupErr as Error).message}`, { cause: err });
    }
    throw failure;
  } finally {
    lease.release();
  }
}
