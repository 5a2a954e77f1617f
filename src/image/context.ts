import type { ContentStore } from '../content/content-store.js';
import type { Digest } from '../lib/digest.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { Platform } from '../spec/oci-image.js';
import type { Leases } from './leases.js';
import type { ImageStore, LayerRecord } from './store.js';

/**
 * What the image operations share: the three stores, the leases of
 * operations under way, and what the engine tells about containers. The
 * ImageService builds one; the operation modules take it as their first
 * argument, so each can be tested with fakes.
 */

/** A container that uses an image (the engine knows them; images/ does not). */
export interface ContainerUse {
  id: string;
  running: boolean;
}

export interface ImageContext {
  readonly content: ContentStore;
  readonly images: ImageStore;
  readonly snapshots: Snapshotter;
  readonly leases: Leases;
  /** The containers created from an image, running or not. */
  containersUsing(id: Digest): ContainerUse[];
  /** Docker's GraphDriver.Data of an image whose top layer is this chain ID; only the driver knows its directories. */
  graphDriverData(chainId: Digest): Record<string, string> | null;
  /** Written as docker_version into configs berth makes, as dockerd writes its own version. */
  readonly engineVersion: string | undefined;
  /** The platform images are made for and picked from indexes. */
  readonly platform: Platform;
  now(): Date;
  /** Sizes of committed layers: they never change, so each is measured once. */
  readonly layerSizes: Map<string, number>;
}

/**
 * Bytes of one layer as Docker counts them (the unpacked layer's own
 * files). A layer not unpacked is counted by its blob, the best figure
 * there is without unpacking it.
 */
export function layerSize(ctx: ImageContext, layer: LayerRecord): number {
  const cached = ctx.layerSizes.get(layer.chainId);
  if (cached !== undefined) return cached;
  if (!ctx.snapshots.stat(layer.chainId)) return layer.blob?.size ?? 0;
  const size = ctx.snapshots.usage(layer.chainId);
  ctx.layerSizes.set(layer.chainId, size);
  return size;
}
