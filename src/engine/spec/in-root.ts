import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { EngineError, errnoOf } from '../../errors/engine-error.js';

/**
 * Reading a file of a container's root filesystem from the host (its
 * /etc/passwd and /etc/group) as if the root were "/": symlinks resolve
 * inside the root, ".." stops at it, and nothing the image contains can
 * make the host read one of its own files.
 *
 * Each step is taken from an open directory descriptor (through
 * /proc/self/fd/N, Node's stand-in for openat(2)), never from a path
 * string joined again, so an intermediate directory swapped for a symlink
 * between two steps is not followed either: the last step is opened with
 * O_NOFOLLOW, every directory with O_DIRECTORY|O_NOFOLLOW.
 */

const MAX_SYMLINKS = 40; // Linux's MAXSYMLINKS
const at = (dirFd: number, name: string): string => `/proc/self/fd/${dirFd}/${name}`;
const parts = (path: string): string[] => path.split('/').filter((p) => p !== '' && p !== '.');

/** An open descriptor of the regular file at `path` inside `root`, or undefined when there is none. */
export function openFileInRoot(root: string, path: string): number | undefined {
  const dirs: number[] = [openSync(root, constants.O_RDONLY | constants.O_DIRECTORY)];
  let todo = parts(path);
  let links = 0;
  try {
    while (todo.length > 0) {
      const name = todo.shift()!;
      if (name === '..') {
        if (dirs.length > 1) closeSync(dirs.pop()!);
        continue;
      }
      const here = dirs[dirs.length - 1]!;
      let st;
      try {
        st = lstatSync(at(here, name));
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
        throw err;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw new EngineError('InvalidArgument', 'ROOTFS_SYMLINK_LOOP', `resolve ${JSON.stringify(path)} in the container's root filesystem: too many levels of symbolic links (ELOOP)`);
        const target = readlinkSync(at(here, name));
        if (target.startsWith('/')) while (dirs.length > 1) closeSync(dirs.pop()!);
        todo = [...parts(target), ...todo];
        continue;
      }
      if (todo.length === 0) {
        if (!st.isFile()) return undefined;
        const fd = openSync(at(here, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        if (!fstatSync(fd).isFile()) {
          closeSync(fd);
          return undefined;
        }
        return fd;
      }
      if (!st.isDirectory()) return undefined;
      dirs.push(openSync(at(here, name), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
    }
    return undefined; // the root itself is no file
  } finally {
    for (const fd of dirs) closeSync(fd);
  }
}

/**
 * The text of a file inside the root, or undefined when it does not exist.
 * At most maxBytes are read: an image cannot make the engine read a
 * device or an endless file.
 */
export function readFileInRoot(root: string, path: string, maxBytes = 16 << 20): string | undefined {
  const fd = openFileInRoot(root, path);
  if (fd === undefined) return undefined;
  try {
    const size = Math.min(fstatSync(fd).size, maxBytes);
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
