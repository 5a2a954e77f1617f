import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errnoOf } from '../errors/engine-error.js';
import type { TarItem } from '../snapshot/layer/tar-writer.js';
import { itemFor, readXattrs, sortedNames, typeOf } from '../snapshot/layer/tree.js';

/**
 * A directory tree seen as its own root — a container's root file system,
 * with its volumes and bind mounts where the container sees them — read
 * and written from the host without ever leaving it.
 *
 * Every path is resolved one component at a time from an open directory
 * descriptor, through /proc/self/fd/N/<name> (Node has no openat(2); the
 * kernel resolves the magic link to the directory the descriptor holds,
 * then looks up <name> in it alone). A symlink is read, never followed by
 * the kernel: its target is resolved here, an absolute one from the tree's
 * root, and ".." stops at the root — the semantics of chroot(2) or
 * openat2's RESOLVE_IN_ROOT. Each directory is opened with
 * O_DIRECTORY|O_NOFOLLOW, so a process in a running container that swaps a
 * directory for a symlink between two steps gains nothing: the step fails
 * or lands on another directory of the same tree, never on a host file.
 *
 * Mounts are given as data (the container's Mounts): when a walk reaches a
 * mount's destination it continues in the mount's source, as the kernel
 * would inside the container. A stopped container's volumes are reachable
 * that way too, and a running container's, whose mounts live in its own
 * mount namespace rather than on the host's view of its root.
 */

export interface TreeMount {
  /** Where the container sees it: absolute, clean. */
  destination: string;
  /** The host path mounted there (a volume's _data, a bind source, the container's hosts file). */
  source: string;
  writable: boolean;
}

/** A resolution failure: what the kernel would have said, and where. */
export class TreePathError extends Error {
  constructor(
    readonly errno: 'ENOENT' | 'ENOTDIR' | 'ELOOP',
    /** the path in the tree where it failed */
    readonly where: string,
    /** for ENOENT: the whole path, resolved up to the missing component and lexically after it */
    readonly lexical: string[] = [],
  ) {
    super(`${where}: ${errno === 'ENOENT' ? 'no such file or directory' : errno === 'ENOTDIR' ? 'not a directory' : 'too many levels of symbolic links'}`);
  }
}

/** An open directory of the tree. */
export interface TreeDir {
  fd: number;
  /** Its path in the tree, resolved: no symlinks, no dots. */
  path: string[];
  /** The mount it is in; undefined: the root file system. */
  mount: TreeMount | undefined;
}

/** A file found in the tree. */
export interface TreeNode {
  path: string[];
  /**
   * A host path that reaches it and nothing else: /proc/self/fd/<dir>/<name>
   * with the directory held open, or /proc/self/fd/<fd>/. for a directory
   * held itself (the root, a mount's root). The last component is never a
   * symlink that the kernel would follow.
   */
  access: string;
  st: BigIntStats;
  mount: TreeMount | undefined;
  /** The root of the tree or of a mount: it cannot be removed or replaced. */
  pinned: boolean;
}

const MAX_SYMLINKS = 40; // Linux's MAXSYMLINKS
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;
export const at = (fd: number, name: string): string => `/proc/self/fd/${fd}/${name}`;
const self = (fd: number): string => `/proc/self/fd/${fd}/.`;
const components = (path: string): string[] => path.split('/').filter((p) => p !== '' && p !== '.');
const key = (path: readonly string[]): string => path.join('/');
/** ".." and "." applied to a list of components, as a string path's cleaning would. */
function lexically(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out;
}
export const treePath = (path: readonly string[]): string => `/${path.join('/')}`;

export class TreeFs {
  private readonly rootFd: number;
  /** Descriptors that nodes handed out refer to: closed with the tree. */
  private readonly held = new Set<number>();
  private readonly mounts = new Map<string, TreeMount>();
  private closed = false;

  /**
   * Opens the tree at `root`. Mount destinations are resolved in the tree
   * (shallowest first, each over those above it), as the runtime resolves
   * them when it mounts: a destination through one of the image's symlinks
   * is found where the container sees it.
   */
  constructor(root: string, mounts: readonly TreeMount[] = []) {
    this.rootFd = openSync(root, DIR_FLAGS);
    const byDepth = [...mounts].sort((a, b) => components(a.destination).length - components(b.destination).length);
    for (const m of byDepth) {
      let where = components(m.destination);
      try {
        where = this.resolve(where, true).path;
      } catch {
        // not there (yet): the lexical place
      }
      this.mounts.set(key(where), m);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.held) closeSync(fd);
    this.held.clear();
    closeSync(this.rootFd);
  }

  mountAt(path: readonly string[]): TreeMount | undefined {
    return this.mounts.get(key(path));
  }

  /** Whether a mount lies at or below the path (such a directory cannot be removed). */
  hasMountUnder(path: readonly string[]): boolean {
    const k = key(path);
    for (const m of this.mounts.keys()) if (m === k || k === '' || m.startsWith(`${k}/`)) return true;
    return false;
  }

  private hold(fd: number): number {
    if (fd !== this.rootFd) this.held.add(fd);
    return fd;
  }

  /** The node a mount shows at `path`: its source directory opened (fd), or a bound file reached through its directory. */
  private mountNode(m: TreeMount, path: string[]): TreeNode & { fd?: number } {
    let st: BigIntStats;
    try {
      st = statSync(m.source, { bigint: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') throw new TreePathError('ENOENT', treePath(path));
      throw err;
    }
    if (st.isDirectory()) {
      const fd = this.hold(openSync(m.source, DIR_FLAGS));
      return { path, access: self(fd), st: fstatSync(fd, { bigint: true }), mount: m, pinned: true, fd };
    }
    // a bound file (the hosts file, -v /host/file:/etc/x): the host path is the administrator's, followed as mount(2) follows it
    const real = realpathSync(m.source);
    const dirFd = this.hold(openSync(dirname(real), DIR_FLAGS));
    const access = at(dirFd, basename(real));
    return { path, access, st: lstatSync(access, { bigint: true }), mount: m, pinned: true };
  }

  /**
   * Resolves a path of the tree. Every symlink on the way is followed
   * inside the tree; the last component too when `followFinal` (else a
   * symlink there is the node itself). Throws TreePathError for a missing
   * component, a non-directory in the middle, or a symlink loop.
   */
  resolve(path: string | readonly string[], followFinal: boolean): TreeNode {
    const stack: TreeDir[] = [{ fd: this.rootFd, path: [], mount: undefined }];
    const owned = new Set<number>();
    const pop = (): void => {
      const d = stack.pop()!;
      if (owned.delete(d.fd)) closeSync(d.fd);
    };
    let todo = typeof path === 'string' ? components(path) : [...path];
    let links = 0;
    try {
      while (todo.length > 0) {
        const name = todo.shift()!;
        if (name === '.') continue;
        if (name === '..') {
          if (stack.length > 1) pop();
          continue;
        }
        const cur = stack[stack.length - 1]!;
        const childPath = [...cur.path, name];
        const last = todo.length === 0;
        const mount = this.mounts.get(key(childPath));
        if (mount) {
          const { fd, ...node } = this.mountNode(mount, childPath);
          if (last) return node;
          if (fd === undefined) throw new TreePathError('ENOTDIR', treePath(childPath));
          stack.push({ fd, path: childPath, mount });
          continue;
        }
        let st: BigIntStats;
        try {
          st = lstatSync(at(cur.fd, name), { bigint: true });
        } catch (err) {
          const errno = errnoOf(err);
          if (errno === 'ENOENT') throw new TreePathError('ENOENT', treePath(childPath), lexically([...childPath, ...todo]));
          if (errno === 'ENOTDIR') throw new TreePathError('ENOTDIR', treePath(cur.path));
          throw err;
        }
        if (st.isSymbolicLink() && (!last || followFinal)) {
          if (++links > MAX_SYMLINKS) throw new TreePathError('ELOOP', treePath(childPath));
          const target = readlinkSync(at(cur.fd, name));
          if (target.startsWith('/')) while (stack.length > 1) pop();
          todo = [...components(target), ...todo];
          continue;
        }
        if (last) {
          // the node reaches through it: the tree keeps it
          if (owned.delete(cur.fd)) this.hold(cur.fd);
          return { path: childPath, access: at(cur.fd, name), st, mount: cur.mount, pinned: false };
        }
        if (!st.isDirectory()) throw new TreePathError('ENOTDIR', treePath(childPath));
        const fd = openSync(at(cur.fd, name), DIR_FLAGS | constants.O_NOFOLLOW);
        owned.add(fd);
        stack.push({ fd, path: childPath, mount: cur.mount });
      }
      // the path ends at a directory already open: the root, a "..", a symlink to a directory
      const top = stack[stack.length - 1]!;
      if (owned.delete(top.fd)) this.hold(top.fd);
      const pinned = top.path.length === 0 || this.mounts.has(key(top.path));
      return { path: top.path, access: self(top.fd), st: fstatSync(top.fd, { bigint: true }), mount: top.mount, pinned };
    } finally {
      for (const fd of owned) closeSync(fd);
    }
  }

  /**
   * Where a path leads, resolved as far as it exists and lexically past
   * that, as Docker's FollowSymlinkInScope does: a dangling symlink still
   * has a target.
   */
  resolveLenient(path: string): string[] {
    try {
      return this.resolve(path, true).path;
    } catch (err) {
      if (err instanceof TreePathError && err.errno === 'ENOENT') return err.lexical;
      throw err;
    }
  }

  /** A directory node opened for reading its entries or working in it; closed with closeDir(). */
  openDir(node: TreeNode): TreeDir {
    const flags = node.access.endsWith('/.') ? DIR_FLAGS : DIR_FLAGS | constants.O_NOFOLLOW;
    return { fd: openSync(node.access, flags), path: node.path, mount: node.mount };
  }

  closeDir(dir: TreeDir): void {
    closeSync(dir.fd);
  }

  /** The entry `name` of an open directory, a mount's source where one is mounted; undefined when it is gone. */
  child(dir: TreeDir, name: string): TreeNode | undefined {
    const path = [...dir.path, name];
    const mount = this.mounts.get(key(path));
    try {
      if (mount) return this.mountNode(mount, path);
      const access = at(dir.fd, name);
      return { path, access, st: lstatSync(access, { bigint: true }), mount: dir.mount, pinned: false };
    } catch (err) {
      if (err instanceof TreePathError || errnoOf(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Tar items for a node and, for a directory, everything under it (depth
   * first, names in byte order), named `name` and `name/…`. The items read
   * their content through the open directories, which stay open while the
   * generator is inside them: consume or close the generator before the
   * tree. Sockets are left out, as Docker leaves them.
   */
  *items(node: TreeNode, name: string, options: { xattrs?: boolean } = {}): Generator<TarItem> {
    const type = typeOf(node.st);
    if (!type) return;
    const xattrs = type === 'symlink' || options.xattrs === false ? new Map<string, Buffer>() : readXattrs(node.access).carried;
    yield itemFor(name, node.access, node.st, type, xattrs);
    if (type !== 'dir') return;
    yield* this.childItems(node, (child) => (name.endsWith('/') ? `${name}${child}` : `${name}/${child}`), options);
  }

  /** The items of what a directory holds, without the directory's own entry (an export's root). */
  *childItems(node: TreeNode, nameOf: (child: string) => string, options: { xattrs?: boolean } = {}): Generator<TarItem> {
    const dir = this.openDir(node);
    try {
      for (const child of sortedNames(self(dir.fd))) {
        const found = this.child(dir, child);
        if (found) yield* this.items(found, nameOf(child), options);
      }
    } finally {
      this.closeDir(dir);
    }
  }
}
