import type { Readable } from 'node:stream';
import type { ContentStore } from '../content/content-store.js';
import type { Digest } from '../lib/digest.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { Platform } from '../spec/oci-image.js';
import { loadArchive, type LoadOptions, type LoadResult } from './archive/load.js';
import { saveArchive } from './archive/save.js';
import { commitSnapshot, type CommitOptions, type CommitResult } from './commit.js';
import { hostPlatform } from './config.js';
import type { ContainerUse, ImageContext } from './context.js';
import { diffChanges, type Change } from './diff-changes.js';
import { importImage, type ImportOptions, type ImportResult } from './import.js';
import { Leases } from './leases.js';
import { listImages, type ListOptions, type ImageSummary } from './list.js';
import { pruneImages, removeImage, tagImage, type DeleteItem, type PruneOptions, type PruneReport, type RemoveOptions } from './remove.js';
import type { ImageStore } from './store.js';
import { ensureUnpacked } from './unpack.js';
import { imageHistory, inspectImage, type HistoryItem, type ImageInspect } from './views.js';

export interface ImageServiceOptions {
  content: ContentStore;
  images: ImageStore;
  snapshots: Snapshotter;
  /** The containers created from an image (from the engine); without it no image is in use. */
  containersUsing?: (id: Digest) => ContainerUse[];
  /** Docker's GraphDriver.Data for a top layer; default: the snapshotter's own answer. */
  graphDriverData?: (chainId: Digest) => Record<string, string> | null;
  /** Recorded as docker_version in configs berth makes. */
  engineVersion?: string;
  /** Default: this host's. */
  platform?: Platform;
  /** Default: the real clock (tests pin it). */
  now?: () => Date;
}

/**
 * The image operations the engine and the `berth` CLI call: a content
 * store, an image store and a snapshotter composed. Each method is one
 * Docker operation with Docker's semantics; the work is in the modules
 * this class delegates to, each taking the shared ImageContext.
 */
export class ImageService {
  readonly ctx: ImageContext;

  constructor(options: ImageServiceOptions) {
    this.ctx = {
      content: options.content,
      images: options.images,
      snapshots: options.snapshots,
      leases: new Leases(),
      containersUsing: options.containersUsing ?? (() => []),
      graphDriverData: options.graphDriverData ?? ((key) => options.snapshots.graphDriverData?.(key) ?? null),
      engineVersion: options.engineVersion,
      platform: options.platform ?? hostPlatform(),
      now: options.now ?? (() => new Date()),
      layerSizes: new Map(),
    };
  }

  /** `docker import`: a root filesystem tar (plain, gzip, zstd) as a one-layer image. */
  importImage(source: AsyncIterable<Uint8Array>, options?: ImportOptions): Promise<ImportResult> {
    return importImage(this.ctx, source, options);
  }

  /** Every layer of the image unpacked as a committed snapshot (from its blob where missing). */
  ensureUnpacked(id: Digest): Promise<void> {
    return ensureUnpacked(this.ctx, id);
  }

  /** `docker save`: one tar archive with Docker's manifest.json and an OCI layout. Names are resolved before it returns. */
  save(refsOrIds: string[]): Promise<Readable> {
    return saveArchive(this.ctx, refsOrIds);
  }

  /** `docker load`: archives of Docker 20.10, Docker ≥25, the legacy format, and OCI image layouts. */
  load(archive: AsyncIterable<Uint8Array>, options?: LoadOptions): Promise<LoadResult> {
    return loadArchive(this.ctx, archive, options);
  }

  /** `docker tag`. */
  tag(source: string, target: string): void {
    tagImage(this.ctx, source, target);
  }

  /** `docker rmi`. */
  remove(refOrId: string, options?: RemoveOptions): Promise<DeleteItem[]> {
    return removeImage(this.ctx, refOrId, options);
  }

  /** `docker images`. */
  list(options?: ListOptions): Promise<ImageSummary[]> {
    return listImages(this.ctx, options);
  }

  /** `docker image inspect`. */
  inspect(refOrId: string): Promise<ImageInspect> {
    return inspectImage(this.ctx, refOrId);
  }

  /** `docker history`. */
  history(refOrId: string): Promise<HistoryItem[]> {
    return imageHistory(this.ctx, refOrId);
  }

  /** `docker image prune`. */
  prune(options?: PruneOptions): Promise<PruneReport> {
    return pruneImages(this.ctx, options);
  }

  /** `docker commit` of an active snapshot (a container's read-write layer). */
  commit(snapshotKey: string, options?: CommitOptions): Promise<CommitResult> {
    return commitSnapshot(this.ctx, snapshotKey, options);
  }

  /** `docker diff` of an active snapshot. */
  diffChanges(snapshotKey: string): Promise<Change[]> {
    return diffChanges(this.ctx, snapshotKey);
  }
}
