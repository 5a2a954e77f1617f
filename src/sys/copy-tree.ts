import { spawn, spawnSync } from 'node:child_process';
import { EngineError } from '../errors/engine-error.js';

/**
 * Whole-tree copies for the copy (vfs) snapshotter, by GNU cp:
 * `cp -a` keeps what a layer is made of — owners, modes with
 * setuid/setgid/sticky, xattrs (file capabilities, overlay marks),
 * nanosecond mtimes, hardlinks within the tree, devices, fifos, sockets,
 * symlinks as they are — in one pass written in C, and `--reflink=auto`
 * makes it share blocks instead of copying them where the file system can
 * (btrfs, xfs): a copy of a 100 MiB tree then costs metadata only. Doing
 * it in Node would take a system call per attribute and hold every file in
 * JavaScript buffers.
 */

const args = (source: string, target: string): string[] => ['-a', '--reflink=auto', '--no-target-directory', '--', source, target];

function failure(source: string, target: string, stderr: string, status: number | string | null, cause?: unknown): EngineError {
  const why = stderr.trim().split('\n')[0] || (status === null ? 'could not run cp' : `cp exited with ${status}`);
  const full = /No space left|Disk quota/.test(stderr);
  return new EngineError(full ? 'Unavailable' : 'Internal', 'COPY_TREE', `copy "${source}" to "${target}": ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    ...(full ? { hint: 'free some space in the data root' } : {}),
  });
}

/** Copies directory source to target, which must not exist yet (cp makes it, with source's metadata). */
export function copyTreeSync(source: string, target: string): void {
  const out = spawnSync('cp', args(source, target), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (out.error) throw failure(source, target, out.error.message, null, out.error);
  if (out.status !== 0) throw failure(source, target, out.stderr, out.status ?? `signal ${out.signal}`);
}

/** copyTreeSync without blocking the event loop meanwhile. */
export function copyTree(source: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', args(source, target), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(failure(source, target, err.message, null, err)));
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(failure(source, target, stderr, code ?? `signal ${signal}`))));
  });
}
