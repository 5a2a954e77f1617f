import { closeSync, constants, fchmodSync, fchownSync, futimesSync, openSync, writeSync } from 'node:fs';
import type { TarHeader } from './tar-header.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Writes a regular file from an archive body and restores its metadata, in
 * the order the kernel requires: content, then owner (chown clears setuid,
 * setgid and file capabilities), then mode, then xattrs (a capability set
 * before the chown or a write would be dropped), then times. O_EXCL and
 * O_NOFOLLOW: the caller removed whatever was at the name, so anything
 * found there now (a symlink above all) is refused rather than followed.
 * Writes are synchronous, chunk by chunk: one system call each, and the
 * event loop runs between the chunks the archive delivers.
 */
export async function writeRegularFile(path: string, h: TarHeader, body: AsyncIterable<Buffer>, setXattrs: (path: string) => void): Promise<void> {
  const fd = openSync(path, CREATE, 0o600);
  try {
    for await (const chunk of body) {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    fchownSync(fd, h.uid, h.gid);
    fchmodSync(fd, h.mode);
    setXattrs(path);
    futimesSync(fd, h.mtime, h.mtime);
  } finally {
    closeSync(fd);
  }
}
