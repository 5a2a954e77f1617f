import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * fsync before the rename, so a power cut leaves the old or the new
   * contents (the default). Files that mean nothing after a reboot (under
   * the exec root: runtime state, pid files, a running container's spec)
   * skip it: the rename alone keeps readers from a torn file, and a
   * process crash loses nothing that reached the page cache.
   */
  durable?: boolean;
}

/**
 * Write a file so that readers see either the old or the new contents, never
 * a torn one: temp file in the same directory, fsync, rename.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, modeOrOptions: number | AtomicWriteOptions = 0o644): void {
  const { mode = 0o644, durable = true } = typeof modeOrOptions === 'number' ? { mode: modeOrOptions } : modeOrOptions;
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (durable) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** writeFileAtomic off the event loop: each step on the thread pool. */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const { mode = 0o644, durable = true } = opts;
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}
