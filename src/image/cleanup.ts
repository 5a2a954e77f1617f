import type { Digest } from '../lib/digest.js';
import { imageInitKey } from '../snapshot/snapshotter.js';
import type { ImageContext } from './context.js';
import type { Lease } from './leases.js';

/**
 * Removing what no image needs any more: after an rmi, and after a failed
 * (or partly unused) load, import or commit. A snapshot or blob is kept
 * while any image record names it (the image store's GC roots) or another
 * operation's lease holds it; a snapshot is also kept while something is
 * over it (a container's layer, another image's layer), which the
 * snapshotter refuses to remove.
 */

export interface Discarded {
  /** chain IDs (or keys) of the snapshots removed, in the order removed */
  snapshots: string[];
  blobs: Digest[];
}

/**
 * Removes the given snapshots (pass them top first: a layer can only go
 * after the layers over it) and blobs that are unused. `lease` is the
 * caller's own, which does not protect anything from this call.
 */
export async function discardUnused(ctx: ImageContext, lease: Lease | undefined, snapshots: readonly string[], blobs: Iterable<Digest>): Promise<Discarded> {
  const roots = ctx.images.gcRoots();
  const out: Discarded = { snapshots: [], blobs: [] };
  for (const key of new Set(snapshots)) {
    if (roots.snapshots.has(key as Digest) || ctx.leases.holdsSnapshot(key, lease) || !ctx.snapshots.stat(key)) continue;
    try {
      // the init layer the image's containers shared goes first: it is over the top layer, and no image names it
      if (ctx.snapshots.stat(imageInitKey(key))) ctx.snapshots.remove(imageInitKey(key));
      ctx.snapshots.remove(key);
    } catch {
      continue; // something is over it (a container, another layer): it stays, and so do the layers under it
    }
    ctx.layerSizes.delete(key);
    out.snapshots.push(key);
  }
  for (const digest of new Set(blobs)) {
    if (roots.content.has(digest) || ctx.leases.holdsBlob(digest, lease)) continue;
    if (await ctx.content.delete(digest)) out.blobs.push(digest);
  }
  return out;
}
