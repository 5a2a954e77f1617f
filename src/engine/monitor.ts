import { connect, type Socket } from 'node:net';
import { EngineError } from '../errors/engine-error.js';
import { ShimControl } from '../sys/shim.js';

export { readShimExit, readShimPid, type ShimExit } from '../sys/shim.js';

/**
 * berthd's watch on a berth-shim: one control connection per running
 * container (or exec), held open. The shim closes it only by exiting,
 * after it has written the exit file: the connection's end is the exit
 * notice, whether berthd started the shim or found it alive after a
 * restart. A shim that is already gone (no socket, refused) gives the same
 * notice at once.
 */
export class ShimWatch {
  private control: Promise<ShimControl | undefined>;
  private stopped = false;
  /** why the connection could not be made, if it could not */
  error: Error | undefined;

  constructor(
    readonly dir: string,
    private readonly onGone: () => void,
    /** the container's memory cgroup, watched for OOM kills while it runs (the shim tells of each) */
    oom?: { cgroupDir: string; onKill: () => void; onError: (err: Error) => void },
  ) {
    this.control = ShimControl.connect(dir).then(
      (c) => {
        void c.closed.then(() => this.finish());
        if (oom) {
          c.onEvent = (name) => name === 'oom' && oom.onKill();
          c.request(`oom-watch ${oom.cgroupDir}`).catch(oom.onError);
        }
        return c;
      },
      (err: unknown) => {
        this.error = err as Error;
        this.finish();
        return undefined;
      },
    );
  }

  /** One control request on the held connection ("resize 24 80", "close-stdin"). */
  async request(line: string): Promise<void> {
    const c = await this.control;
    if (!c) throw this.error ?? new Error('the container monitor has gone');
    await c.request(line);
  }

  /** Stops watching without a notice (the daemon is shutting down: the shim goes on). */
  close(): void {
    this.stopped = true;
    void this.control.then((c) => c?.close());
  }

  private finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onGone();
  }
}

/** One request to a shim on a connection of its own (execs, which berthd does not keep a line to). */
export async function shimRequest(dir: string, line: string): Promise<void> {
  const c = await ShimControl.connect(dir);
  try {
    await c.request(line);
  } finally {
    c.close();
  }
}

/** A connection to one of a shim's sockets (attach.sock); a Conflict when the shim is not there. */
export function connectSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => reject(new EngineError('Conflict', 'ATTACH_FAILED', `attach: the container's monitor is not reachable: ${err.message}`, { cause: err })));
  });
}
