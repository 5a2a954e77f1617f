import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/**
 * berthd's side of a berth-shim: one connection to its control socket per
 * running container (or exec), held open. The shim closes it only by
 * exiting, after it has written the exit file: the connection's end is
 * the exit notice, whether berthd started the shim or found it alive
 * after a restart. A shim that is already gone (connection refused) gives
 * the same notice at once.
 */
export class ShimWatch {
  private socket: Socket | undefined;
  private gone = false;
  /** why the connection ended, if it failed rather than closed */
  error: Error | undefined;

  constructor(
    readonly controlPath: string,
    private readonly onGone: () => void,
  ) {
    const socket = connect(controlPath);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', (err) => (this.error = err)); // ECONNREFUSED, ENOENT: the shim has gone; 'close' follows
    socket.on('close', () => this.finish());
    socket.resume();
  }

  /** One request on the control line protocol; resolves with the reply ("ok", or throws on "error …"). */
  request(line: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const s = connect(this.controlPath);
      let reply = '';
      s.on('error', (err) => reject(err));
      s.on('data', (chunk) => {
        reply += chunk.toString();
        if (!reply.includes('\n')) return;
        s.end();
        const text = reply.slice(0, reply.indexOf('\n'));
        if (text === 'ok') resolve();
        else reject(new Error(text.replace(/^error /, '')));
      });
      s.write(`${line}\n`);
    });
  }

  /** Stops watching without a notice (the daemon is shutting down: the shim goes on). */
  close(): void {
    this.gone = true;
    this.socket?.destroy();
  }

  private finish(): void {
    if (this.gone) return;
    this.gone = true;
    this.onGone();
  }
}

/** What berth-shim writes to <dir>/exit when the process it watched has ended. */
export interface ShimExit {
  status: number;
  exitCode: number;
  signal: number;
  finishedAt: string;
}

export function readShimExit(dir: string): ShimExit | undefined {
  try {
    return JSON.parse(readFileSync(`${dir}/exit`, 'utf8')) as ShimExit;
  } catch {
    return undefined;
  }
}

export function readShimPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${dir}/shim.pid`, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
