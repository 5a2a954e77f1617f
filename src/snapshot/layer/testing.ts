import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { errnoOfHostCall, lgetxattr, llistxattr } from '../../sys/addon.js';
import { BLOCK, encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar-header.js';
import { readTar } from './tar-reader.js';
import { lstatBig, major, minor, seconds, sortedNames, typeOf } from './tree.js';

/**
 * Helpers for tests (berth itself does not use them): archives built from
 * a list of entries — honest or hostile — and trees described as plain
 * data to compare with deepEqual.
 */

export interface FixtureEntry extends Partial<Omit<TarHeader, 'xattrs'>> {
  name: string;
  content?: string | Buffer;
  xattrs?: Record<string, Buffer | string>;
}

/** An uncompressed archive of the entries, in the order given (defaults: a file, 0644, owner 0:0, mtime 1e9). */
export function buildTar(entries: FixtureEntry[], owner = { uid: 0, gid: 0 }): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
    const type = e.type ?? 'file';
    const header: TarHeader = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644),
      uid: e.uid ?? owner.uid,
      gid: e.gid ?? owner.gid,
      size: type === 'file' ? (e.size ?? content.length) : 0,
      mtime: e.mtime ?? 1_000_000_000,
      linkname: e.linkname ?? '',
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
      xattrs: new Map(Object.entries(e.xattrs ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    };
    parts.push(encodeHeader(header));
    if (type === 'file') parts.push(content, padding(content.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** An archive's entries: header fields and content. */
export async function listTar(archive: Buffer | AsyncIterable<Uint8Array>): Promise<Array<TarHeader & { content: Buffer }>> {
  const out: Array<TarHeader & { content: Buffer }> = [];
  const source = Buffer.isBuffer(archive) ? (async function* () { yield archive; })() : archive;
  for await (const { header, body } of readTar(source)) {
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(chunk);
    out.push({ ...header, content: Buffer.concat(parts) });
  }
  return out;
}

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export interface TreeNode {
  type: string;
  mode: string;
  owner: string;
  mtime: number;
  content?: string;
  link?: string;
  device?: string;
  xattrs?: Record<string, string>;
  /** Names sharing this file's inode, when it has several. */
  links?: string;
}

/**
 * A tree as data: every path under root with its type, mode (octal, with
 * setuid/setgid/sticky), owner, mtime in seconds, content digest, link
 * target, device numbers, xattrs (all of them, hex: trusted.overlay.opaque
 * included) and hardlink groups. Directory mtimes are included unless
 * `dirTimes` is false.
 */
export function describeTree(root: string, dirTimes = true): Record<string, TreeNode> {
  const out: Record<string, TreeNode> = {};
  const inodes = new Map<string, string[]>();
  const visit = (rel: string): void => {
    for (const name of sortedNames(rel === '' ? root : `${root}/${rel}`)) {
      const key = rel === '' ? name : `${rel}/${name}`;
      const path = `${root}/${key}`;
      const st = lstatBig(path);
      const type = typeOf(st) ?? 'socket';
      const node: TreeNode = { type, mode: (st.mode & 0o7777n).toString(8), owner: `${st.uid}:${st.gid}`, mtime: type === 'dir' && !dirTimes ? 0 : seconds(st.mtimeNs) };
      if (type === 'file') {
        node.content = sha256(readFileSync(path)).slice(0, 16);
        if (st.nlink > 1n) inodes.set(`${st.ino}`, [...(inodes.get(`${st.ino}`) ?? []), key]);
      }
      if (type === 'char' || type === 'block') node.device = `${major(st.rdev)}:${minor(st.rdev)}`;
      if (type === 'symlink') node.link = readlinkSync(path);
      else {
        const xattrs = listXattrs(path);
        if (Object.keys(xattrs).length > 0) node.xattrs = xattrs;
      }
      out[key] = node;
      if (type === 'dir') visit(key);
    }
  };
  visit('');
  for (const names of inodes.values()) for (const n of names) out[n]!.links = names.join(',');
  return out;
}

function listXattrs(path: string): Record<string, string> {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch (err) {
    if (errnoOfHostCall(err) === 'EOPNOTSUPP') return {};
    throw err;
  }
  const out: Record<string, string> = {};
  for (const name of names.sort()) out[name] = lgetxattr(path, name)?.toString('hex') ?? '';
  return out;
}

/** The archive cut after `blocks` blocks of 512 bytes. */
export const truncateAt = (archive: Buffer, blocks: number): Buffer => archive.subarray(0, blocks * BLOCK);
