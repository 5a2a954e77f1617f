import { Readable } from 'node:stream';
import type { BigIntStats } from 'node:fs';
import { readlinkSync } from 'node:fs';
import { EngineError } from '../../errors/engine-error.js';
import { lgetxattr } from '../../sys/addon.js';
import { entryComponents, pathKey, WHITEOUT_OPAQUE, whiteoutName } from './paths.js';
import { writeTar, type TarItem } from './tar-writer.js';
import { itemFor, lstatBig, markerItem, readXattrs, sameXattrs, seconds, sortedNames, typeOf } from './tree.js';

/**
 * Layer archives from directories, deterministic to the byte: entries in
 * a depth-first walk with names sorted by their bytes (a directory before
 * its contents), whole-second mtimes, no atime or ctime, empty user and
 * group names, PAX records sorted. Equal trees give equal archives, so
 * equal layers get equal digests. The root directory itself is not an
 * entry (as in Docker's layers).
 *
 * What a diff carries: regular files, directories, symlinks, hardlinks
 * (between files of the layer, as link entries), character and block
 * devices, fifos (sockets are skipped, as Docker skips them); owners, modes
 * with setuid/setgid/sticky, mtimes; file capabilities and user.* xattrs as
 * PAX SCHILY.xattr records (paths.ts says why no others).
 */

export interface DiffOptions {
  /** Paths (relative to the layer root; a leading / is allowed) left out entirely. */
  exclude?: string[];
  /**
   * Paths kept as entries but without their contents: a directory without
   * what is inside it, a file without its bytes. A commit passes the
   * container's volume mount points here: the image keeps the empty mount
   * point, never the volume's data.
   */
  excludeContentsOf?: string[];
}

interface Filter {
  exclude: Set<string>;
  contents: Set<string>;
}

function filterOf(options: DiffOptions): Filter {
  const keys = (paths: string[] | undefined): Set<string> => new Set((paths ?? []).map((p) => pathKey(entryComponents(p.replace(/^\/+/, '')))));
  return { exclude: keys(options.exclude), contents: keys(options.excludeContentsOf) };
}

const join = (rel: string, name: string): string => (rel === '' ? name : `${rel}/${name}`);

/** An archive stream from tar items made lazily by a generator; a failure is reported as an EngineError naming the layer. */
function archive(what: string, items: () => Iterable<TarItem>): Readable {
  function* guarded(): Generator<Buffer> {
    try {
      yield* writeTar(items());
    } catch (err) {
      if (err instanceof EngineError) throw new EngineError(err.kind, err.code, `${what}: ${err.message}`, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
      throw new EngineError('Internal', 'LAYER_DIFF', `${what}: ${(err as Error).message}`, { cause: err });
    }
  }
  return Readable.from(guarded(), { objectMode: false });
}

/**
 * Every entry under `rel` of a tree. With `overlay`, the tree is an overlay
 * upper directory: a 0:0 character device is a whiteout (`.wh.<name>`, mode
 * 0600, the device's owner and mtime), and a directory with
 * trusted.overlay.opaque=y is followed by a `.wh..wh..opq` entry.
 */
function* walk(root: string, rel: string, filter: Filter, overlay: boolean): Generator<TarItem> {
  for (const name of sortedNames(rel === '' ? root : `${root}/${rel}`)) {
    const key = join(rel, name);
    if (!filter.exclude.has(key)) yield* describe(root, key, lstatBig(`${root}/${key}`), filter, overlay);
  }
}

/** One path of a tree (with everything under it, for a directory) as tar items. */
function* describe(root: string, key: string, st: BigIntStats, filter: Filter, overlay: boolean): Generator<TarItem> {
  const path = `${root}/${key}`;
  const type = typeOf(st);
  if (!type) return;
  const mode = Number(st.mode & 0o7777n);
  if (overlay && type === 'char' && st.rdev === 0n) {
    yield markerItem(whiteoutName(key), 0o600, Number(st.uid), Number(st.gid), seconds(st.mtimeNs));
    return;
  }
  const xattrs = type === 'symlink' ? { carried: new Map<string, Buffer>(), names: [] as string[] } : readXattrs(path);
  if (overlay) {
    const odd = xattrs.names.find((n) => n === 'trusted.overlay.redirect' || n === 'trusted.overlay.metacopy');
    if (odd) {
      throw new EngineError('NotImplemented', 'LAYER_OVERLAY_FEATURE', `${JSON.stringify(key)} carries ${odd}: a layer made with redirect_dir or metacopy cannot be diffed from its upper directory alone`, {
        hint: 'mount overlays with redirect_dir=off,metacopy=off',
      });
    }
  }
  const emptied = filter.contents.has(key);
  yield itemFor(key, path, st, type, xattrs.carried, emptied);
  if (type !== 'dir') return;
  // the marker follows the directory's own entry, before its contents, as Docker writes it
  if (overlay && xattrs.names.includes('trusted.overlay.opaque') && lgetxattr(path, 'trusted.overlay.opaque')?.toString() === 'y') {
    yield markerItem(`${key}/${WHITEOUT_OPAQUE}`, mode & 0o777, Number(st.uid), Number(st.gid), seconds(st.mtimeNs));
  }
  if (!emptied) yield* walk(root, key, filter, overlay);
}

/**
 * The archive of an overlay upper directory: a container's read-write
 * layer (for commit) or a layer being built. The upper directory must not
 * change meanwhile (pause or stop the container).
 */
export function overlayDiff(upperDir: string, options: DiffOptions = {}): Readable {
  const filter = filterOf(options);
  return archive(`diff layer ${JSON.stringify(upperDir)}`, () => walk(upperDir, '', filter, true));
}

/**
 * Docker's test for a changed path (its naive diff): type and permission
 * bits, owner, device number; for a non-directory also size and mtime (a
 * directory's mtime changes with its entries, which are compared on their
 * own); a symlink's target; and here also the carried xattrs (Docker
 * compares file capabilities). mtimes count as equal when the seconds agree
 * and the nanoseconds agree or either is 0 (a file system or copy without
 * sub-second times): so the copy driver must keep mtimes to the nanosecond
 * or to the second (cp -a does; a millisecond copy makes every file differ).
 */
function differs(a: BigIntStats, b: BigIntStats, aPath: string, bPath: string): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (!a.isDirectory()) {
    if (a.size !== b.size) return true;
    const [as, an] = [a.mtimeNs / 1_000_000_000n, a.mtimeNs % 1_000_000_000n];
    const [bs, bn] = [b.mtimeNs / 1_000_000_000n, b.mtimeNs % 1_000_000_000n];
    if (as !== bs || (an !== bn && an !== 0n && bn !== 0n)) return true;
    if (a.isSymbolicLink() && !readlinkSync(aPath, { encoding: 'buffer' }).equals(readlinkSync(bPath, { encoding: 'buffer' }))) return true;
  }
  if (a.isSymbolicLink()) return false;
  return !sameXattrs(readXattrs(aPath).carried, readXattrs(bPath).carried);
}

/** The changes under `rel` of dir against parent, both directories there. */
function* compare(dir: string, parent: string, rel: string, filter: Filter): Generator<TarItem> {
  const now = sortedNames(rel === '' ? dir : `${dir}/${rel}`);
  const before = new Set(sortedNames(rel === '' ? parent : `${parent}/${rel}`));
  const names = [...new Set([...now, ...before])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const present = new Set(now);
  for (const name of names) {
    const key = join(rel, name);
    if (filter.exclude.has(key)) continue;
    if (!present.has(name)) {
      // deleted: one whiteout for the path, none for what was under it; fixed metadata keeps the archive deterministic
      yield markerItem(whiteoutName(key), 0, 0, 0, 0);
      continue;
    }
    const st = lstatBig(`${dir}/${key}`);
    if (!before.has(name)) {
      yield* describe(dir, key, st, filter, false);
      continue;
    }
    const old = lstatBig(`${parent}/${key}`);
    if (st.isDirectory() && old.isDirectory()) {
      // the directory is an entry when it changed or anything under it did (so its owner and mode travel with them)
      const inner = filter.contents.has(key) ? [][Symbol.iterator]() : compare(dir, parent, key, filter);
      const first = inner.next();
      if (!first.done || differs(st, old, `${dir}/${key}`, `${parent}/${key}`)) {
        yield itemFor(key, `${dir}/${key}`, st, 'dir', readXattrs(`${dir}/${key}`).carried);
        if (!first.done) {
          yield first.value;
          yield* inner;
        }
      }
    } else if (differs(st, old, `${dir}/${key}`, `${parent}/${key}`)) {
      // a new or changed non-directory, or a directory where there was none: replaces what was there
      yield* describe(dir, key, st, filter, false);
    }
  }
}

/**
 * The archive of what changed from parentDir to dir, for the copy driver
 * (no overlay upper directory to read): added and changed paths as
 * entries, deleted ones as whiteouts. See differs() for what counts as a
 * change. Neither tree may change meanwhile.
 */
export function plainDiff(dir: string, parentDir: string, options: DiffOptions = {}): Readable {
  const filter = filterOf(options);
  return archive(`diff layer ${JSON.stringify(dir)} against ${JSON.stringify(parentDir)}`, () => compare(dir, parentDir, '', filter));
}
