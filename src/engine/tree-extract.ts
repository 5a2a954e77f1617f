import { closeSync, constants, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { EngineError } from '../errors/engine-error.js';
import { decompress } from '../snapshot/layer/compression.js';
import { goClean, goDir, goJoin } from '../lib/go-path.js';
import { isLayerXattr } from '../snapshot/layer/paths.js';
import { writeRegularFile } from '../snapshot/layer/restore-file.js';
import type { TarHeader } from '../snapshot/layer/tar-header.js';
import { readTar, type TarEntry } from '../snapshot/layer/tar-reader.js';
import { errnoOfHostCall, lsetxattr, mknod, S_IF } from '../sys/addon.js';
import { at, TreePathError, type TreeDir, type TreeFs, type TreeNode } from './tree-fs.js';
import { lstatOrUndefined } from '../lib/fs.js';

/**
 * Unpacking a tar archive into a directory of a TreeFs, as `docker cp`
 * does (pkg/archive's Untar inside the container's root): entries replace
 * what is at their names (a directory merges with a directory), missing
 * parents are made (0755, root), symlinks among the parents are followed
 * inside the tree, and with noOverwriteDirNonDir a directory and a
 * non-directory never replace each other. Docker's lexical checks are
 * kept with its messages: a name climbing out of the destination, a
 * relative symlink pointing out of it, a hardlink to a path outside it.
 *
 * Every file is made from a held directory descriptor with a call that
 * does not follow its last component (O_CREAT|O_EXCL|O_NOFOLLOW, mkdir,
 * symlink, mknod, link, unlink, rmdir; owners and modes through the open
 * file, or lchown), so a symlink placed by the archive, by the image or
 * by a running container never sends a write to the host.
 */

export interface ExtractOptions {
  /** Refuse to replace a directory by a non-directory and the reverse (docker cp sends it). */
  noOverwriteDirNonDir: boolean;
  /** Owners: the archive's ids, the extracting process's own (the CLI's NoLchown), or fixed ones (docker cp -a with a container user). */
  owner: 'archive' | 'self' | { uid: number; gid: number };
  /** The destination as messages name it: a container path (berthd) or a host path (the CLI). */
  label: string;
  /** A rename applied to every entry name first (docker cp's RebaseArchiveEntries). */
  rename?: (name: string) => string;
}

function tarError(message: string, kind: 'InvalidArgument' | 'Conflict' | 'Forbidden' = 'InvalidArgument'): EngineError {
  return new EngineError(kind, 'COPY_EXTRACT', `Error processing tar file: ${message}`);
}


const inside = (path: string, dir: string): boolean => path === dir || dir === '/' || path.startsWith(`${dir}/`);

class Extractor {
  /** Open directories by their path relative to the destination ('' is the destination). */
  private readonly dirs = new Map<string, TreeDir>();
  /** Directory mtimes, set last: what is created inside a directory changes its time. */
  private readonly dirTimes: [TreeDir, number][] = [];
  private readonly uid = process.getuid?.() ?? 0;
  private readonly gid = process.getgid?.() ?? 0;

  constructor(
    private readonly fs: TreeFs,
    private readonly dest: TreeNode,
    private readonly opts: ExtractOptions,
  ) {
    this.dirs.set('', fs.openDir(dest));
  }

  close(): void {
    for (const d of this.dirs.values()) this.fs.closeDir(d);
    this.dirs.clear();
  }

  /** The ids a new file gets; undefined: leave them (the CLI's NoLchown). */
  private owner(h: TarHeader): { uid: number; gid: number } | undefined {
    const o = this.opts.owner;
    if (o === 'self') return undefined;
    return o === 'archive' ? { uid: h.uid, gid: h.gid } : o;
  }

  private display(rel: readonly string[]): string {
    return goJoin(this.opts.label, ...rel);
  }

  private writable(dir: TreeDir): void {
    if (dir.mount && !dir.mount.writable) throw new EngineError('Forbidden', 'VOLUME_READONLY', 'mounted volume is marked read-only');
  }

  /** The open directory at rel (relative to the destination), made when missing; symlinks followed inside the tree. */
  private directory(rel: readonly string[]): TreeDir {
    const k = rel.join('/');
    const known = this.dirs.get(k);
    if (known) return known;
    const parent = this.directory(rel.slice(0, -1));
    const name = rel[rel.length - 1]!;
    let node = this.fs.child(parent, name);
    if (node?.st.isSymbolicLink()) {
      try {
        node = this.fs.resolve([...parent.path, name], true);
      } catch (err) {
        if (err instanceof TreePathError) throw tarError(`mkdir ${this.display(rel)}: ${err.message.replace(/^[^:]*: /, '')}`);
        throw err;
      }
    }
    if (!node) {
      this.writable(parent);
      mkdirSync(at(parent.fd, name), 0o755);
      const dir = this.fs.openDir({ path: [...parent.path, name], access: at(parent.fd, name), st: lstatSync(at(parent.fd, name), { bigint: true }), mount: parent.mount, pinned: false });
      try {
        fchmodSync(dir.fd, 0o755); // whatever the umask
        if (this.opts.owner !== 'self') fchownSync(dir.fd, 0, 0);
      } catch (err) {
        this.fs.closeDir(dir);
        throw err;
      }
      this.dirs.set(k, dir);
      return dir;
    }
    if (!node.st.isDirectory()) throw tarError(`mkdir ${this.display(rel)}: not a directory`);
    const dir = this.fs.openDir(node);
    this.dirs.set(k, dir);
    return dir;
  }

  /** Removes what is at name in dir, a directory with everything in it, never following a symlink. */
  private remove(dir: TreeDir, name: string, rel: readonly string[]): void {
    const path = [...dir.path, name];
    if (this.fs.hasMountUnder(path)) throw tarError(`cannot replace ${JSON.stringify(this.display(rel))}: it holds a mount point`, 'Conflict');
    removeAt(dir.fd, name);
    // cached descriptors under it now name removed directories
    const k = rel.join('/');
    for (const [key, d] of this.dirs) {
      if (key === k || key.startsWith(`${k}/`)) {
        this.fs.closeDir(d);
        this.dirs.delete(key);
      }
    }
  }

  /** The entry being unpacked, as messages name it. */
  current = '';

  async entry(entry: TarEntry): Promise<void> {
    const h = entry.header;
    const name = this.opts.rename ? this.opts.rename(h.name) : h.name;
    // as Docker: the name cleaned and joined to the destination, and refused if that climbs out
    const label = this.opts.label;
    const full = goClean(`${label}/${name}`);
    this.current = full;
    if (!inside(full, label)) throw tarError(`${JSON.stringify(name)} is outside of ${JSON.stringify(label)}`);
    const rel = (label === '/' ? full : full.slice(label.length)).split('/').filter(Boolean);
    if (rel.length === 0) return; // the destination itself: left as it is
    const parent = this.directory(rel.slice(0, -1));
    const base = rel[rel.length - 1]!;
    const here = [...parent.path, base];

    if (h.type === 'symlink') {
      const target = goJoin(goDir(full), h.linkname);
      if (!inside(target, label)) throw tarError(`invalid symlink ${JSON.stringify(full)} -> ${JSON.stringify(h.linkname)}`);
    }
    let linkTarget: TreeNode | undefined;
    if (h.type === 'hardlink') {
      // a hardlink names another entry: renamed alike
      const linkname = this.opts.rename ? this.opts.rename(h.linkname) : h.linkname;
      const target = goJoin(label, linkname);
      if (!inside(target, label)) throw tarError(`invalid hardlink ${JSON.stringify(target)} -> ${JSON.stringify(linkname)}`);
      try {
        linkTarget = this.fs.resolve([...this.dest.path, ...(label === '/' ? target : target.slice(label.length)).split('/').filter(Boolean)], false);
      } catch (err) {
        if (err instanceof TreePathError) throw tarError(`link ${target} ${full}: no such file or directory`);
        throw err;
      }
      if (linkTarget.st.isDirectory() || linkTarget.pinned) throw tarError(`link ${target} ${full}: operation not permitted`);
    }

    if (this.fs.mountAt(here)) {
      // a volume's or bound file's mount point: a directory merges with it, nothing replaces it
      if (h.type === 'dir' && this.fs.child(parent, base)?.st.isDirectory()) {
        const node = this.fs.child(parent, base)!;
        this.dirs.set(rel.join('/'), this.fs.openDir(node));
        return;
      }
      throw tarError(`cannot replace ${JSON.stringify(full)}: it is a mount point`, 'Conflict');
    }
    this.writable(parent);
    const path = at(parent.fd, base);
    const existing = lstatOrUndefined(path);
    if (existing) {
      if (this.opts.noOverwriteDirNonDir && existing.isDirectory() && h.type !== 'dir') {
        throw tarError(`cannot overwrite directory ${JSON.stringify(full)} with non-directory ${JSON.stringify(label)}`, 'Conflict');
      }
      if (this.opts.noOverwriteDirNonDir && !existing.isDirectory() && h.type === 'dir') {
        throw tarError(`cannot overwrite non-directory ${JSON.stringify(full)} with directory ${JSON.stringify(label)}`, 'Conflict');
      }
      if (!(existing.isDirectory() && h.type === 'dir')) this.remove(parent, base, rel);
    }
    const owner = this.owner(h);
    switch (h.type) {
      case 'dir': {
        if (!existing?.isDirectory()) mkdirSync(path, 0o700);
        let held = this.dirs.get(rel.join('/'));
        if (!held) {
          held = this.fs.openDir({ path: here, access: path, st: lstatSync(path, { bigint: true }), mount: parent.mount, pinned: false });
          this.dirs.set(rel.join('/'), held);
        }
        if (owner) fchownSync(held.fd, owner.uid, owner.gid);
        fchmodSync(held.fd, h.mode);
        this.setXattrs(path, h);
        this.dirTimes.push([held, h.mtime]);
        break;
      }
      case 'file':
        await writeRegularFile(path, owner ? { ...h, ...owner } : { ...h, uid: this.uid, gid: this.gid }, entry.body, (p) => this.setXattrs(p, h));
        break;
      case 'hardlink':
        linkSync(linkTarget!.access, path);
        break;
      case 'symlink':
        symlinkSync(h.linkname, path);
        if (owner) lchownSync(path, owner.uid, owner.gid);
        lutimesSync(path, h.mtime, h.mtime);
        break;
      case 'char':
      case 'block':
      case 'fifo':
        // the mode goes with mknod (less the umask): a chmod by name could follow a symlink swapped in meanwhile
        mknod(path, (h.type === 'char' ? S_IF.CHR : h.type === 'block' ? S_IF.BLK : S_IF.FIFO) | (h.mode & 0o777), h.devmajor, h.devminor);
        if (owner) lchownSync(path, owner.uid, owner.gid);
        this.setXattrs(path, h);
        lutimesSync(path, h.mtime, h.mtime);
        break;
    }
  }

  private setXattrs(path: string, h: TarHeader): void {
    for (const [name, value] of h.xattrs) {
      if (!isLayerXattr(name)) continue;
      try {
        lsetxattr(path, name, value);
      } catch (err) {
        // a file system without them: the file stays, as Docker's Untar keeps it
        const errno = errnoOfHostCall(err);
        if (errno !== 'EOPNOTSUPP' && errno !== 'ENOTSUP') throw err;
      }
    }
  }

  finish(): void {
    for (const [dir, mtime] of this.dirTimes) futimesSync(dir.fd, mtime, mtime);
  }
}

/** rm -rf of name in an open directory, one descriptor per level: a symlink is unlinked, never followed. */
export function removeAt(dirFd: number, name: string): void {
  const path = at(dirFd, name);
  const st = lstatOrUndefined(path);
  if (!st) return;
  if (!st.isDirectory()) {
    unlinkSync(path);
    return;
  }
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    for (const child of readdirSync(`/proc/self/fd/${fd}/.`)) removeAt(fd, child);
  } finally {
    closeSync(fd);
  }
  rmdirSync(path);
}

/**
 * Unpacks the archive into the directory `dest` of the tree. Throws the
 * first failure as an EngineError; what was unpacked before it stays, as
 * with Docker.
 */
export async function extractArchive(fs: TreeFs, dest: TreeNode, input: AsyncIterable<Uint8Array>, opts: ExtractOptions): Promise<void> {
  const x = new Extractor(fs, dest, opts);
  try {
    const { stream } = await decompress(input);
    for await (const entry of readTar(stream)) await x.entry(entry);
    x.current = '';
    x.finish();
  } catch (err) {
    if (err instanceof EngineError) throw err;
    const errno = errnoOfHostCall(err);
    const kind = errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS' ? 'Forbidden' : errno === 'EEXIST' || errno === 'EBUSY' ? 'Conflict' : errno === 'ENOSPC' || errno === 'EDQUOT' ? 'Unavailable' : 'Internal';
    // Node's messages name /proc/self/fd paths: the entry's own path instead, and the errno's text
    const text = /^[A-Z0-9]+: ([^,]+)/.exec((err as Error).message)?.[1] ?? (err as Error).message;
    throw new EngineError(kind, 'COPY_EXTRACT', `Error processing tar file: ${x.current ? `${x.current}: ` : ''}${text}`, { cause: err });
  } finally {
    x.close();
  }
}
