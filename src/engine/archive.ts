import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmdirSync, type BigIntStats } from 'node:fs';
import { Readable } from 'node:stream';
import { EngineError } from '../errors/engine-error.js';
import { goBase, goJoin, preserveTrailingDotOrSeparator } from '../lib/go-path.js';
import type { Mount } from '../snapshot/snapshotter.js';
import { writeTar } from '../snapshot/layer/tar-writer.js';
import { mountAll, unmount } from '../sys/mounts.js';
import type { Container } from './container.js';
import type { Engine, EngineEvent } from './engine.js';
import { mergedDir } from './rootfs.js';
import { resolveUser } from './spec/user.js';
import { extractArchive } from './tree-extract.js';
import { TreeFs, TreePathError, treePath, type TreeMount, type TreeNode } from './tree-fs.js';

/**
 * The container file system operations of Docker's API: export, and the
 * archive endpoints `docker cp` uses (stat, get, put); commit and diff are
 * in commit.ts. Each takes the Engine for its stores and its event stream.
 *
 * A running container is read and written through the mount it runs on
 * (the merged directory); a stopped one is mounted for the duration of the
 * call at a private place under the run root — read-only for reading (its
 * read-write layer becomes the top lower layer of an overlay with no upper
 * one, so nothing can change it and it never meets a later start's mount
 * of the same upper directory) — and unmounted afterwards, whatever
 * happens. Paths inside are resolved by TreeFs, never by the kernel from a
 * string: nothing in the container can make berthd touch a host file.
 *
 * berth has no per-container lock yet (dockerd holds the container's for
 * each of these): a start racing a write into a stopped container's layer
 * mounts the same upper directory twice for that moment, which overlayfs
 * (index=off) allows but does not define. Writes into one stopped
 * container are serialised here at least.
 */

/** `docker cp`'s stat of a path: the X-Docker-Container-Path-Stat header's JSON. */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits */
  mode: number;
  /** RFC 3339 with nanoseconds, as Go's time.Time marshals */
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode of a stat: permission bits, then type and special bits high up. */
export function goFileMode(st: Pick<BigIntStats, 'mode' | 'isDirectory' | 'isSymbolicLink' | 'isCharacterDevice' | 'isBlockDevice' | 'isFIFO' | 'isSocket'>): number {
  const mode = Number(st.mode);
  let m = mode & 0o777;
  if (st.isDirectory()) m += 2 ** 31;
  if (st.isSymbolicLink()) m += 2 ** 27;
  if (st.isBlockDevice()) m += 2 ** 26;
  if (st.isCharacterDevice()) m += 2 ** 26 + 2 ** 21;
  if (st.isFIFO()) m += 2 ** 25;
  if (st.isSocket()) m += 2 ** 24;
  if (mode & 0o4000) m += 2 ** 23;
  if (mode & 0o2000) m += 2 ** 22;
  if (mode & 0o1000) m += 2 ** 20;
  return m;
}

/** A time in nanoseconds as Go marshals a UTC time.Time: RFC 3339, the fraction without trailing zeros. */
export function rfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString().slice(0, 19);
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso}${frac ? `.${frac}` : ''}Z`;
}

/** The event dockerd sends for these operations (the engine's own shape; its emitter is private). */
export function emitEvent(engine: Engine, c: Container, action: string, extra: Record<string, string> = {}): void {
  const now = Date.now();
  engine.emit('event', { Type: 'container', Action: action, Actor: { ID: c.ID, Attributes: { image: c.ImageRef, name: c.Name.slice(1), ...(c.Config.Labels ?? {}), ...extra } }, time: Math.floor(now / 1000), timeNano: now * 1e6 } satisfies EngineEvent);
}

/**
 * The container's mounts as `docker cp` sees them: its volumes and bind
 * mounts (tmpfs ones are skipped, as dockerd skips them: it sees the
 * directory below), and the hosts, hostname and resolv.conf files over the
 * init layer's placeholders unless a mount of the user's covers them.
 */
export function treeMounts(c: Container): TreeMount[] {
  const out: TreeMount[] = c.Mounts.filter((m) => m.Type !== 'tmpfs' && m.Source !== '').map((m) => ({ destination: m.Destination, source: m.Source, writable: m.RW }));
  const network: [string, string][] = [
    ['/etc/hostname', c.HostnamePath],
    ['/etc/hosts', c.HostsPath],
    ['/etc/resolv.conf', c.ResolvConfPath],
  ];
  for (const [destination, source] of network) {
    if (source && !out.some((m) => m.destination === destination)) out.push({ destination, source, writable: c.HostConfig.ReadonlyRootfs !== true });
  }
  return out;
}

/**
 * An active snapshot's mounts, read-only: the read-write layer becomes the
 * top lower layer (overlayfs honours whiteouts and opaque directories in
 * lower layers), a bind mount is made read-only.
 */
export function readOnlyMounts(mounts: readonly Mount[]): Mount[] {
  return mounts.map((m) => {
    const upper = m.options.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
    if (m.type !== 'overlay' || upper === undefined) return { ...m, options: [...m.options.filter((o) => o !== 'rw' && o !== 'ro'), 'ro'] };
    const lower = m.options.find((o) => o.startsWith('lowerdir='))?.slice('lowerdir='.length);
    const rest = m.options.filter((o) => !/^(upperdir|workdir|lowerdir)=/.test(o) && o !== 'rw');
    return { ...m, options: [`lowerdir=${upper}${lower ? `:${lower}` : ''}`, ...rest, 'ro'] };
  });
}

const writers = new Map<string, Promise<void>>();

/** Runs fn after the writes into container id queued before it. */
async function serialised<T>(id: string, fn: () => Promise<T>): Promise<T> {
  const before = writers.get(id) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const chain = before.then(() => mine);
  writers.set(id, chain);
  try {
    await before;
    return await fn();
  } finally {
    done();
    if (writers.get(id) === chain) writers.delete(id);
  }
}

/** The mount points of this process's calls; anything else under <run root>/archive was left by a berthd that died mid-call. */
const active = new Set<string>();
const swept = new Set<string>();

/** Once per run root: mounts a previous berthd left under <run root>/archive are taken off (one berthd per data root). */
function sweepStale(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const target = `${dir}/${e}`;
    if (active.has(target)) continue;
    try {
      unmount(target);
      rmdirSync(target);
    } catch {
      // left for the next berthd: it is not in the way of this one
    }
  }
}

interface Rootfs {
  root: string;
  /** Unmounts what was mounted for the call; idempotent. */
  release(): void;
}

/** The container's merged tree: where it runs, or mounted for the call. */
function rootfsOf(engine: Engine, c: Container, writable: boolean): Rootfs {
  const ctx = engine.ctx;
  if (c.State.Running) return { root: mergedDir(ctx.snapshots, c.ID, ctx.containers.dir(c.ID)), release: () => undefined };
  if (!ctx.snapshots.stat(c.ID)) throw new EngineError('Conflict', 'NO_CONTAINER_LAYER', `container ${c.ID.slice(0, 12)} has no file system (it is being removed)`);
  const dir = `${ctx.runRoot}/archive`;
  sweepStale(dir);
  const target = `${dir}/${c.ID.slice(0, 12)}-${randomBytes(4).toString('hex')}`;
  mkdirSync(target, { recursive: true, mode: 0o700 });
  active.add(target);
  try {
    const mounts = ctx.snapshots.mounts(c.ID);
    mountAll(writable ? mounts : readOnlyMounts(mounts), target);
  } catch (err) {
    active.delete(target);
    rmdirSync(target);
    throw err;
  }
  let released = false;
  return {
    root: target,
    release() {
      if (released) return;
      released = true;
      try {
        unmount(target);
        rmdirSync(target);
      } finally {
        active.delete(target);
      }
    },
  };
}

/** The rootfs and a TreeFs over it, released together. */
function openTree(engine: Engine, c: Container, writable: boolean, mounts: boolean): { fs: TreeFs; rootfs: Rootfs; close(): void } {
  const rootfs = rootfsOf(engine, c, writable);
  let fs: TreeFs;
  try {
    fs = new TreeFs(rootfs.root, mounts ? treeMounts(c) : []);
  } catch (err) {
    rootfs.release();
    throw err;
  }
  return {
    fs,
    rootfs,
    close() {
      fs.close();
      rootfs.release();
    },
  };
}

/** docker's absPath for an API path: absolute, cleaned, its trailing "/" or "/." kept. */
function absolutePath(path: string): string {
  if (path === '') throw new EngineError('InvalidArgument', 'NO_PATH', 'you must specify path parameter');
  return preserveTrailingDotOrSeparator(goJoin('/', path), path);
}

function notFound(path: string, ref: string, err: TreePathError): EngineError {
  if (err.errno === 'ELOOP') return new EngineError('InvalidArgument', 'PATH_SYMLINK_LOOP', `resolve ${path} in container ${ref}: too many levels of symbolic links`);
  return new EngineError('NotFound', 'NO_SUCH_PATH', `Could not find the file ${path} in container ${ref}`);
}

/** As Docker's ResolvePath: the parent followed inside the root, the last component not (unless the path ends in "/" or "/."). */
function locate(fs: TreeFs, abs: string, path: string, ref: string, followFinal = false): TreeNode {
  const base = abs.slice(abs.lastIndexOf('/') + 1);
  try {
    return fs.resolve(abs, followFinal || base === '' || base === '.');
  } catch (err) {
    if (err instanceof TreePathError) throw notFound(path, ref, err);
    throw err;
  }
}

function statOf(fs: TreeFs, node: TreeNode, abs: string): PathStat {
  const linkTarget = node.st.isSymbolicLink() ? treePath(fs.resolveLenient(abs)) : '';
  return { name: goBase(abs), size: Number(node.st.size), mode: goFileMode(node.st), mtime: rfc3339Nano(node.st.mtimeNs), linkTarget };
}

/** HEAD /containers/{id}/archive: what is at a path (a symlink itself, with its target resolved in the container). */
export function statContainerPath(engine: Engine, ref: string, path: string): PathStat {
  const c = engine.get(ref);
  const abs = absolutePath(path);
  const tree = openTree(engine, c, false, true);
  try {
    return statOf(tree.fs, locate(tree.fs, abs, path, ref), abs);
  } finally {
    tree.close();
  }
}

/**
 * GET /containers/{id}/archive: the path as a tar (a directory with what
 * it holds), named as dockerd names it: the path's last element ("d",
 * ".", or "/" for the root), and its stat. The container stays mounted
 * until the stream ends or is destroyed.
 */
export function archiveContainerPath(engine: Engine, ref: string, path: string): { stat: PathStat; stream: Readable } {
  const c = engine.get(ref);
  const abs = absolutePath(path);
  const tree = openTree(engine, c, false, true);
  try {
    const node = locate(tree.fs, abs, path, ref);
    const stat = statOf(tree.fs, node, abs);
    const stream = Readable.from(writeTar(tree.fs.items(node, stat.name)), { objectMode: false });
    stream.once('close', () => tree.close());
    emitEvent(engine, c, 'archive-path');
    return { stat, stream };
  } catch (err) {
    tree.close();
    throw err;
  }
}

export interface ExtractRequest {
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
}

/**
 * PUT /containers/{id}/archive: a tar unpacked into the directory at path
 * (the last component followed too, so a symlink to a directory will do),
 * in the container's root or in a volume there. Owners are the archive's,
 * or with copyUIDGID the container user's when it has one (dockerd looks
 * that user up in the host's passwd file; berth reads the container's).
 */
export async function extractToContainer(engine: Engine, ref: string, path: string, input: AsyncIterable<Uint8Array>, req: ExtractRequest): Promise<void> {
  const c = engine.get(ref);
  const abs = absolutePath(path);
  const work = async (): Promise<void> => {
    const tree = openTree(engine, c, true, true);
    try {
      const dest = locate(tree.fs, abs, path, ref, true);
      if (!dest.st.isDirectory()) throw new EngineError('InvalidArgument', 'NOT_A_DIRECTORY', 'extraction point is not a directory');
      if (dest.mount ? !dest.mount.writable : c.HostConfig.ReadonlyRootfs === true) {
        throw new EngineError('Forbidden', 'READ_ONLY', dest.mount ? 'mounted volume is marked read-only' : 'container rootfs is marked read-only');
      }
      let owner: 'archive' | { uid: number; gid: number } = 'archive';
      if (req.copyUIDGID && c.Config.User) {
        const u = resolveUser(tree.rootfs.root, c.Config.User);
        owner = { uid: u.uid, gid: u.gid };
      }
      await extractArchive(tree.fs, dest, input, { noOverwriteDirNonDir: req.noOverwriteDirNonDir, owner, label: treePath(dest.path) });
    } finally {
      tree.close();
    }
    emitEvent(engine, c, 'extract-to-dir');
  };
  // a running container's writes go through its own mount; a stopped one's are mounted one at a time
  return c.State.Running ? work() : serialised(c.ID, work);
}

/** GET /containers/{id}/export: the container's whole tree (its volumes' contents excluded, as dockerd's) as a tar. */
export function exportContainer(engine: Engine, ref: string): Readable {
  const c = engine.get(ref);
  const tree = openTree(engine, c, false, false);
  try {
    const root = tree.fs.resolve('/', true);
    const stream = Readable.from(writeTar(tree.fs.childItems(root, (name) => name)), { objectMode: false });
    stream.once('close', () => tree.close());
    emitEvent(engine, c, 'export');
    return stream;
  } catch (err) {
    tree.close();
    throw err;
  }
}
