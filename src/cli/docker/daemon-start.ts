import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '../../client/client.js';
import { EngineError, errnoOf, isEngineError } from '../../errors/engine-error.js';

/**
 * How berth reaches berthd: the client of the socket `host` names, and, when
 * nothing answers there and berth runs as root, a berthd started for it —
 * detached, logging to <exec-root>/berthd.log, on the same socket and the
 * data root the user gave. Every command that needs the daemon calls
 * connect(); two berth processes starting berthd at once start one (a lock
 * file in the exec root), since two daemons over one data root would each
 * keep state the other does not see.
 */

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export interface ConnectOptions {
  /** unix:///path/to.sock */
  host: string;
  /** --data-root of a berthd this starts; berthd's own default (or BERTH_DATA_ROOT) when absent */
  dataRoot?: string | undefined;
  /** --exec-root of a berthd this starts; default BERTH_EXEC_ROOT, else the socket's directory */
  execRoot?: string | undefined;
  /** Whether to start berthd when nothing answers; default: when running as root. */
  autoStart?: boolean;
  /** How long a started berthd has to answer; default 5 s. */
  timeoutMs?: number;
  /** default: bin/berthd of this package */
  berthdPath?: string;
  userAgent?: string;
  /** Told when a daemon already running serves another data root than dataRoot. */
  warn?: (message: string) => void;
}

/** The socket path of a `unix://` host; berth speaks to no other kind yet. */
export function socketPathOf(host: string): string {
  if (host.startsWith('unix://') && host.length > 'unix://'.length) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new EngineError('InvalidArgument', 'BAD_HOST', `invalid host ${JSON.stringify(host)}: berth connects to unix sockets only`, { hint: 'give unix:///path/to/berth.sock' });
}

/** A client of a berthd that answers: the one at opts.host, or one started there. */
export async function connect(opts: ConnectOptions): Promise<EngineClient> {
  const socketPath = socketPathOf(opts.host);
  const client = new EngineClient({ socketPath, ...(opts.userAgent ? { userAgent: opts.userAgent } : {}) });
  try {
    await client.apiVersion();
  } catch (err) {
    if (!isEngineError(err, 'DAEMON_UNREACHABLE') || !(opts.autoStart ?? process.getuid?.() === 0)) throw err;
    await startBerthd(socketPath, opts);
    await client.apiVersion();
    return client;
  }
  if (opts.dataRoot && opts.warn) await checkDataRoot(client, opts.dataRoot, opts.warn);
  return client;
}

/**
 * A data root names the daemon berth would start; a daemon already on the
 * socket keeps its own. Saying so spares the user a surprise (images
 * "missing" from the data root they named).
 */
async function checkDataRoot(client: EngineClient, dataRoot: string, warn: (message: string) => void): Promise<void> {
  const info = await client.get<{ DockerRootDir?: string }>('/info');
  if (info.DockerRootDir && resolve(info.DockerRootDir) !== resolve(dataRoot)) {
    warn(`the berthd at unix://${client.socketPath} uses the data root ${info.DockerRootDir}, not ${dataRoot}: --data-root and BERTH_DATA_ROOT only name the data root of a berthd that berth starts`);
  }
}

async function startBerthd(socketPath: string, opts: ConnectOptions): Promise<void> {
  // absolute: berthd runs from /
  const execRoot = resolve(opts.execRoot ?? process.env['BERTH_EXEC_ROOT'] ?? dirname(socketPath));
  const logPath = join(execRoot, 'berthd.log');
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  const failed = (code: string, why: string): EngineError =>
    new EngineError('Unavailable', code, `start berthd on unix://${socketPath}: ${why}`, { hint: `see ${logPath}` });

  mkdirSync(execRoot, { recursive: true, mode: 0o700 });
  const lock = join(execRoot, 'berthd.start.lock');
  if (!takeLock(lock)) {
    // another berth is starting it: wait for its daemon
    if (await waitForDaemon(socketPath, deadline, () => undefined)) return;
    throw failed('DAEMON_START_TIMEOUT', `another berth process is starting it, and it did not answer within ${((opts.timeoutMs ?? 5000) / 1000).toFixed(0)} s`);
  }
  try {
    // it may have come up while this process waited for the lock
    if (await answers(socketPath)) return;
    const args = ['--exec-root', execRoot, '-H', `unix://${resolve(socketPath)}`, ...(opts.dataRoot ? ['--data-root', resolve(opts.dataRoot)] : [])];
    const log = openSync(logPath, 'a', 0o600);
    let exit: string | undefined;
    try {
      // its own session, and / as its directory: it outlives this berth and holds no mount busy
      const child = spawn(opts.berthdPath ?? berthdBinary(), args, { detached: true, cwd: '/', stdio: ['ignore', log, log] });
      child.on('error', (err) => (exit = err.message));
      child.on('exit', (code, signal) => (exit = signal ? `it was killed by ${signal}` : `it exited with status ${code}`));
      child.unref();
    } finally {
      closeSync(log);
    }
    if (await waitForDaemon(socketPath, deadline, () => exit)) return;
    if (exit !== undefined) throw failed('DAEMON_START_FAILED', `${exit}${lastLine(logPath)}`);
    throw failed('DAEMON_START_TIMEOUT', `no answer within ${((opts.timeoutMs ?? 5000) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Polls until the daemon answers (true), it is known to have ended, or the deadline passes (false). */
async function waitForDaemon(socketPath: string, deadline: number, ended: () => string | undefined): Promise<boolean> {
  for (;;) {
    if (await answers(socketPath)) return true;
    if (ended() !== undefined || Date.now() > deadline) return false;
    await sleep(25);
  }
}

async function answers(socketPath: string): Promise<boolean> {
  const probe = new EngineClient({ socketPath, apiVersion: '1.24' });
  try {
    await probe.ping(AbortSignal.timeout(1000));
    return true;
  } catch {
    return false;
  } finally {
    probe.close();
  }
}

/**
 * The lock file holds its owner's pid; one whose owner is gone is taken
 * over. False when a live process holds it.
 */
function takeLock(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readIfThere(path), 10);
    // an empty file is one being written: its owner is alive
    if (Number.isNaN(owner) || alive(owner)) return false;
    rmSync(path, { force: true });
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The log's last line, for an error that says why berthd stopped. */
function lastLine(logPath: string): string {
  const line = readIfThere(logPath).trimEnd().split('\n').at(-1)?.trim();
  return line ? `: ${line}` : '';
}

/** bin/berthd of the package this file is part of (bundled in dist/, or run from src/ by the tests). */
function berthdBinary(): string {
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'berth') return join(dir, 'bin', 'berthd');
    } catch {
      // no package.json here, or not berth's (bin/ has one of its own)
    }
    const up = dirname(dir);
    if (up === dir) throw new EngineError('Internal', 'NO_BERTHD', 'start berthd: the berth package that holds bin/berthd was not found', { hint: 'start berthd yourself' });
    dir = up;
  }
}
