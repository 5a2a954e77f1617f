import { readlinkSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isAbsolute, resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EngineClient } from '../../client/client.js';
import type { PathStat } from '../../engine/archive.js';
import { extractArchive } from '../../engine/tree-extract.js';
import { TreeFs, TreePathError, treePath } from '../../engine/tree-fs.js';
import { EngineError, errnoOf } from '../../errors/engine-error.js';
import { goBase, goClean, goDir, goJoin, hasTrailingSeparator, preserveTrailingDotOrSeparator, replaceFirst, specifiesCurrentDir, splitPathDirEntry } from '../../lib/go-path.js';
import { writeTar } from '../../snapshot/layer/tar-writer.js';
import { ask, streamError } from './context.js';
import { lstatOrUndefined } from '../../lib/fs.js';

/**
 * `berth cp`, as the docker 20.10 CLI does it (cli/command/container/cp.go
 * and pkg/archive's copy rules): the CLI decides, from a stat of the
 * destination, which directory the archive is unpacked in and how its
 * top entry is renamed, so that `cp a b` makes b whether or not it
 * existed. The daemon only stats, sends and unpacks paths.
 *
 * Local files are read and written through TreeFs: the archive from a
 * container is unpacked with the destination directory as its root, so a
 * symlink it carries cannot send a later entry out of it.
 */

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_DEVICE = 2 ** 26;

/** docker's errors that it prints as they are (no "Error response from daemon"). */
export const plain = (message: string): EngineError => streamError(message, 'COPY_FAILED');

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** the name the top entry takes instead of the path's own (a followed symlink) */
  rebaseName: string;
}

/** "container:path", or a local path (absolute, or relative and starting with "." or without a colon). */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (isAbsolute(arg)) return { container: '', path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** filepath.Abs, keeping a trailing "/" or "/.": they change what cp does. */
export function resolveLocalPath(path: string, cwd = process.cwd()): string {
  return preserveTrailingDotOrSeparator(goClean(resolve(cwd, path)), path);
}

/** The path says it must be a directory: it ends in "/" or "/.". */
export const assertsDirectory = (path: string): boolean => hasTrailingSeparator(path) || specifiesCurrentDir(path);

/** docker's RebaseArchiveEntries as a rename: the first occurrence of oldBase becomes newBase ("/" counts as ""). */
export function rebaser(oldBase: string, newBase: string): (name: string) => string {
  const old = oldBase === '/' ? '' : oldBase;
  return (name) => replaceFirst(name, old, newBase);
}

/**
 * docker's PrepareArchiveCopy: where an archive of src is unpacked for it
 * to land at dst, and the rename of its entries that makes it so.
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dir: string; rename?: (name: string) => string } {
  const { dir: dstDir, base: dstBase } = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || splitPathDirEntry(src.path).base;
  if (dst.exists && dst.isDir) return { dir: dst.path };
  if (dst.exists && src.isDir) throw plain('cannot copy directory');
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw plain('no such directory');
  return { dir: dstDir, rename: rebaser(srcBase, dstBase) };
}

/** docker's GetRebaseName: a resolved path keeps the original's "/." or "/", and the original's name when the last element changed. */
export function getRebaseName(path: string, resolved: string): { path: string; rebaseName: string } {
  let out = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(out)) out += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(out)) out += '/';
  return { path: out, rebaseName: goBase(path) !== goBase(out) ? goBase(path) : '' };
}


/** Go's wording of an errno from a Node error ("no such file or directory"). */
function goErrno(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  return /^[A-Z0-9]+: ([^,]+),/.exec(message)?.[1] ?? message;
}

/** docker's ValidateOutputPath: the parent must exist; an existing path must be a directory or a regular file. */
export function validateOutputPath(path: string): void {
  const dir = goDir(goClean(path));
  if (dir !== '' && dir !== '.') {
    try {
      statSync(dir);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw plain(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
    }
  }
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw plain(`stat ${path}: ${goErrno(err)}`);
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) throw plain(`invalid output path: ${JSON.stringify(path)} must be a directory or a regular file: got a device`);
}

/** docker's CopyInfoDestinationPath: a local destination, its symlinks followed (a dangling one is where the copy goes). */
export function copyInfoDestinationPath(path: string): CopyInfo {
  let p = path;
  let st = lstatOrUndefined(p);
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > 10) throw plain(`too many symlinks in ${path}`);
    let target = readlinkSync(p);
    if (!isAbsolute(target)) target = goJoin(splitPathDirEntry(p).dir, target);
    p = target;
    st = lstatOrUndefined(p);
  }
  if (st) return { path: p, exists: true, isDir: st.isDirectory(), rebaseName: '' };
  const parent = splitPathDirEntry(p).dir;
  let pst: Stats;
  try {
    pst = statSync(parent);
  } catch (err) {
    throw plain(`stat ${parent}: ${goErrno(err)}`);
  }
  if (!pst.isDirectory()) throw plain('not a directory');
  return { path: p, exists: false, isDir: false, rebaseName: '' };
}

function decodeStat(header: string | string[] | undefined): PathStat {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) throw new EngineError('Internal', 'COPY_NO_STAT', 'the daemon sent no X-Docker-Container-Path-Stat header');
  try {
    return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as PathStat;
  } catch (err) {
    throw new EngineError('Internal', 'COPY_BAD_STAT', `unable to decode container path stat header: ${(err as Error).message}`);
  }
}

/** A response that ended early (the daemon met a file that changed or vanished meanwhile): said as such. */
function cutShort(container: string, path: string, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  return new EngineError('Unavailable', 'COPY_CUT_SHORT', `copy ${container}:${path}: the archive did not arrive whole: ${(err as Error).message}`, { cause: err });
}

const archivePath = (container: string): string => `/containers/${encodeURIComponent(container)}/archive`;

/** A request about container:path whose 404 is docker's "No such container:path". */
async function onPath<T>(container: string, path: string, request: Promise<T>): Promise<T> {
  try {
    return await ask(request);
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'NotFound') throw plain(`Error: No such container:path: ${container}:${path}`);
    throw err;
  }
}

export async function statPath(client: EngineClient, container: string, path: string): Promise<PathStat> {
  const head = await onPath(container, path, client.head(archivePath(container), { query: { path } }));
  return decodeStat(head.headers['x-docker-container-path-stat']);
}

/** `berth cp CONTAINER:SRC DEST` (DEST "-": the archive to stdout). */
export async function copyFromContainer(client: EngineClient, container: string, srcArg: string, dstArg: string, followLink: boolean, stdout: Writable): Promise<void> {
  let srcPath = srcArg;
  const dstPath = dstArg === '-' ? dstArg : resolveLocalPath(dstArg);
  if (dstPath !== '-') validateOutputPath(dstPath);
  let rebaseName = '';
  if (followLink) {
    const st = await statPath(client, container, srcPath).catch(() => undefined);
    if (st && (st.mode & GO_MODE_SYMLINK) !== 0) {
      const target = st.linkTarget.startsWith('/') ? st.linkTarget : goJoin(splitPathDirEntry(srcPath).dir, st.linkTarget);
      ({ path: srcPath, rebaseName } = getRebaseName(srcPath, target));
    }
  }
  const res: IncomingMessage = await onPath(container, srcPath, client.stream('GET', archivePath(container), undefined, { query: { path: srcPath } }));
  if (dstPath === '-') {
    try {
      await pipeline(res, stdout, { end: false });
    } catch (err) {
      throw cutShort(container, srcPath, err);
    }
    return;
  }
  const stat = decodeStat(res.headers['x-docker-container-path-stat']);
  const src: CopyInfo = { path: srcPath, exists: true, isDir: stat.mode >= GO_MODE_DIR, rebaseName };
  const first = rebaseName ? rebaser(splitPathDirEntry(srcPath).base, rebaseName) : undefined;
  const { dir, rename } = prepareArchiveCopy(src, copyInfoDestinationPath(dstPath));
  const fs = new TreeFs(dir);
  try {
    const root = fs.resolve('/', true);
    await extractArchive(fs, root, res, {
      noOverwriteDirNonDir: true,
      owner: 'self',
      label: goClean(dir),
      ...(first || rename ? { rename: (n: string) => (rename ? rename(first ? first(n) : n) : first!(n)) } : {}),
    });
  } catch (err) {
    res.destroy();
    if (err instanceof EngineError && err.code === 'COPY_EXTRACT') throw plain(err.message.replace(/^Error processing tar file: /, ''));
    throw cutShort(container, srcPath, err);
  } finally {
    fs.close();
  }
}

/**
 * docker's CopyInfoSourcePath: a local source, its parent's symlinks
 * followed (its own too with -L), and the name its entries take.
 */
function localSource(fs: TreeFs, path: string, followLink: boolean): { info: CopyInfo; followFinal: boolean } {
  if (followLink) {
    const node = fs.resolve(path, true);
    const { path: resolved, rebaseName } = getRebaseName(path, treePath(node.path));
    return { info: { path: resolved, exists: true, isDir: node.st.isDirectory(), rebaseName }, followFinal: true };
  }
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const dir = fs.resolve(path.slice(0, slash + 1), true);
  const resolved = `${treePath(dir.path)}/${base}`;
  const rebaseName = hasTrailingSeparator(path) && goBase(path) !== goBase(resolved) ? goBase(path) : '';
  const node = fs.resolve(resolved, base === '' || base === '.');
  return { info: { path: resolved, exists: true, isDir: node.st.isDirectory(), rebaseName }, followFinal: base === '' || base === '.' };
}

/** `berth cp SRC CONTAINER:DEST` (SRC "-": a tar from stdin, unpacked into the directory DEST). */
export async function copyToContainer(client: EngineClient, container: string, srcArg: string, dstPath: string, opts: { followLink: boolean; copyUIDGID: boolean }, stdin: Readable): Promise<void> {
  const srcPath = srcArg === '-' ? srcArg : resolveLocalPath(srcArg);
  const dst: CopyInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' };
  let st = await statPath(client, container, dstPath).catch(() => undefined);
  if (st && (st.mode & GO_MODE_SYMLINK) !== 0) {
    dst.path = st.linkTarget.startsWith('/') ? st.linkTarget : goJoin(splitPathDirEntry(dstPath).dir, st.linkTarget);
    st = await statPath(client, container, dst.path).catch(() => undefined);
  }
  if (st && (st.mode & GO_MODE_DEVICE) !== 0) throw plain(`destination "${container}:${dstPath}" must be a directory or a regular file: got a device`);
  if (st) {
    dst.exists = true;
    dst.isDir = st.mode >= GO_MODE_DIR;
  }
  let content: Readable;
  let target: string;
  let fs: TreeFs | undefined;
  if (srcPath === '-') {
    if (!dst.isDir) throw plain(`destination "${container}:${dstPath}" must be a directory`);
    content = stdin;
    target = dst.path;
  } else {
    fs = new TreeFs('/');
    try {
      const { info, followFinal } = localSource(fs, srcPath, opts.followLink);
      const node = fs.resolve(info.path, followFinal);
      const { dir, rename } = prepareArchiveCopy(info, dst);
      const top = info.rebaseName || splitPathDirEntry(info.path).base;
      const items = fs.items(node, top);
      const renamed = rename
        ? (function* () {
            for (const item of items) yield { ...item, header: { ...item.header, name: rename(item.header.name) } };
          })()
        : items;
      content = Readable.from(writeTar(renamed), { objectMode: false });
      target = dir;
    } catch (err) {
      fs.close();
      if (err instanceof TreePathError) throw plain(`lstat ${err.where}: ${err.message.replace(/^[^:]*: /, '')}`);
      throw err;
    }
  }
  try {
    await onPath(
      container,
      target,
      client.put(archivePath(container), undefined, {
        query: { path: target, noOverwriteDirNonDir: 'true', copyUIDGID: opts.copyUIDGID ? 'true' : undefined },
        upload: { data: content, contentType: 'application/x-tar' },
      }),
    );
  } finally {
    if (srcPath !== '-') content.destroy();
    fs?.close();
  }
}
