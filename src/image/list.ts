import type { Digest } from '../lib/digest.js';
import type { ImageConfig } from '../spec/oci-image.js';
import { layerSize, type ImageContext } from './context.js';
import { checkFilterNames, danglingFilter, matchLabels, referenceMatches, type Filters } from './filters.js';
import { familiarString } from './reference.js';
import type { ImageRecord } from './store.js';

/**
 * `docker images` as dockerd 20.10 answers it (daemon/images/images.go):
 * tagged images and dangling ones (no name, no child image), or every
 * image with `all` (intermediate ones too); newest first. Filters:
 * dangling, label, before, since, reference.
 *
 * Sizes: Size is the whole image (all its layers); SharedSize the bytes
 * of its layers that another listed image also has; Size − SharedSize is
 * what removing it alone would free. Docker computes SharedSize only for
 * `system df` (else -1); berth always does: it is a sum over sizes it has
 * at hand.
 */

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
}

export interface ImageSummary {
  Containers: number;
  /** Unix seconds */
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[] | null;
  RepoTags: string[] | null;
  SharedSize: number;
  Size: number;
  VirtualSize: number;
}

const LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'reference'] as const;

const createdMs = (c: ImageConfig): number => (c.created === undefined ? -62135596800000 : Date.parse(c.created));

export async function listImages(ctx: ImageContext, options: ListOptions = {}): Promise<ImageSummary[]> {
  const filters = options.filters ?? {};
  checkFilterNames(filters, LIST_FILTERS);
  const danglingOnly = danglingFilter(filters, false) === true;
  const records = ctx.images.list();
  // each config is read once: the filters and the answer both need it
  const configs = new Map<Digest, ImageConfig>();
  for (const r of records) configs.set(r.id, await ctx.images.config(r.id));
  const bound = async (name: 'before' | 'since'): Promise<number | undefined> => {
    const values = filters[name] ?? [];
    if (values.length === 0) return undefined;
    // Docker takes the last one given
    const id = ctx.images.resolve(values[values.length - 1]!).id;
    return createdMs(configs.get(id) ?? (await ctx.images.config(id)));
  };
  const before = await bound('before');
  const since = await bound('since');
  const patterns = filters['reference'];

  const listed: { record: ImageRecord; summary: ImageSummary }[] = [];
  for (const record of records) {
    const children = ctx.images.children(record.id).length;
    if (danglingOnly && children > 0) continue;
    const config = configs.get(record.id)!;
    const created = createdMs(config);
    if (before !== undefined && created >= before) continue;
    if (since !== undefined && created <= since) continue;
    if (filters['label']?.length && !matchLabels(filters['label'], config.config?.Labels)) continue;

    let repoTags: string[] | null = null;
    let repoDigests: string[] | null = null;
    for (const { ref } of ctx.images.references(record.id)) {
      if (patterns?.length && !patterns.some((p) => referenceMatches(p, ref))) continue;
      if (ref.digest !== undefined) (repoDigests ??= []).push(familiarString(ref));
      if (ref.tag !== undefined) (repoTags ??= []).push(familiarString(ref));
    }
    if (repoTags === null && repoDigests === null) {
      if (!(options.all || children === 0)) continue;
      if (danglingFilter(filters, false) === false || patterns?.length) continue;
      repoDigests = ['<none>@<none>'];
      repoTags = ['<none>:<none>'];
    } else if (danglingOnly && repoTags !== null) continue;

    const size = record.layers.reduce((sum, l) => sum + layerSize(ctx, l), 0);
    listed.push({
      record,
      summary: {
        Containers: ctx.containersUsing(record.id).length,
        Created: Math.floor(created / 1000),
        Id: record.id,
        Labels: config.config?.Labels ?? null,
        ParentId: record.parent ?? '',
        RepoDigests: repoDigests,
        RepoTags: repoTags,
        SharedSize: 0,
        Size: size,
        VirtualSize: size,
      },
    });
  }

  const users = new Map<string, number>();
  for (const { record } of listed) for (const l of record.layers) users.set(l.chainId, (users.get(l.chainId) ?? 0) + 1);
  for (const { record, summary } of listed) {
    summary.SharedSize = record.layers.reduce((sum, l) => sum + ((users.get(l.chainId) ?? 0) > 1 ? layerSize(ctx, l) : 0), 0);
  }
  return listed.map((l) => l.summary).sort((a, b) => b.Created - a.Created);
}
