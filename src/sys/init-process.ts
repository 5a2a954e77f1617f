import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { PassThrough, type Duplex } from 'node:stream';
import { EngineError } from '../errors/engine-error.js';
import { Err, Msg } from './native-protocol.generated.js';
import { nativeBinary } from './native-paths.js';
import { sealedInitFd, spawnDetached, type DetachedChild } from './spawn-detached.js';

export interface InitOptions {
  /** How many fds from 3 on pass to the app (--preserve-fds). */
  preserveFds: number;
  /** stdio of the app: the runtime's own by default. */
  stdio?: ['inherit' | 'pipe' | 'ignore', 'inherit' | 'pipe' | 'ignore', 'inherit' | 'pipe' | 'ignore'];
  /**
   * Called once the child exists, while it goes on with its setup: work
   * here overlaps the child's (a throw aborts the launch).
   */
  onPid?: (pid: number) => void;
  /**
   * Called for each SYNC point; the child waits until it returns. What it
   * returns goes back to the child with the ack (the seccomp agent's state).
   */
  onSync?: (id: number, pid: number) => Promise<SyncReply> | SyncReply;
  onWarning?: (text: string) => void;
  /**
   * Runs berth-init through another program (the engine's berth-shim,
   * which then owns the container's stdio and outlives the caller): given
   * berth-init's command line, returns the one to spawn. The program must
   * pass fds from 3 on through to berth-init.
   */
  launcher?: (command: string, args: string[]) => { command: string; args: string[] };
}

export type SyncReply = Buffer | string | undefined;

export interface InitExit {
  /** Raw wait(2) status of the app, when berth-init stayed to see it end. */
  waitStatus: number | undefined;
}

/**
 * One run of berth-init: sends it the plan, answers its sync points and
 * turns its messages into promises. `ready` settles when the container is
 * set up (or failed), `exited` when berth-init itself is gone.
 */
export class InitProcess {
  /** Node's child process; none when a launcher was started through spawnDetached. */
  readonly child: ChildProcess | undefined;
  readonly ready: Promise<number>;
  readonly exited: Promise<InitExit>;
  pid: number | undefined;
  private readonly sync: Duplex;
  private waitStatus: number | undefined;
  private failure: EngineError | undefined;

  constructor(plan: Buffer, opts: InitOptions) {
    const base = opts.stdio ?? ['inherit', 'inherit', 'inherit'];
    const preserved = Array.from({ length: opts.preserveFds }, (_, i) => 3 + i);
    const stdio: StdioOptions = [...base, ...preserved, 'pipe'];
    // a launcher detaches at once and needs no pipes of ours: started without forking this process,
    // berth-init from the sealed copy, its fd after the sync socket's
    const detached = opts.launcher && base.every((s): s is 'inherit' | 'ignore' => s !== 'pipe') ? base : undefined;
    const exe = detached ? sealedInitFd() : undefined;
    const syncFd = 3 + opts.preserveFds;
    const direct = exe === undefined ? { command: nativeBinary('berth-init'), args: [String(syncFd)] } : { command: `/proc/self/fd/${syncFd + 1}`, args: [String(syncFd), String(syncFd + 1)] };
    const launch = opts.launcher ? opts.launcher(direct.command, direct.args) : direct;
    let started: DetachedChild | Error | undefined;
    if (detached) {
      try {
        started = spawnDetached(launch.command, launch.args, detached, opts.preserveFds, exe === undefined ? [] : [exe]);
      } catch (err) {
        started = err as Error;
      }
    }
    this.child = detached ? undefined : spawn(launch.command, launch.args, { stdio });
    this.sync = started instanceof Error ? new PassThrough() : started ? started.sync : (this.child!.stdio[3 + opts.preserveFds] as Duplex);
    let resolveReady!: (pid: number) => void;
    let rejectReady!: (err: unknown) => void;
    this.ready = new Promise<number>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    this.ready.catch(() => undefined);
    let settled = false;
    const fail = (err: EngineError): void => {
      this.failure ??= err;
      if (!settled) rejectReady(this.failure);
      settled = true;
    };
    const cannotStart = (err: Error): EngineError => new EngineError('Unavailable', 'INIT_MISSING', `cannot start berth-init: ${err.message}`, { hint: 'build the native part with: npm ci', cause: err });
    const diedEarly = (how: string): EngineError => new EngineError('Internal', 'INIT_DIED', `berth-init ended before the container was ready (exit ${how})`);
    this.exited = new Promise<InitExit>((resolve) => {
      if (started instanceof Error) {
        fail(cannotStart(started));
        resolve({ waitStatus: undefined });
      } else if (started) {
        // Node's 'close': the launcher has exited and the sync socket is closed (berth-init is gone)
        const closed = new Promise<void>((res) => started.sync.once('close', () => res()));
        void Promise.all([started.exit.catch(() => 0), closed]).then(([status]) => {
          fail(diedEarly(String(status >> 8)));
          resolve({ waitStatus: this.waitStatus });
        });
      } else {
        this.child!.on('error', (err) => {
          fail(cannotStart(err));
          resolve({ waitStatus: undefined });
        });
        this.child!.on('close', (code, signal) => {
          fail(diedEarly(String(code ?? signal)));
          resolve({ waitStatus: this.waitStatus });
        });
      }
    });

    let buf: Buffer = Buffer.alloc(0);
    this.sync.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 8) {
        const type = buf.readUInt32LE(0);
        const len = buf.readUInt32LE(4);
        if (buf.length < 8 + len) break;
        const payload = buf.subarray(8, 8 + len);
        buf = buf.subarray(8 + len);
        this.handle(type, payload, opts, () => {
          settled = true;
          resolveReady(this.pid ?? 0);
        }, fail);
      }
    });
    this.sync.on('error', () => undefined);
    this.sync.write(plan);
  }

  private handle(type: number, payload: Buffer, opts: InitOptions, ready: () => void, fail: (e: EngineError) => void): void {
    switch (type) {
      case Msg.PID:
        this.pid = Number(payload.readBigUInt64LE(0));
        try {
          opts.onPid?.(this.pid);
        } catch (err) {
          fail(err instanceof EngineError ? err : new EngineError('Internal', 'SETUP_FAILED', String(err), { cause: err }));
          this.abort();
        }
        return;
      case Msg.SYNC: {
        const id = Number(payload.readBigUInt64LE(0));
        Promise.resolve()
          .then(() => opts.onSync?.(id, this.pid ?? 0))
          .then(
            (reply) => this.send(Msg.SYNC_ACK, typeof reply === 'string' ? Buffer.from(reply) : reply ?? undefined),
            (err: unknown) => {
              fail(err instanceof EngineError ? err : new EngineError('Internal', 'SYNC_FAILED', String(err), { cause: err }));
              this.abort();
            },
          );
        return;
      }
      case Msg.READY:
        ready();
        return;
      case Msg.ERROR:
        fail(initError(payload));
        return;
      case Msg.EXIT:
        this.waitStatus = Number(payload.readBigUInt64LE(0));
        return;
      case Msg.WARNING:
        opts.onWarning?.(payload.toString('utf8'));
        return;
      default:
        fail(new EngineError('Internal', 'BAD_MESSAGE', `berth-init sent an unknown message type ${type}`));
    }
  }

  private send(type: number, payload: Buffer = Buffer.alloc(0)): void {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(type, 0);
    head.writeUInt32LE(payload.length, 4);
    this.sync.write(Buffer.concat([head, payload]));
  }

  /** Stop a setup in progress: berth-init kills the child and exits. */
  abort(): void {
    if (this.sync.writable) this.send(Msg.ABORT);
    this.sync.end();
  }

  /** No more messages will be sent: let berth-init's exit end the wait. */
  release(): void {
    this.sync.end();
  }
}

function initError(payload: Buffer): EngineError {
  const errno = payload.readUInt32LE(0);
  const code = payload.readUInt32LE(4);
  const text = payload.subarray(8).toString('utf8');
  const message = `unable to start container process: ${text}`;
  if (code === Err.EXEC_NOT_FOUND) return new EngineError('NotFound', 'EXEC_NOT_FOUND', message);
  if (code === Err.EXEC_DENIED) return new EngineError('Forbidden', 'EXEC_DENIED', message);
  if (code === Err.BAD_PLAN) return new EngineError('Internal', 'BAD_PLAN', message);
  return new EngineError('Internal', 'INIT_FAILED', message, { cause: { errno } });
}
