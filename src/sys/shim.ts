/**
 * berth-shim, the per-container (and per-exec) monitor: how to start it, the
 * files it leaves in its directory, and a client for its control socket.
 *
 * berthd starts `berth-shim --dir DIR [...] -- COMMAND` and waits for it to
 * exit: 0 once the monitor runs (its pid in DIR/shim.pid) and COMMAND has
 * been exec'd, else 1 with a one-line reason on stderr. Fds 3 and up given
 * to it reach COMMAND under the same numbers. The monitor outlives berthd;
 * when the recorded process has ended and its output is drained it writes
 * DIR/exit, then closes its sockets (a held control connection sees EOF).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { nativeBinary } from './native-paths.js';

export interface ShimOptions {
  /** The shim's directory; it must exist. */
  dir: string;
  /** What the shim runs (berth-init, usually). */
  command: string[];
  /** Docker json-file log; none without it. */
  logPath?: string | undefined;
  /** Rotate the log before it would exceed this many bytes (0 or absent: never). */
  logMaxSize?: number | undefined;
  /** Files kept, the live one included (default 1: the log is truncated instead of rotated). */
  logMaxFile?: number | undefined;
  /** The container's stdin is a pipe fed by attach clients (else /dev/null). */
  stdin?: boolean | undefined;
  /** The container has a terminal, whose master COMMAND sends to DIR/console.sock. */
  tty?: boolean | undefined;
  /**
   * COMMAND exits 0 once the container exists and leaves its process to the
   * shim (berth-init in create mode): the first re-parented child's status is
   * recorded. Else COMMAND's own status is.
   */
  reparent?: boolean | undefined;
  /** Output before the first attach client connects is kept for it (an exec's, which starts before berthd can attach). */
  holdOutput?: boolean | undefined;
  /** An attach client's end of input closes the container's stdin, after what it wrote (docker run -i: StdinOnce). */
  stdinOnce?: boolean | undefined;
}

/** Where the shim keeps things in its directory. */
export function shimPaths(dir: string): { pid: string; exit: string; attach: string; control: string; console: string } {
  return {
    pid: join(dir, 'shim.pid'),
    exit: join(dir, 'exit'),
    attach: join(dir, 'attach.sock'),
    control: join(dir, 'control.sock'),
    console: join(dir, 'console.sock'),
  };
}

function invalid(message: string): EngineError {
  return new EngineError('InvalidArgument', 'BAD_SHIM_OPTIONS', message);
}

/** The shim's arguments (without the binary itself). */
export function shimArgs(opts: ShimOptions): string[] {
  if (!opts.dir) throw invalid('shim: the directory is empty');
  if (opts.command.length === 0 || !opts.command[0]) throw invalid('shim: no command to run');
  const args = ['--dir', opts.dir];
  if (opts.logPath !== undefined) args.push('--log-path', opts.logPath);
  if (opts.logMaxSize !== undefined && opts.logMaxSize !== 0) {
    if (!Number.isSafeInteger(opts.logMaxSize) || opts.logMaxSize < 0) throw invalid(`shim: log max size ${opts.logMaxSize} is not a byte count`);
    args.push('--log-max-size', String(opts.logMaxSize));
  }
  if (opts.logMaxFile !== undefined && opts.logMaxFile !== 1) {
    if (!Number.isSafeInteger(opts.logMaxFile) || opts.logMaxFile < 1) throw invalid(`shim: log max file ${opts.logMaxFile} is not a count of at least 1`);
    args.push('--log-max-file', String(opts.logMaxFile));
  }
  if (opts.logPath === undefined && args.length > 2) throw invalid('shim: log rotation needs a log path');
  if (opts.stdin) args.push('--stdin');
  if (opts.tty) args.push('--tty');
  if (opts.reparent) args.push('--reparent');
  if (opts.holdOutput) args.push('--hold-output');
  if (opts.stdinOnce) args.push('--stdin-once');
  return [...args, '--', ...opts.command];
}

export interface ShimExit {
  /** Raw wait(2) status. */
  status: number;
  /** The exit code, or 128+signal when killed. */
  exitCode: number;
  /** The killing signal, 0 if none. */
  signal: number;
  /** RFC 3339 (nanoseconds, UTC), when the shim saw the process end. */
  finishedAt: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Parses the exit file's contents; throws on anything the shim does not write. */
export function parseShimExit(text: string, where = 'exit file'): ShimExit {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new EngineError('Internal', 'BAD_SHIM_EXIT', `read ${where}: not JSON`, { cause: err });
  }
  const o = v as Partial<Record<keyof ShimExit, unknown>> | null;
  const int = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!o || typeof o !== 'object' || !int(o.status) || !int(o.exitCode) || !int(o.signal) || typeof o.finishedAt !== 'string' || !RFC3339.test(o.finishedAt)) {
    throw new EngineError('Internal', 'BAD_SHIM_EXIT', `read ${where}: unexpected contents ${JSON.stringify(text.slice(0, 200))}`);
  }
  return { status: o.status, exitCode: o.exitCode, signal: o.signal, finishedAt: o.finishedAt };
}

/** The recorded end, or undefined while there is none (the process runs, or the shim died). */
export async function readShimExit(dir: string): Promise<ShimExit | undefined> {
  const path = shimPaths(dir).exit;
  const text = await readIfThere(path);
  return text === undefined ? undefined : parseShimExit(text, JSON.stringify(path));
}

/**
 * A file's text, or undefined while the shim has not written it. Read at
 * once: these are a few bytes in the run directory, where the thread pool's
 * round trips (open, stat, read, close) took longer than the read itself,
 * on the way from a process's exit to its waiter.
 */
async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** The monitor's pid, or undefined if it never got that far. */
export async function readShimPid(dir: string): Promise<number | undefined> {
  const path = shimPaths(dir).pid;
  const text = await readIfThere(path);
  if (text === undefined) return undefined;
  const pid = Number(text.trim());
  if (!/^\d+\s*$/.test(text) || !Number.isSafeInteger(pid) || pid < 1) {
    throw new EngineError('Internal', 'BAD_SHIM_PID', `read ${JSON.stringify(path)}: not a pid: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return pid;
}

export interface StartedShim {
  /** The first process (it exits once the monitor runs). */
  child: ChildProcess;
  /** The monitor's pid, once the first process exited 0. */
  started: Promise<number>;
}

/**
 * Starts the shim. `extraFds` become its fds 3, 4, … (and COMMAND's): a
 * 'pipe' there is a socket pair whose other end is `child.stdio[3 + i]`.
 */
export function startShim(opts: ShimOptions, extraFds: Extract<StdioOptions, readonly unknown[]>[number][] = []): StartedShim {
  const binary = nativeBinary('berth-shim');
  const child = spawn(binary, shimArgs(opts), { stdio: ['ignore', 'ignore', 'pipe', ...extraFds] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const started = new Promise<number>((resolve, reject) => {
    child.on('error', (err) =>
      reject(new EngineError('Unavailable', 'SHIM_MISSING', `cannot start berth-shim: ${err.message}`, { hint: 'build the native part with: npm ci', cause: err })),
    );
    // 'exit', not 'close': fds passed on to COMMAND keep the child's pipes open
    child.on('exit', (code, signal) => {
      const done = (): void => {
        if (code === 0) {
          readShimPid(opts.dir).then((pid) => (pid ? resolve(pid) : reject(new EngineError('Internal', 'SHIM_FAILED', `berth-shim wrote no pid in ${JSON.stringify(opts.dir)}`))), reject);
          return;
        }
        const why = stderr.trim().replace(/^berth-shim: /, '') || (signal ? `killed by ${signal}` : `exit status ${code}`);
        reject(new EngineError('Internal', 'SHIM_FAILED', `start the container monitor: ${why}`));
      };
      // stderr is the first process's alone: it is complete soon after the exit
      if (child.stderr && !child.stderr.readableEnded) child.stderr.once('end', done);
      else done();
    });
  });
  started.catch(() => undefined);
  return { child, started };
}

/**
 * A connection to the shim's control socket. Requests are answered in
 * order; `closed` settles when the shim goes away (it exits after writing
 * the exit file), which is how a watcher learns of the end without polling.
 */
export class ShimControl {
  readonly closed: Promise<void>;
  private readonly waiting: { resolve: () => void; reject: (e: Error) => void; request: string }[] = [];
  private buffered = '';
  private ended = false;
  /** Called with each notice the shim sends ("oom" once this connection asked for oom-watch). */
  onEvent: ((name: string) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        for (const w of this.waiting.splice(0)) w.reject(new EngineError('Unavailable', 'SHIM_GONE', `shim control: ${w.request}: the shim closed the connection`));
        resolve();
      });
    });
    socket.on('error', () => undefined); // 'close' follows
  }

  static connect(dir: string): Promise<ShimControl> {
    const path = shimPaths(dir).control;
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new ShimControl(socket));
      });
      socket.once('error', (err) => {
        const gone = errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ECONNREFUSED';
        reject(new EngineError(gone ? 'NotFound' : 'Unavailable', 'SHIM_GONE', `connect to ${JSON.stringify(path)}: ${err.message}`, { cause: err }));
      });
    });
  }

  private onData(d: string): void {
    this.buffered += d;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      // a notice the shim sends unasked (oom-watch), not an answer
      if (line.startsWith('event ')) {
        this.onEvent?.(line.slice('event '.length));
        continue;
      }
      const w = this.waiting.shift();
      if (!w) continue;
      if (line === 'ok') w.resolve();
      else w.reject(new EngineError('Internal', 'SHIM_REQUEST', `shim control: ${w.request}: ${line.replace(/^error /, '')}`));
    }
  }

  /** Sends one request line; resolves on "ok", rejects with the shim's error text. */
  request(line: string): Promise<void> {
    if (/[\n\r]/.test(line)) return Promise.reject(invalid('shim control: a request is one line'));
    if (this.ended) return Promise.reject(new EngineError('Unavailable', 'SHIM_GONE', `shim control: ${line}: the shim closed the connection`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, request: line });
      this.socket.write(`${line}\n`);
    });
  }

  resize(rows: number, cols: number): Promise<void> {
    const ok = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;
    if (!ok(rows) || !ok(cols)) return Promise.reject(invalid(`shim control: resize to ${rows}x${cols}: sizes are 0 to 65535`));
    return this.request(`resize ${rows} ${cols}`);
  }

  closeStdin(): Promise<void> {
    return this.request('close-stdin');
  }

  ping(): Promise<void> {
    return this.request('ping');
  }

  /** Drops the connection (the shim goes on). */
  close(): void {
    this.socket.destroy();
  }
}
