import { EngineError } from '../errors/engine-error.js';
import type { Digest } from '../lib/digest.js';
import { decompress } from '../snapshot/layer/compression.js';
import { classifyName, entryComponents, pathKey } from '../snapshot/layer/paths.js';
import { readTar } from '../snapshot/layer/tar-reader.js';
import type { ImageContext } from './context.js';

/**
 * `docker diff`: what a container changed, as paths marked A (added),
 * C (changed) or D (deleted), sorted by path. The snapshotter gives the
 * changes as a layer tar (diff); whether a path in it is new or changed
 * depends on whether the layers below had it, which is read from their
 * blobs — the snapshotter exposes no other way to look at a committed
 * layer. Layers with no blob (a container's init layer: its mount points
 * and /etc files) count as adding nothing; Docker's diff does not show
 * them either, since they are below the read-write layer.
 */

/** The Engine API's kinds: 0 changed, 1 added, 2 deleted. */
export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const;

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** A tree of path components: whiteouts and opaque markers drop whole subtrees in one step. */
type PathNode = Map<string, PathNode>;

class PathTree {
  private readonly root: PathNode = new Map();

  add(parts: readonly string[]): void {
    let node = this.root;
    for (const p of parts) {
      let next = node.get(p);
      if (!next) node.set(p, (next = new Map()));
      node = next;
    }
  }

  private find(parts: readonly string[]): PathNode | undefined {
    let node: PathNode | undefined = this.root;
    for (const p of parts) node = node?.get(p);
    return node;
  }

  has(parts: readonly string[]): boolean {
    return this.find(parts) !== undefined;
  }

  remove(parts: readonly string[]): void {
    this.find(parts.slice(0, -1))?.delete(parts[parts.length - 1]!);
  }

  clear(parts: readonly string[]): void {
    this.find(parts)?.clear();
  }
}

/** The paths a stack of layers shows, bottom layer first. */
async function pathsOf(ctx: ImageContext, blobs: readonly Digest[]): Promise<PathTree> {
  const paths = new PathTree();
  for (const digest of blobs) {
    const { stream } = await decompress(await ctx.content.openRead(digest));
    for await (const { header } of readTar(stream)) {
      const parts = entryComponents(header.name);
      if (parts.length === 0) continue;
      const kind = classifyName(parts[parts.length - 1]!);
      if (kind.kind === 'opaque') paths.clear(parts.slice(0, -1));
      else if (kind.kind === 'whiteout') paths.remove([...parts.slice(0, -1), kind.name]);
      else if (kind.kind === 'normal') paths.add(parts);
    }
  }
  return paths;
}

/** The blobs of the committed layers under an active snapshot, bottom first. */
function blobsBelow(ctx: ImageContext, key: string): Digest[] {
  const byChain = new Map<string, Digest>();
  for (const record of ctx.images.list()) for (const l of record.layers) if (l.blob) byChain.set(l.chainId, l.blob.digest);
  const out: Digest[] = [];
  for (let k = ctx.snapshots.stat(key)?.parent; k !== undefined; k = ctx.snapshots.stat(k)?.parent) {
    const blob = byChain.get(k);
    if (blob) out.unshift(blob);
  }
  return out;
}

export async function diffChanges(ctx: ImageContext, key: string): Promise<Change[]> {
  const info = ctx.snapshots.stat(key);
  if (!info || info.kind !== 'active') {
    throw new EngineError('NotFound', 'NO_SUCH_SNAPSHOT', `diff ${JSON.stringify(key)}: ${info ? `it is a ${info.kind} snapshot, not a container's layer` : 'no such snapshot'}`);
  }
  const below = await pathsOf(ctx, blobsBelow(ctx, key));
  const changes = new Map<string, Change['Kind']>();
  for await (const { header } of readTar(ctx.snapshots.diff(key))) {
    const parts = entryComponents(header.name);
    if (parts.length === 0) continue;
    const kind = classifyName(parts[parts.length - 1]!);
    if (kind.kind === 'meta') continue;
    if (kind.kind === 'whiteout') {
      changes.set(pathKey([...parts.slice(0, -1), kind.name]), ChangeKind.Deleted);
      continue;
    }
    // an opaque directory was replaced: the directory itself shows as changed (or added)
    const own = kind.kind === 'opaque' ? parts.slice(0, -1) : parts;
    if (own.length === 0) continue;
    changes.set(pathKey(own), below.has(own) ? ChangeKind.Modified : ChangeKind.Added);
  }
  return [...changes]
    .map(([path, k]) => ({ Path: `/${path}`, Kind: k }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.Path), Buffer.from(b.Path)));
}
