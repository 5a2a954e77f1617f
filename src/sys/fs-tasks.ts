import { renameSync } from 'node:fs';
import { errnoOf } from '../errors/engine-error.js';
import type { AtomicWriteOptions } from '../lib/atomic-write.js';
import { addon } from './addon.js';

/**
 * File system work berthd does off its event loop, each as one task on the
 * thread pool (the addon's fs_batch.c) rather than one per step as
 * fs.promises makes them: a write's open, write, fsync, close and rename,
 * or a removed tree's every entry, each cost the event loop a pool thread's
 * wake-up and a completion.
 */

/** writeFileAtomic (lib/atomic-write.ts) as one task on the thread pool. */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const { mode = 0o644, durable = true } = opts;
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  await addon().writeFileAtomic(path, bytes, mode, durable);
}

/** rm -r of path (gone already is fine): no symlink followed, no mount inside crossed (EXDEV). */
export async function removeTree(path: string): Promise<void> {
  await addon().removeTree(path);
}

/**
 * Takes a directory out of sight at once (a rename to `trash`, on the same
 * filesystem) and deletes it in the background, off the event loop: a
 * removal's caller need not wait for a tree's unlinks. Returns the
 * deletion (it never rejects: a failure goes to onError), or undefined when
 * there was nothing at `path`. A deletion cut short by a crash leaves
 * `trash`, which the owner's start-up sweep removes.
 */
export function removeInBackground(path: string, trash: string, onError: (err: Error) => void = () => undefined): Promise<void> | undefined {
  try {
    renameSync(path, trash);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  return removeTree(trash).catch(onError);
}
