import { closeSync, existsSync, lstatSync, mkdirSync, openSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors/engine-error.js';
import { errnoOfHostCall } from '../sys/addon.js';
import { lstatOrUndefined } from '../lib/fs.js';
import { imageInitKey, type Mount, type Snapshotter } from '../snapshot/snapshotter.js';
import { mountAll, unmount } from '../sys/mounts.js';

/**
 * A container's filesystem: two snapshots over its image's top layer, as
 * Docker makes them.
 *
 *   init layer  committed: the empty files and directories the container's
 *               bind mounts land on (/etc/hosts, /etc/resolv.conf,
 *               /etc/hostname, /dev/console, /proc, /sys, …). They exist
 *               below the read-write layer, so a commit (a diff of <id>)
 *               never carries them, and the image needs none of them.
 *               Docker makes one per container; its contents depend only
 *               on the image, so berth makes it once per image and shares
 *               it (imageInitKey), saving a mount, an unmount and three
 *               metadata writes per create. A container with volumes gets
 *               its own (<id>-init), which also holds their mount points.
 *   <id>        active: the read-write layer.
 *
 * The merged tree is mounted while the container runs and taken off when
 * it stops, as dockerd does.
 */

const INIT_DIRS = ['/dev', '/dev/pts', '/dev/shm', '/proc', '/sys', '/etc'];
const INIT_FILES = ['/dev/console', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/.dockerenv'];

export const initKey = (id: string): string => `${id}-init`;

/** Creates what does not exist yet; never replaces what the image has (a symlink stays a symlink). */
function populateInitLayer(root: string, mountPoints: string[]): void {
  const exists = (p: string): boolean => lstatOrUndefined(join(root, p)) !== undefined;
  for (const dir of INIT_DIRS) if (!exists(dir)) mkdirSync(join(root, dir), { mode: 0o755 });
  for (const file of INIT_FILES) if (!exists(file)) closeSync(openSync(join(root, file), 'wx', file === '/dev/console' ? 0o600 : 0o755));
  if (!exists('/etc/mtab')) symlinkSync('/proc/mounts', join(root, 'etc/mtab'));
  // volume mount points: made here so a commit has them empty, as Docker's does
  for (const dest of mountPoints) {
    const rel = dest.replace(/^\/+/, '');
    if (rel === '' || rel.split('/').includes('..')) continue;
    // only plain directories below the root: a path through one of the image's symlinks is left to the runtime, which resolves it inside the root
    let dir = root;
    for (const part of rel.split('/')) {
      dir = join(dir, part);
      try {
        if (!lstatSync(dir).isDirectory()) break;
      } catch {
        mkdirSync(dir, { mode: 0o755 });
      }
    }
  }
}

/** Builds the committed init layer `key` over `parent`; nothing is left on failure. */
function buildInitLayer(snapshots: Snapshotter, key: string, parent: string | undefined, scratchDir: string, mountPoints: string[]): void {
  const building = `${key}-build`;
  if (snapshots.stat(building)) snapshots.remove(building); // left by a build a crash cut short
  const target = join(scratchDir, 'init-build');
  mkdirSync(target, { recursive: true, mode: 0o700 });
  let mounted = false;
  try {
    mountAll(snapshots.prepare(building, parent), target);
    mounted = true;
    populateInitLayer(target, mountPoints);
    unmount(target);
    mounted = false;
    snapshots.commit(key, building);
  } catch (err) {
    if (mounted) unmount(target);
    if (snapshots.stat(building)) snapshots.remove(building);
    throw err;
  } finally {
    rmdirSync(target);
  }
}

/**
 * Makes the container's two snapshots over `imageTop` (the image's top
 * chain ID; none for an image of no layers). Undone on failure. A
 * `--rm` container's layer is volatile (see Snapshotter.prepare). Runs
 * without a pause (no await), so two creates never build one shared init
 * layer at once.
 */
export function createContainerLayers(snapshots: Snapshotter, id: string, imageTop: string | undefined, scratchDir: string, mountPoints: string[], opts: { volatile?: boolean } = {}): void {
  try {
    if (mountPoints.length === 0 && imageTop !== undefined) {
      const shared = imageInitKey(imageTop);
      if (!snapshots.stat(shared)) buildInitLayer(snapshots, shared, imageTop, scratchDir, []);
      snapshots.prepare(id, shared, opts);
    } else {
      buildInitLayer(snapshots, initKey(id), imageTop, scratchDir, mountPoints);
      snapshots.prepare(id, initKey(id), opts);
    }
  } catch (err) {
    removeContainerLayers(snapshots, id);
    throw err;
  }
}

/** Where the merged tree is mounted: the driver's own place (Docker's MergedDir), or the container's directory. */
export function mergedDir(snapshots: Snapshotter, id: string, containerDir: string): string {
  try {
    return snapshots.graphDriverData?.(id)?.['MergedDir'] ?? join(containerDir, 'rootfs');
  } catch {
    return join(containerDir, 'rootfs'); // no snapshot (a create cut short): nothing of the driver's is mounted
  }
}

/**
 * An overlay mount made "volatile" (Linux 5.10): no sync of the upper layer,
 * at unmount either, which otherwise flushes the host filesystem's journal
 * (milliseconds of every container's stop). Only for a container removed
 * when it stops (--rm, as Podman does): a crash can leave its layer
 * inconsistent, but such a layer is thrown away anyway. Overlay marks the
 * work directory (work/incompat/volatile) and refuses it afterwards; the
 * mark of a clean unmount is cleared before the next mount (a restart).
 */
function volatileOverlay(mounts: Mount[]): Mount[] | undefined {
  const out: Mount[] = [];
  for (const m of mounts) {
    if (m.type !== 'overlay') return undefined;
    const workdir = m.options.find((o) => o.startsWith('workdir='))?.slice('workdir='.length);
    if (workdir) rmSync(join(workdir, 'work', 'incompat', 'volatile'), { recursive: true, force: true });
    out.push({ ...m, options: [...m.options, 'volatile'] });
  }
  return out;
}

export function mountContainerRootfs(snapshots: Snapshotter, id: string, containerDir: string, opts: { disposable?: boolean } = {}): string {
  const target = mergedDir(snapshots, id, containerDir);
  mkdirSync(target, { recursive: true, mode: 0o755 });
  unmount(target); // a mount left by a daemon that died
  const mounts = snapshots.mounts(id);
  const fast = opts.disposable ? volatileOverlay(mounts) : undefined;
  if (fast) {
    try {
      mountAll(fast, target);
      return target;
    } catch (err) {
      if (errnoOfHostCall(err) !== 'EINVAL') throw err; // a kernel before 5.10: mounted as usual
    }
  }
  mountAll(mounts, target);
  return target;
}

export function unmountContainerRootfs(snapshots: Snapshotter, id: string, containerDir: string): void {
  const target = mergedDir(snapshots, id, containerDir);
  if (existsSync(target)) unmount(target);
  // the init layer's build mount, if a create was cut short while it was up
  if (existsSync(join(containerDir, 'init-build'))) unmount(join(containerDir, 'init-build'));
}

/** Both snapshots gone (an init layer of the image's stays for its other containers); what is already gone is no error. */
export function removeContainerLayers(snapshots: Snapshotter, id: string): void {
  for (const key of [id, initKey(id)]) {
    if (!snapshots.stat(key)) continue;
    try {
      snapshots.remove(key);
    } catch (err) {
      throw new EngineError('Internal', 'LAYER_REMOVE', `remove container ${id.slice(0, 12)}: its layer ${key}: ${(err as Error).message}`, { cause: err });
    }
  }
}
