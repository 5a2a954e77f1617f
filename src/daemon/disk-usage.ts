import { layerSize } from '../image/context.js';
import type { ImageSummary } from '../image/list.js';
import type { Services } from './services.js';

/** The kinds GET /system/df can be limited to (its `type` parameter, API 1.42+). */
export type DiskUsageKind = 'container' | 'image' | 'volume' | 'build-cache';

/** GET /system/df: Docker's DiskUsage. */
export interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[];
  Containers?: Record<string, unknown>[];
  Volumes?: Record<string, unknown>[];
  BuildCache?: unknown[];
}

/**
 * `docker system df`: the images (each with its containers and the size it
 * shares with others), the size of every layer once, the containers with
 * their read-write and root-filesystem sizes, the volumes with how many
 * containers use them and their size. berth's classic builder keeps no
 * build cache apart from images, so that list is empty.
 */
export async function diskUsage(s: Services, kinds?: DiskUsageKind[]): Promise<DiskUsage> {
  const want = (k: DiskUsageKind): boolean => !kinds?.length || kinds.includes(k);
  const out: DiskUsage = {};
  if (want('image')) {
    const ictx = s.images.ctx;
    const sizes = new Map<string, number>();
    for (const record of ictx.images.list()) for (const l of record.layers) if (!sizes.has(l.chainId)) sizes.set(l.chainId, safe(() => layerSize(ictx, l)));
    out.LayersSize = [...sizes.values()].reduce((a, b) => a + b, 0);
    out.Images = await s.images.list({});
  }
  if (want('container')) out.Containers = s.engine.list({ all: true, size: true });
  if (want('volume')) {
    const containers = s.ctx.containers.list();
    out.Volumes = s.volumes.list().map((v) => {
      // Anonymous is berth's own bookkeeping, not part of Docker's Volume
      const view: Record<string, unknown> = { ...v };
      delete view['Anonymous'];
      const refs = containers.filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === v.Name)).length;
      return { ...view, UsageData: { RefCount: refs, Size: s.volumes.usage(v.Name) } };
    });
  }
  if (want('build-cache')) out.BuildCache = [];
  return out;
}

function safe(size: () => number): number {
  try {
    return size();
  } catch {
    return 0;
  }
}
