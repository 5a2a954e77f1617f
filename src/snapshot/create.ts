import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EngineError } from '../errors/engine-error.js';
import { mountAll, unmount } from '../sys/mounts.js';
import { Overlay2Snapshotter } from './overlay2.js';
import type { Snapshotter } from './snapshotter.js';
import type { SnapshotDriver } from './store.js';
import { VfsSnapshotter } from './vfs.js';

/**
 * Choosing the driver for a data root, as dockerd does: the one asked
 * for; else the one the data root already holds snapshots of (switching
 * would hide them); else overlay2 when the kernel has overlayfs and the
 * data root's file system works as its upper layer, else vfs with a
 * warning. "Works" is found out by a real mount, once per data root
 * (afterwards its snapshots decide): reading the file system type would
 * miss cases — overlayfs cannot be the upper layer of another overlay (a
 * data root inside a container), and some file systems lack what overlayfs
 * needs of an upper one (d_type, trusted xattrs, tmpfiles).
 */

export interface SnapshotterOptions {
  driver?: SnapshotDriver | undefined;
  /** Told why overlay2 was not chosen (default: printed on stderr). */
  warn?: ((message: string) => void) | undefined;
}

/** The kernel lists overlay in /proc/filesystems once the module is loaded; a mount may still load it. */
export function kernelHasOverlay(filesystems = readFileSync('/proc/filesystems', 'utf8')): boolean {
  return filesystems.split('\n').some((line) => line.split('\t').pop() === 'overlay');
}

/**
 * Whether overlayfs mounts with its upper layer in dir's file system and a
 * file written through the mount lands in the upper directory. The reason
 * when not. Everything it makes is removed again.
 */
export function probeOverlay(dir: string): { ok: true } | { ok: false; why: string } {
  const base = `${dir}/probe-${randomBytes(6).toString('hex')}`;
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((n) => `${base}/${n}`) as [string, string, string, string];
  try {
    for (const d of [lower, upper, work, merged]) mkdirSync(d, { recursive: true, mode: 0o700 });
    try {
      mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`, 'index=off', 'redirect_dir=off', 'metacopy=off'] }], merged);
    } catch (err) {
      const inKernel = kernelHasOverlay();
      return { ok: false, why: inKernel ? `overlayfs cannot use ${JSON.stringify(dir)} as its upper layer: ${(err as Error).message}` : `the kernel has no overlayfs (${(err as Error).message})` };
    }
    try {
      writeFileSync(`${merged}/probe`, 'overlay');
      if (!existsSync(`${upper}/probe`)) return { ok: false, why: `a file written through an overlay mount did not reach its upper layer in ${JSON.stringify(dir)}` };
    } finally {
      unmount(merged);
    }
    return { ok: true };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** A driver root holds snapshots when its metadata directory has records. */
function holdsSnapshots(root: string): boolean {
  try {
    return readdirSync(`${root}/metadata`).some((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return false;
  }
}

/** Probe results by driver root: a process (the daemon, a test run) mounts once per data root. */
const probed = new Map<string, ReturnType<typeof probeOverlay>>();

function probeOnce(root: string): ReturnType<typeof probeOverlay> {
  let result = probed.get(root);
  if (!result) {
    mkdirSync(root, { recursive: true, mode: 0o710 });
    result = probeOverlay(root);
    probed.set(root, result);
  }
  return result;
}

function open(driver: SnapshotDriver, root: string): Snapshotter {
  return driver === 'overlay2' ? new Overlay2Snapshotter(root) : new VfsSnapshotter(root);
}

/** The snapshotter of a data root: `<dataRoot>/overlay2/` or `<dataRoot>/vfs/`. */
export function createSnapshotter(dataRoot: string, options: SnapshotterOptions = {}): Snapshotter {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`berth: warning: ${m}\n`));
  dataRoot = resolve(dataRoot); // mount options need absolute paths
  const rootOf = (d: SnapshotDriver): string => `${dataRoot}/${d}`;
  if (/[,:\\]/.test(dataRoot)) {
    throw new EngineError('InvalidArgument', 'SNAPSHOT_ROOT', `open snapshots in ${JSON.stringify(dataRoot)}: the path may not contain ",", ":" or "\\"`, {
      hint: 'overlay mount options separate paths with them; choose another data root',
    });
  }
  if (options.driver === 'vfs') return open('vfs', rootOf('vfs'));
  if (options.driver === 'overlay2') {
    // a root with overlay2 snapshots proved itself when they were made
    if (!holdsSnapshots(rootOf('overlay2'))) {
      const probe = probeOnce(rootOf('overlay2'));
      if (!probe.ok) {
        throw new EngineError('Unavailable', 'SNAPSHOT_DRIVER', `use storage driver overlay2: ${probe.why}`, { hint: 'use the vfs driver (--storage-driver vfs), or put the data root on ext4 or xfs' });
      }
    }
    return open('overlay2', rootOf('overlay2'));
  }
  const prior = (['overlay2', 'vfs'] as const).filter((d) => holdsSnapshots(rootOf(d)));
  if (prior.length === 1) return open(prior[0]!, rootOf(prior[0]!));
  if (prior.length > 1) {
    throw new EngineError('Conflict', 'SNAPSHOT_DRIVER', `open snapshots in ${JSON.stringify(dataRoot)}: both overlay2 and vfs hold snapshots`, { hint: 'choose one with --storage-driver' });
  }
  const probe = probeOnce(rootOf('overlay2'));
  if (probe.ok) return open('overlay2', rootOf('overlay2'));
  rmSync(rootOf('overlay2'), { recursive: true, force: true });
  warn(`storage driver overlay2 is not usable, falling back to vfs (every layer a full copy: slower, and larger on disk): ${probe.why}`);
  return open('vfs', rootOf('vfs'));
}
