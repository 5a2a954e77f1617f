import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { EngineError } from '../../errors/engine-error.js';
import { errnoOfHostCall, lgetxattr, llistxattr } from '../../sys/addon.js';
import { isLayerXattr } from './paths.js';
import type { TarHeader, TarType } from './tar-header.js';
import type { TarItem } from './tar-writer.js';

/**
 * Reading a directory tree for a diff: names in a fixed order, stat fields
 * as archive headers, and the extended attributes a layer carries.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The names in a directory, sorted by their bytes: the same tree always gives the same order. */
export function sortedNames(dir: string): string[] {
  const names = readdirSync(dir, { encoding: 'buffer' }).map((raw) => {
    try {
      return utf8.decode(raw);
    } catch {
      throw new EngineError('NotImplemented', 'LAYER_NAME_ENCODING', `archive ${JSON.stringify(dir)}: the name ${JSON.stringify(raw.toString('latin1'))} is not valid UTF-8`, {
        hint: 'rename the file: layer archives carry UTF-8 names',
      });
    }
  });
  return names.sort(byBytes);
}

export const lstatBig = (path: string): BigIntStats => lstatSync(path, { bigint: true });

export interface Xattrs {
  /** The attributes a layer carries (isLayerXattr), sorted by name. */
  carried: Map<string, Buffer>;
  /** Every name present, for overlay's own marks. */
  names: string[];
}

const NONE: Xattrs = { carried: new Map(), names: [] };

/** The file's own extended attributes (a symlink's are its own too); none on a file system without them. */
export function readXattrs(path: string): Xattrs {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch (err) {
    const errno = errnoOfHostCall(err);
    if (errno === 'EOPNOTSUPP' || errno === 'ENOTSUP') return NONE;
    throw err;
  }
  if (names.length === 0) return NONE;
  const carried = new Map<string, Buffer>();
  for (const name of names.filter(isLayerXattr).sort(byBytes)) {
    const value = lgetxattr(path, name);
    if (value !== undefined) carried.set(name, value);
  }
  return { carried, names };
}

export function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !w.equals(v)) return false;
  }
  return true;
}

export function typeOf(st: BigIntStats): TarType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined; // a socket: archives cannot hold one (Docker skips them too)
}

/** glibc's major()/minor() of a dev_t. */
export function major(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}
export function minor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

/** Whole seconds of an mtime, floored (a time before 1970 included). */
export function seconds(ns: bigint): number {
  const s = ns / 1_000_000_000n;
  return Number(ns < 0n && s * 1_000_000_000n !== ns ? s - 1n : s);
}

function linkTarget(path: string): string {
  const raw = readlinkSync(path, { encoding: 'buffer' });
  try {
    return utf8.decode(raw);
  } catch {
    throw new EngineError('NotImplemented', 'LAYER_NAME_ENCODING', `archive ${JSON.stringify(path)}: its symlink target is not valid UTF-8`);
  }
}

/** A tar item for a file in a tree: its header from lstat, and where its content is. */
export function itemFor(name: string, path: string, st: BigIntStats, type: TarType, xattrs: Map<string, Buffer>, emptyContent = false): TarItem {
  const header: TarHeader = {
    name,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' && !emptyContent ? Number(st.size) : 0,
    mtime: seconds(st.mtimeNs),
    linkname: type === 'symlink' ? linkTarget(path) : '',
    devmajor: type === 'char' || type === 'block' ? major(st.rdev) : 0,
    devminor: type === 'char' || type === 'block' ? minor(st.rdev) : 0,
    xattrs,
  };
  const item: TarItem = { header, source: path };
  if (type === 'file' && st.nlink > 1n) item.inode = `${st.dev}:${st.ino}`;
  return item;
}

/** An empty regular-file entry (whiteouts and opaque markers). */
export function markerItem(name: string, mode: number, uid: number, gid: number, mtime: number): TarItem {
  return { header: { name, type: 'file', mode, uid, gid, size: 0, mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() } };
}
