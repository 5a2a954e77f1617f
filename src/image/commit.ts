import { EngineError } from '../errors/engine-error.js';
import type { Digest } from '../lib/digest.js';
import { MediaType, type ContainerConfig, type ImageConfig } from '../spec/oci-image.js';
import { discardUnused } from './cleanup.js';
import { applyChanges } from './config-changes.js';
import { chainIds, childImageConfig, EMPTY_LAYER_DIFF_ID, serializeImageConfig } from './config.js';
import type { ImageContext } from './context.js';
import { familiarString, parseReference, withDefaultTag } from './reference.js';
import type { BlobRef, ImageRecord } from './store.js';
import { unpackLayer } from './unpack.js';

/**
 * `docker commit`: an active snapshot (a container's read-write layer)
 * becomes an image on top of the image the container was made from.
 *
 *   diff(key) ──▶ blob (uncompressed; its digest is the diff ID)
 *             ──▶ applyLayer(chain ID over the parent's top) from that blob
 *             ──▶ config: the parent's, plus the layer and a history entry
 *
 * The new layer is unpacked from the blob rather than made by committing
 * the container's snapshot: the container keeps its layer, and the image
 * has its own, stored once however many images share it. An unchanged
 * container gives the empty tar, which Docker records as a history entry
 * with empty_layer and no layer.
 */

export interface CommitOptions {
  /** the image the container was made from (reference or ID); none for a container from scratch */
  parentImage?: string;
  /** --change instructions, applied over the container's config */
  changes?: string[];
  /** --message: the history entry's comment */
  message?: string;
  author?: string;
  /** repository[:tag] for the new image */
  ref?: string;
  /** the container's config (Docker starts from it); default: the parent image's */
  containerConfig?: ContainerConfig;
  /** recorded as the config's `container` */
  containerId?: string;
  /** container paths whose contents stay out of the layer: volumes (their empty mount points stay) */
  excludeContentsOf?: string[];
  /** --pause: called before the layer is read; the function it returns resumes the container */
  pause?: () => Promise<() => Promise<void>>;
}

export interface CommitResult {
  id: Digest;
  tags: string[];
}

/** Docker's merge(): fields the new config leaves empty are taken from the container's. */
function mergeConfig(config: ContainerConfig, container: ContainerConfig | undefined): ContainerConfig {
  if (!container) return config;
  const out: ContainerConfig = { ...config };
  if (!out.User) out.User = container.User;
  if (!out.Cmd?.length && !out.Entrypoint?.length) out.Cmd = container.Cmd;
  // an empty ENTRYPOINT given in the changes stays empty; only none at all is inherited
  if (out.Entrypoint === undefined || out.Entrypoint === null) out.Entrypoint = container.Entrypoint;
  if (!out.WorkingDir) out.WorkingDir = container.WorkingDir;
  if (!out.Env?.length) out.Env = container.Env;
  if (!out.ExposedPorts || Object.keys(out.ExposedPorts).length === 0) out.ExposedPorts = container.ExposedPorts;
  if (!out.Volumes || Object.keys(out.Volumes).length === 0) out.Volumes = container.Volumes;
  if (!out.Labels || Object.keys(out.Labels).length === 0) out.Labels = container.Labels;
  if (!out.OnBuild?.length) out.OnBuild = container.OnBuild;
  if (!out.StopSignal) out.StopSignal = container.StopSignal;
  if (!out.Healthcheck) out.Healthcheck = container.Healthcheck;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ContainerConfig;
}

export async function commitSnapshot(ctx: ImageContext, key: string, options: CommitOptions = {}): Promise<CommitResult> {
  const info = ctx.snapshots.stat(key);
  if (!info || info.kind !== 'active') {
    throw new EngineError('NotFound', 'NO_SUCH_SNAPSHOT', `commit ${JSON.stringify(key)}: ${info ? `it is a ${info.kind} snapshot, not a container's layer` : 'no such snapshot'}`);
  }
  const ref = options.ref === undefined ? undefined : withDefaultTag(parseReference(options.ref));
  if (ref?.digest !== undefined) throw new EngineError('InvalidArgument', 'INVALID_REFERENCE', `commit as ${JSON.stringify(options.ref)}: refusing to create a tag with a digest reference`);
  let parent: ImageRecord | undefined;
  let parentConfig: ImageConfig | undefined;
  if (options.parentImage !== undefined) {
    parent = ctx.images.resolve(options.parentImage);
    parentConfig = await ctx.images.config(parent.id);
  }
  const containerConfig = options.containerConfig ?? parentConfig?.config;
  const config = mergeConfig(applyChanges(containerConfig, options.changes ?? []), containerConfig);

  const lease = ctx.leases.create();
  let blob: BlobRef | undefined;
  try {
    const resume = options.pause ? await options.pause() : undefined;
    try {
      const stored = await ctx.content.ingest(ctx.snapshots.diff(key, { excludeContentsOf: options.excludeContentsOf ?? [] }));
      blob = { ...stored, mediaType: MediaType.OciLayer };
      lease.blobs.add(blob.digest);
    } finally {
      await resume?.();
    }
    const empty = blob.digest === EMPTY_LAYER_DIFF_ID;
    const below = parent?.layers.at(-1)?.chainId;
    if (!empty) {
      const chainId = chainIds([...(parent?.layers.map((l) => l.diffId) ?? []), blob.digest]).at(-1)!;
      await unpackLayer(ctx, { diffId: blob.digest, chainId, parent: below, blob }, lease);
    }

    const image = childImageConfig({
      ...(parentConfig ? { parent: parentConfig } : {}),
      diffId: blob.digest,
      config,
      history: { created_by: (containerConfig?.Cmd ?? []).join(' '), comment: options.message, author: options.author },
      created: ctx.now(),
      ...(options.containerId ? { container: options.containerId } : {}),
      ...(containerConfig ? { containerConfig } : {}),
      ...(ctx.engineVersion ? { dockerVersion: ctx.engineVersion } : {}),
      ...(parentConfig ? {} : { platform: ctx.platform }),
    });
    // Docker's commit puts the message in the history entry only, unlike import
    delete image.comment;
    const parentBlobs = parent?.layers.map((l) => l.blob) ?? [];
    const layerBlobs = empty ? parentBlobs : [...parentBlobs, blob];
    const record = await ctx.images.add({
      config: serializeImageConfig(image),
      ...(layerBlobs.some((b) => b !== undefined) ? { layerBlobs } : {}),
      ...(parent ? { parent: parent.id } : {}),
    });
    if (empty) await discardUnused(ctx, lease, [], [blob.digest]);
    if (ref) ctx.images.tag(ref, record.id);
    return { id: record.id, tags: ref ? [familiarString(ref)] : [] };
  } catch (err) {
    if (blob) {
      const chain = chainIds([...(parent?.layers.map((l) => l.diffId) ?? []), blob.digest]).at(-1)!;
      await discardUnused(ctx, lease, [chain], [blob.digest]);
    }
    throw err;
  } finally {
    lease.release();
  }
}
