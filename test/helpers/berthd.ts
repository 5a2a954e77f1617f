/**
 * A private berthd for a test: data root, exec root and socket under one
 * fresh berth-prefixed directory, started from bin/berthd (the built
 * bundle), and `berth` run against it through BERTH_HOST. stop() ends it —
 * and any berthd a berth started on the same socket — and removes the
 * directory, mounts under it first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineClient } from '../../src/client/client.js';
import { readMountInfo } from '../../src/sys/mountinfo.js';
import { REPO } from './bundle.js';

export const BERTH = join(REPO, 'bin', 'berth');
export const BERTHD = join(REPO, 'bin', 'berthd');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  dir: string;
  dataRoot: string;
  execRoot: string;
  socketPath: string;
  /** unix://<socketPath> */
  host: string;
  /** The environment berth runs in: BERTH_HOST and BERTH_DATA_ROOT name this daemon. */
  env: NodeJS.ProcessEnv;
  client: EngineClient;
  /** Runs bin/berth against this daemon; stdin is `input` (empty unless given). */
  berth(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Run;
  /** The daemon's log so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function startBerthd(name: string): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), `berth-${name}-`));
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'run');
  const socketPath = join(execRoot, 'berth.sock');
  const host = `unix://${socketPath}`;
  const logPath = join(dir, 'berthd.log');
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOST: host, BERTH_DATA_ROOT: dataRoot };
  delete env['BERTH_EXEC_ROOT'];
  const child: ChildProcess = spawn('sh', ['-c', `exec "$0" "$@" >>"${logPath}" 2>&1`, BERTHD, '--data-root', dataRoot, '--exec-root', execRoot, '-H', host], { stdio: 'ignore' });
  const client = new EngineClient({ socketPath });
  const daemon: TestDaemon = {
    dir,
    dataRoot,
    execRoot,
    socketPath,
    host,
    env,
    client,
    berth(args, opts = {}) {
      const r = spawnSync(BERTH, args, { env: opts.env ?? env, input: opts.input ?? '', timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 1 << 28 });
      if (r.error) throw new Error(`berth ${args.join(' ')}: ${r.error.message}`);
      return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString() };
    },
    log: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      // containers first: a shim killed below would leave its container's processes running
      const ids = spawnSync(BERTH, ['ps', '-aq', '--no-trunc'], { env: { ...env, BERTH_AUTOSTART: '0' }, encoding: 'utf8', timeout: 30_000 }).stdout?.split('\n').filter(Boolean) ?? [];
      if (ids.length) spawnSync(BERTH, ['rm', '-f', '-v', ...ids], { env: { ...env, BERTH_AUTOSTART: '0' }, stdio: 'ignore', timeout: 60_000 });
      client.close();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      // a berthd that a berth started on this socket (the auto-start tests)
      for (const pid of processesUnder(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      for (let round = 0; round < 5; round++) {
        const mounts = readMountInfo('self')
          .map((m) => m.mountPoint)
          .filter((p) => p.startsWith(`${dir}/`))
          .sort((a, b) => b.length - a.length);
        if (mounts.length === 0) break;
        for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      await client.ping();
      return daemon;
    } catch {
      if (child.exitCode !== null || Date.now() > until) {
        const log = daemon.log();
        await daemon.stop();
        throw new Error(`berthd did not start:\n${log}`);
      }
      await sleep(25);
    }
  }
}

/** Processes (but this one) whose command line names a path under dir. */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${dir}/`)) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}
