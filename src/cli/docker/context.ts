import { join, resolve } from 'node:path';
import { LocalContentStore } from '../../content/local-store.js';
import { EngineError } from '../../errors/engine-error.js';
import { ImageService } from '../../image/service.js';
import { ImageStore } from '../../image/store.js';
import { createSnapshotter } from '../../snapshot/create.js';

export const DEFAULT_DATA_ROOT = '/var/lib/berth';
export const VERSION = '0.1.0';

/**
 * Until berthd exists (the engine issue), `berth` works on the data root
 * itself: content store, image metadata and snapshots opened in-process.
 * Only root may: the stores hold files owned by any uid.
 */
export function openImageService(dataRoot: string): ImageService {
  if (process.getuid?.() !== 0) {
    throw new EngineError('Forbidden', 'NOT_ROOT', `berth needs root to use its data root ${JSON.stringify(dataRoot)}`, { hint: 'run it with sudo' });
  }
  const root = resolve(dataRoot);
  const content = new LocalContentStore(join(root, 'content'));
  return new ImageService({
    content,
    images: new ImageStore(join(root, 'image'), content),
    snapshots: createSnapshotter(root),
    engineVersion: VERSION,
  });
}
