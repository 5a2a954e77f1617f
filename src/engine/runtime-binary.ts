import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from '../errors/engine-error.js';
import { nativeBinary } from '../sys/native-paths.js';
import { readShimExit, startShim, type ShimOptions } from '../sys/shim.js';

/**
 * A runc-compatible runtime binary as a container's runtime (`--runtime
 * runc`), as dockerd drives one: `create` runs under the container's
 * berth-shim (COMMAND, with --reparent: the binary exits once the
 * container exists and the shim inherits its process), then `start`,
 * `kill`, `delete` and `exec` are the binary's own commands, each with a
 * --root of berthd's (so its state never mixes with a user's).
 */

/** The runtimes berthd knows besides its own in-process one; an absolute path to a binary is taken as well. */
const KNOWN = ['runc', 'crun', 'berth-runtime'];

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The binary for a --runtime name, or Docker's error for one it does not know. */
export function resolveRuntime(name: string): string {
  const unknown = (): EngineError => new EngineError('InvalidArgument', 'UNKNOWN_RUNTIME', `unknown or invalid runtime name: ${name}`, { hint: `berth knows berth (its own, the default), ${KNOWN.join(', ')} where installed, or an absolute path to a runc-compatible binary` });
  if (isAbsolute(name)) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      throw unknown();
    }
  }
  if (!KNOWN.includes(name)) throw unknown();
  if (name === 'berth-runtime') return join(nativeBinary('berth-init'), '..', '..', '..', 'bin', 'berth-runtime');
  const found = onPath(name);
  if (!found) throw unknown();
  return found;
}

export class BinaryRuntime {
  readonly root: string;

  constructor(
    readonly binary: string,
    stateRoot: string,
  ) {
    this.root = stateRoot;
    mkdirSync(stateRoot, { recursive: true, mode: 0o700 });
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.binary, ['--root', this.root, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new EngineError('Internal', 'RUNTIME_FAILED', `${this.binary} ${args[0]}: ${(stderr || err.message).trim()}`, { cause: err }));
        else resolve(stdout);
      });
    });
  }

  /**
   * `create` under the shim: resolves once the container exists (the
   * binary wrote the pid file), with its pid; the runtime's own log says
   * why when it failed.
   */
  async create(id: string, bundle: string, shim: Omit<ShimOptions, 'command' | 'reparent'>, consoleSocket: string | undefined): Promise<number> {
    const pidFile = join(bundle, 'init.pid');
    const log = join(bundle, 'runtime.log');
    const command = [this.binary, '--root', this.root, '--log', log, '--log-format', 'json', 'create', '--bundle', bundle, '--pid-file', pidFile, ...(consoleSocket ? ['--console-socket', consoleSocket] : []), id];
    const started = startShim({ ...shim, command, reparent: true });
    await started.started;
    for (let waited = 0; waited < 60_000; waited += 10) {
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 0) return pid;
      }
      if (await readShimExit(shim.dir).catch(() => undefined)) break;
      await sleep(10);
    }
    throw new EngineError('Internal', 'RUNTIME_CREATE', `${this.binary} create: ${lastError(log) ?? 'the container was not created'}`);
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  async delete(id: string): Promise<void> {
    await this.run(['delete', '--force', id]);
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** `exec --detach` under a shim of its own; resolves with the process's pid once it runs. */
  async exec(id: string, processJson: string, shim: Omit<ShimOptions, 'command' | 'reparent'>, consoleSocket: string | undefined): Promise<number> {
    const pidFile = join(shim.dir, 'pid');
    const log = join(shim.dir, 'runtime.log');
    const command = [this.binary, '--root', this.root, '--log', log, '--log-format', 'json', 'exec', '--detach', '--pid-file', pidFile, '--process', processJson, ...(consoleSocket ? ['--console-socket', consoleSocket] : []), id];
    await startShim({ ...shim, command, reparent: true }).started;
    for (let waited = 0; waited < 30_000; waited += 10) {
      if (existsSync(pidFile)) return Number(readFileSync(pidFile, 'utf8').trim()) || 0;
      if (await readShimExit(shim.dir).catch(() => undefined)) break;
      await sleep(10);
    }
    throw new EngineError('Internal', 'RUNTIME_EXEC', `${this.binary} exec: ${lastError(log) ?? 'the process did not start'}`);
  }
}

/** The last error a runc-style JSON log holds. */
function lastError(logFile: string): string | undefined {
  try {
    const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean).reverse();
    for (const line of lines) {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) return entry.msg;
    }
  } catch {
    // no log: no detail
  }
  return undefined;
}
