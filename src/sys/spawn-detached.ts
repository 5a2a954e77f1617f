import { closeSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { addon } from './addon.js';
import { nativeBinary } from './native-paths.js';

let sealedInit: number | null | undefined;

/**
 * berth-init's sealed copy (see native/init/main.c), made once per process;
 * undefined where it cannot be made (berth-init then copies itself).
 */
export function sealedInitFd(): number | undefined {
  if (sealedInit === undefined) {
    try {
      sealedInit = addon().sealedCopy(nativeBinary('berth-init'));
    } catch {
      sealedInit = null;
    }
  }
  return sealedInit ?? undefined;
}

export interface DetachedChild {
  pid: number;
  /** Our end of the socket pair whose other end is the child's last fd. */
  sync: Socket;
  /** Its raw wait status, once it has exited. */
  exit: Promise<number>;
}

/**
 * Starts a program that detaches at once (berth-shim) through the addon's
 * posix_spawn, which does not fork berthd as Node's spawn does: fds 0-2
 * are the caller's ('inherit') or /dev/null ('ignore'), then the caller's
 * fds 3.. (preserveFds of them), then one end of a new socket pair, then
 * the `extra` fds.
 */
export function spawnDetached(command: string, args: string[], stdio: readonly ('inherit' | 'ignore')[], preserveFds: number, extra: readonly number[] = []): DetachedChild {
  const native = addon();
  const [ours, theirs] = native.socketPair();
  let devNull: number | undefined;
  try {
    const fds = stdio.map((s, i) => (s === 'inherit' ? i : (devNull ??= openSync('/dev/null', 'r+'))));
    for (let i = 0; i < preserveFds; i++) fds.push(3 + i);
    fds.push(theirs, ...extra);
    const pid = native.spawnDetached(command, [command, ...args], fds);
    return { pid, sync: new Socket({ fd: ours, readable: true, writable: true }), exit: native.waitPid(pid) };
  } catch (err) {
    closeSync(ours);
    throw err;
  } finally {
    closeSync(theirs);
    if (devNull !== undefined) closeSync(devNull);
  }
}
