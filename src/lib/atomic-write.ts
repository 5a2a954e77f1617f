import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

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
