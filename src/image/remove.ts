import { EngineError, isEngineError } from '../errors/engine-error.js';
import { hexOf, shortId, type Digest } from '../lib/digest.js';
import { discardUnused } from './cleanup.js';
import { layerSize, type ImageContext } from './context.js';
import { checkFilterNames, danglingFilter, matchLabels, parseUntil, type Filters } from './filters.js';
import { familiarString, parseReference, repositoryName, withDefaultTag, type Reference } from './reference.js';

/**
 * `docker tag`, `docker rmi` and `docker image prune`, with dockerd's
 * rules (daemon/images/image_delete.go):
 *
 * - rmi by name untags that name. If the image keeps other tags (of any
 *   repository) that is all; when the name was the last tag of its
 *   repository, the repository's digest references go too. Only when no
 *   reference is left is the image itself deleted — quietly skipped if
 *   something still needs it (a child image, a container).
 * - rmi by ID (or ID prefix) deletes the image: refused while it has more
 *   than one reference unless forced, always while it has child images or
 *   a running container; a stopped container's image needs force.
 * - Deleting an image removes the layers no other image or container
 *   needs, and then, unless noPrune, its parent if that is now an
 *   untagged image nobody uses, and so on down.
 */

export interface RemoveOptions {
  force?: boolean;
  noPrune?: boolean;
}

/** One line of rmi's answer, as the Engine API writes it. */
export type DeleteItem = { Untagged: string } | { Deleted: string };

export interface PruneOptions {
  /** every image no container uses, not only dangling ones (`prune -a`, i.e. dangling=false) */
  all?: boolean;
  /** dangling, until, label, label! */
  filters?: Filters;
}

export interface PruneReport {
  ImagesDeleted: DeleteItem[];
  SpaceReclaimed: number;
}

export function tagImage(ctx: ImageContext, source: string, target: string): void {
  const record = ctx.images.resolve(source);
  ctx.images.tag(parseReference(target), record.id);
}

interface Conflict {
  hard: boolean;
  used: boolean;
  message: string;
}

const DEPENDENT_CHILD = 1;
const RUNNING = 2;
const ACTIVE_REFERENCE = 4;
const STOPPED = 8;
const HARD = DEPENDENT_CHILD | RUNNING;
const SOFT = ACTIVE_REFERENCE | STOPPED;

function conflictOf(ctx: ImageContext, id: Digest, mask: number): Conflict | undefined {
  if (mask & DEPENDENT_CHILD && ctx.images.children(id).length > 0) return { hard: true, used: false, message: 'image has dependent child images' };
  const users = ctx.containersUsing(id);
  const running = users.find((c) => c.running);
  if (mask & RUNNING && running) return { hard: true, used: true, message: `image is being used by running container ${shortId(running.id)}` };
  if (mask & ACTIVE_REFERENCE && ctx.images.references(id).length > 0) return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
  const stopped = users.find((c) => !c.running);
  if (mask & STOPPED && stopped) return { hard: false, used: true, message: `image is being used by stopped container ${shortId(stopped.id)}` };
  return undefined;
}

function conflictError(id: Digest, c: Conflict): EngineError {
  return new EngineError('Conflict', 'IMAGE_CONFLICT', `conflict: unable to delete ${shortId(id)} (${c.hard ? 'cannot be forced' : 'must be forced'}) - ${c.message}`, {
    hint: c.hard ? 'remove what depends on it first' : 'force it, or remove what uses it first',
  });
}

/** Docker's isSingleReference: one tag, possibly with digest references of the same repository. */
function isSingleReference(refs: readonly Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const canonical = new Set<string>();
  let single: Reference | undefined;
  for (const r of refs) {
    if (r.digest !== undefined) canonical.add(repositoryName(r));
    else if (single === undefined) single = r;
    else return false;
  }
  single ??= refs[0]!;
  return canonical.size === 1 && canonical.has(repositoryName(single));
}

function isIdPrefix(id: Digest, text: string): boolean {
  return id.startsWith(text) || hexOf(id).startsWith(text);
}

/** The form a reference is stored (and printed) in: :latest for a bare name, the digest alone when there is one. */
function storedForm(ref: Reference): Reference {
  return ref.digest !== undefined ? { domain: ref.domain, path: ref.path, digest: ref.digest } : withDefaultTag(ref);
}

export async function removeImage(ctx: ImageContext, refOrId: string, options: RemoveOptions = {}): Promise<DeleteItem[]> {
  const force = options.force ?? false;
  const prune = !(options.noPrune ?? false);
  const record = ctx.images.resolve(refOrId);
  const id = record.id;
  const records: DeleteItem[] = [];
  const refsOf = (): Reference[] => ctx.images.references(id).map((e) => e.ref);

  if (!isIdPrefix(id, refOrId)) {
    if (!force && isSingleReference(refsOf())) {
      const user = ctx.containersUsing(id)[0];
      if (user) {
        throw new EngineError('Conflict', 'IMAGE_CONFLICT', `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(id)}`, {
          hint: 'remove the container first, or force it',
        });
      }
    }
    const ref = storedForm(parseReference(refOrId));
    ctx.images.untag(ref);
    records.push({ Untagged: familiarString(ref) });
    let remaining = refsOf();
    if (ref.digest === undefined && !remaining.some((r) => r.digest === undefined && repositoryName(r) === repositoryName(ref))) {
      // the last tag of its repository: the repository's digest references have nothing left to name
      const kept: Reference[] = [];
      for (const r of remaining) {
        if (r.digest !== undefined && repositoryName(r) === repositoryName(ref)) {
          ctx.images.untag(r);
          records.push({ Untagged: familiarString(r) });
        } else kept.push(r);
      }
      remaining = kept;
    }
    if (remaining.length > 0) return records;
    await deleteHelper(ctx, id, records, force, prune, true);
    return records;
  }

  const refs = refsOf();
  if (isSingleReference(refs)) {
    const conflict = conflictOf(ctx, id, HARD | (force ? 0 : STOPPED));
    if (conflict) throw conflictError(id, conflict);
    for (const r of refs) {
      ctx.images.untag(r);
      records.push({ Untagged: familiarString(r) });
    }
  }
  await deleteHelper(ctx, id, records, force, prune, false);
  return records;
}

async function deleteHelper(ctx: ImageContext, id: Digest, records: DeleteItem[], force: boolean, prune: boolean, quiet: boolean): Promise<void> {
  const conflict = conflictOf(ctx, id, HARD | (force ? 0 : SOFT));
  if (conflict) {
    const dangling = ctx.images.references(id).length === 0 && ctx.images.children(id).length === 0;
    if (quiet && (!dangling || conflict.used)) return;
    throw conflictError(id, conflict);
  }
  const record = ctx.images.get(id)!;
  for (const r of ctx.images.references(id)) records.push({ Untagged: familiarString(r.ref) });
  ctx.images.delete(id);
  records.push({ Deleted: id });
  const layersTopFirst = record.layers.map((l) => l.chainId).reverse();
  const blobs = [id, ...record.manifests.map((m) => m.digest), ...record.layers.flatMap((l) => (l.blob ? [l.blob.digest] : []))];
  const removed = await discardUnused(ctx, undefined, layersTopFirst, blobs);
  for (const chain of removed.snapshots) records.push({ Deleted: chain });
  if (prune && record.parent !== undefined && ctx.images.get(record.parent)) {
    await deleteHelper(ctx, record.parent, records, false, true, true);
  }
}

const PRUNE_FILTERS = ['dangling', 'until', 'label', 'label!'] as const;

export async function pruneImages(ctx: ImageContext, options: PruneOptions = {}): Promise<PruneReport> {
  const filters = options.filters ?? {};
  checkFilterNames(filters, PRUNE_FILTERS);
  const danglingOnly = danglingFilter(filters, true) ?? !options.all;
  const untilValues = filters['until'] ?? [];
  if (untilValues.length > 1) throw new EngineError('InvalidArgument', 'INVALID_FILTER', 'more than one until filter specified');
  const until = untilValues[0] === undefined ? undefined : parseUntil(untilValues[0], ctx.now());

  // sizes first: the layers are gone once deleted
  const sizes = new Map<string, number>();
  const candidates: Digest[] = [];
  for (const record of ctx.images.list()) {
    for (const l of record.layers) sizes.set(l.chainId, layerSize(ctx, l));
    const children = ctx.images.children(record.id).length;
    if (danglingOnly && children > 0) continue;
    if (ctx.images.references(record.id).length === 0 && children > 0) continue;
    const config = await ctx.images.config(record.id);
    if (until && config.created !== undefined && Date.parse(config.created) > until.getTime()) continue;
    const labels = config.config?.Labels;
    if (!matchLabels(filters['label'], labels)) continue;
    if (filters['label!']?.length && matchLabels(filters['label!'], labels)) continue;
    candidates.push(record.id);
  }

  const report: PruneReport = { ImagesDeleted: [], SpaceReclaimed: 0 };
  for (const id of candidates) {
    if (!ctx.images.get(id)) continue; // went with an image pruned before it
    const refs = ctx.images.references(id).map((e) => e.ref);
    const targets = refs.length === 0 ? [hexOf(id)] : !danglingOnly || !refs.some((r) => r.tag !== undefined) ? refs.map(familiarString) : [];
    for (const target of targets) {
      try {
        report.ImagesDeleted.push(...(await removeImage(ctx, target, { force: false })));
      } catch (err) {
        // in use, or has children: not prunable; anything else is a real failure
        if (!isEngineError(err, 'IMAGE_CONFLICT') && !isEngineError(err, 'NO_SUCH_IMAGE')) throw err;
      }
    }
  }
  for (const item of report.ImagesDeleted) {
    if ('Deleted' in item) report.SpaceReclaimed += sizes.get(item.Deleted) ?? 0;
  }
  return report;
}
