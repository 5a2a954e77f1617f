import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { EngineError } from '../errors/engine-error.js';
import { errnoOfHostCall, MNT, mount, MS, umount2 } from './addon.js';
import { readMountInfo } from './mountinfo.js';

/**
 * Performing mounts that other layers computed as data (a snapshotter's
 * Mount[]: plan, then apply). Only this file puts them in, or takes them
 * out of, the host's mount table.
 */

/** A mount as data: what the snapshotter returns (structurally its Mount). */
export interface MountSpec {
  type: string;
  source: string;
  options: readonly string[];
}

/** One mount(2) call, with the remount a read-only bind needs after it. */
export interface MountCall {
  source: string;
  fstype: string;
  flags: number;
  data: string;
  /** Flags of a second call (MS_REMOUNT|MS_BIND|…): a bind mount ignores MS_RDONLY on the first. */
  remountFlags?: number;
}

/** Options that are flags, not file system data (mount(8)'s names). */
const FLAG_OPTIONS: Record<string, { set: number } | { clear: number }> = {
  ro: { set: MS.RDONLY },
  rw: { clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID },
  suid: { clear: MS.NOSUID },
  nodev: { set: MS.NODEV },
  dev: { clear: MS.NODEV },
  noexec: { set: MS.NOEXEC },
  exec: { clear: MS.NOEXEC },
  noatime: { set: MS.NOATIME },
  bind: { set: MS.BIND },
  rbind: { set: MS.BIND | MS.REC },
};

/**
 * mount(2) copies at most one page of data: bytes past it are cut, and the
 * kernel then sees a different option string. 4096 is the smallest page
 * size Linux has; a larger real page only makes compaction kick in early.
 */
export const MOUNT_DATA_MAX = 4096 - 1;

/** The mount(2) call(s) a MountSpec means. Pure: unit-tested without root. */
export function planMount(spec: MountSpec): MountCall {
  let flags = spec.type === 'bind' ? MS.BIND : 0;
  const data: string[] = [];
  for (const option of spec.options) {
    const flag = FLAG_OPTIONS[option];
    if (!flag) data.push(option);
    else if ('set' in flag) flags |= flag.set;
    else flags &= ~flag.clear;
  }
  const bind = (flags & MS.BIND) !== 0;
  const call: MountCall = { source: spec.source, fstype: bind ? '' : spec.type, flags, data: bind ? '' : data.join(',') };
  if (bind && (flags & (MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC)) !== 0) {
    call.remountFlags = MS.REMOUNT | MS.BIND | (flags & (MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME));
  }
  return call;
}

/** The option keys of an overlay mount whose values are paths (lowerdir: a `:`-separated list). */
const PATH_KEYS = ['lowerdir', 'upperdir', 'workdir'];

const under = (path: string, dir: string): boolean => dir === '/' || path.startsWith(`${dir}/`);

/** The deepest directory that holds every path (each strictly below it). */
function commonDir(paths: string[]): string {
  let common = dirname(paths[0]!);
  for (const p of paths) while (!under(p, common)) common = dirname(common);
  return common;
}

/**
 * Overlay data too long for a page, rewritten with its paths relative to
 * their deepest common directory, to be mounted with that directory as the
 * working directory — how Docker mounts deep images (its layers' short
 * `l/` links make each lower layer ~29 bytes instead of a whole path), and
 * what containerd does for long lowerdir lists. undefined when the data
 * has no absolute paths to shorten.
 */
export function compactOverlayData(data: string): { cwd: string; data: string } | undefined {
  const options = data.split(',');
  const paths: string[] = [];
  for (const o of options) {
    const eq = o.indexOf('=');
    if (eq > 0 && PATH_KEYS.includes(o.slice(0, eq))) paths.push(...o.slice(eq + 1).split(':'));
  }
  if (paths.length === 0 || !paths.every((p) => isAbsolute(p))) return undefined;
  const cwd = commonDir(paths);
  const compact = options.map((o) => {
    const eq = o.indexOf('=');
    if (eq <= 0 || !PATH_KEYS.includes(o.slice(0, eq))) return o;
    return `${o.slice(0, eq + 1)}${o.slice(eq + 1).split(':').map((p) => relative(cwd, p)).join(':')}`;
  });
  return { cwd, data: compact.join(',') };
}

/**
 * Runs fn with the process's working directory at cwd. Node's main thread
 * may chdir (a worker thread may not); between the two chdirs no other
 * JavaScript runs, and berth passes only absolute paths to fs calls that
 * the thread pool may be running meanwhile.
 */
function inDirectory(cwd: string, fn: () => void): void {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    fn();
  } finally {
    process.chdir(before);
  }
}

function perform(call: MountCall, target: string): void {
  if (call.data.length <= MOUNT_DATA_MAX) {
    mount(call.source, target, call.fstype, call.flags, call.data);
  } else {
    const compact = call.fstype === 'overlay' ? compactOverlayData(call.data) : undefined;
    if (!compact || compact.data.length > MOUNT_DATA_MAX) {
      throw new EngineError('InvalidArgument', 'MOUNT_DATA_TOO_LONG', `mount "${call.source}" on "${target}": the options are ${(compact ?? call).data.length} bytes, more than mount(2) takes (${MOUNT_DATA_MAX})`, {
        hint: 'too many layers: flatten the image (export and import it)',
      });
    }
    inDirectory(compact.cwd, () => mount(call.source, target, call.fstype, call.flags, compact.data));
  }
  if (call.remountFlags !== undefined) {
    try {
      mount('', target, '', call.remountFlags, '');
    } catch (err) {
      umount2(target, MNT.DETACH);
      throw err;
    }
  }
}

/**
 * Mounts each spec at target, in order (the later over the earlier), as
 * containerd's mount.All. On a failure, what was mounted is taken off again
 * before the error is thrown. target must be an existing directory.
 */
export function mountAll(mounts: readonly MountSpec[], target: string): void {
  const abs = resolve(target);
  let done = 0;
  try {
    for (const spec of mounts) {
      perform(planMount(spec), abs);
      done++;
    }
  } catch (err) {
    for (; done > 0; done--) umount2(abs, MNT.DETACH);
    throw err;
  }
}

/**
 * Unmounts everything mounted at target (stacked mounts included). A busy
 * mount is detached instead (MNT_DETACH: gone from the tree now, released
 * when its last user leaves). Nothing mounted there is not an error.
 */
export function unmount(target: string): void {
  const abs = resolve(target);
  // bounded: each round takes one mount off, and a target never has thousands
  for (let round = 0; round < 1000; round++) {
    try {
      umount2(abs, 0);
    } catch (err) {
      const errno = errnoOfHostCall(err);
      if (errno === 'EINVAL' || errno === 'ENOENT') return; // not (or no longer) a mount point
      if (errno !== 'EBUSY') throw err;
      umount2(abs, MNT.DETACH);
    }
  }
}

/**
 * The mount points (of this mount namespace) whose source, root or options
 * name `fragment` — a snapshot directory's unique id, to tell whether it is
 * mounted before it is committed or removed.
 */
export function mountPointsUsing(fragment: string): string[] {
  return readMountInfo()
    .filter((m) => m.root.includes(fragment) || m.source.includes(fragment) || m.superOptions.includes(fragment))
    .map((m) => m.mountPoint);
}

/** The mount points at or under dir (a test's temp directory: nothing must be left there). */
export function mountPointsUnder(dir: string): string[] {
  const abs = resolve(dir);
  return readMountInfo()
    .map((m) => m.mountPoint)
    .filter((p) => p === abs || p.startsWith(abs + '/'));
}
