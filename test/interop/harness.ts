/**
 * What the Docker and Podman interop tests share: running a client, running
 * one in a pseudo-terminal (util-linux `script`), stopping a daemon, and the
 * checks that a run left no process, mount or file behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, linkSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readMountInfo } from '../../src/sys/mountinfo.js';
import { runInPty, type Result, type RunOptions } from '../helpers/pty.js';

export { runInPty, type Result, type RunOptions };

/** Runs a command to its end; stdin is empty. A timeout kills it and throws. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Result {
  const r = spawnSync(cmd, args, { env: opts.env, input: '', encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL' });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** For assertion messages: what a command printed. */
export function shown(r: Result): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Polls until cond() holds; false when timeoutMs passed first. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > until) return false;
    await sleep(intervalMs);
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

/** Every process (but this one) whose command line contains text: `pgrep -af text`. */
export function processesMentioning(text: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const line = cmdline(Number(entry));
    if (line?.includes(text) && alive(Number(entry))) found.push({ pid: Number(entry), cmdline: line });
  }
  return found;
}

/**
 * Stops one process: SIGTERM, up to graceMs for it to go, then SIGKILL.
 * `expect`, when given, must appear in its command line (a pid read from a
 * stale pidfile may name another process by now).
 */
export async function stopProcess(pid: number, graceMs: number, expect?: string): Promise<void> {
  if (!alive(pid) || (expect !== undefined && !cmdline(pid)?.includes(expect))) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  };
  signal('SIGTERM');
  if (await waitUntil(() => !alive(pid), graceMs, 50)) return;
  signal('SIGKILL');
  await waitUntil(() => !alive(pid), 5_000, 50);
}

/** The pid in a pidfile, if there is one. */
export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serialises the runs of one test file on this machine (two would share, and
 * tear down, the same daemon): a file holding the owner's pid, created with
 * its content in one step (link(2)); the lock of a dead owner is taken over.
 */
export async function acquireLock(path: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  const mine = `${path}.${process.pid}`;
  writeFileSync(mine, String(process.pid));
  try {
    for (;;) {
      try {
        linkSync(mine, path);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readPidFile(path);
      if (owner === undefined || !alive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > until) throw new Error(`${path} is held by process ${owner}: another run of these tests is using the daemon`);
      await sleep(200);
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

export function releaseLock(path: string): void {
  if (readPidFile(path) === process.pid) rmSync(path, { force: true });
}

const under = (path: string, dirs: string[]): boolean => dirs.some((d) => path === d || path.startsWith(`${d}/`));

/** Mount points of this mount namespace at or below any of dirs. */
export function mountsUnder(dirs: string[]): string[] {
  return readMountInfo('self')
    .map((m) => m.mountPoint)
    .filter((p) => under(p, dirs));
}

/** Mount points of namespace files (nsfs: `ip netns`, docker's and podman's netns bind mounts). */
export function namespaceMounts(): string[] {
  return readMountInfo('self')
    .filter((m) => m.fstype === 'nsfs')
    .map((m) => m.mountPoint);
}

/** Lazily unmounts everything at or below dirs, deepest first. */
export function unmountAll(dirs: string[]): void {
  for (let round = 0; round < 5; round++) {
    const mounts = [...new Set(mountsUnder(dirs))].sort((a, b) => b.length - a.length);
    if (mounts.length === 0) return;
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  }
}

/**
 * Paths on the host that a daemon creates outside the directories it is
 * given (dockerd's /etc/docker/key.json, containerd's shim socket directory,
 * podman's blob cache…). What existed before the run is left alone; what the
 * run created is removed afterwards: files unlinked, directories only when empty.
 */
export class HostTraces {
  private readonly before: Set<string>;

  constructor(private readonly paths: string[]) {
    this.before = new Set(paths.filter((p) => existsSync(p)));
  }

  /** Paths the run created that are still there. */
  created(): string[] {
    return this.paths.filter((p) => !this.before.has(p) && existsSync(p));
  }

  remove(): void {
    for (const p of this.created().sort((a, b) => b.length - a.length)) {
      try {
        if (statSync(p).isDirectory()) rmdirSync(p);
        else unlinkSync(p);
      } catch {
        // not empty (someone else's now), or gone
      }
    }
  }
}

/** The cgroup v1/v2 directories named `name` directly under each hierarchy, with what is below them. */
function cgroupTree(name: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    found.push(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  let hierarchies: string[];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h));
  } catch {
    return [];
  }
  for (const h of hierarchies) {
    const dir = join(h, name);
    try {
      if (statSync(dir).isDirectory()) walk(dir);
    } catch {
      // no such cgroup here
    }
  }
  return found;
}

/**
 * Cgroups an engine creates for its containers (cgroupfs driver: `docker`,
 * `libpod_parent`). Those that appear during the run are removed once empty.
 */
export class CgroupTraces {
  private readonly before: Set<string>;

  constructor(private readonly names: string[]) {
    this.before = new Set(names.flatMap(cgroupTree));
  }

  created(): string[] {
    return this.names.flatMap(cgroupTree).filter((d) => !this.before.has(d));
  }

  remove(): void {
    for (const d of this.created().sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(d);
      } catch {
        // still has processes: left for the checks to report
      }
    }
  }
}

/**
 * The host as a run found it, taken before its daemon starts: the run must
 * leave it so — no process naming the run's directories, no mount or file
 * under them, no new network namespace mount, file or cgroup elsewhere, and
 * net.ipv4.ip_forward unchanged.
 */
export class HostSnapshot {
  private readonly namespaceMounts = namespaceMounts();
  private readonly ipForward = readFileSync(IP_FORWARD, 'utf8');
  private readonly traces: HostTraces;
  private readonly cgroups: CgroupTraces;

  constructor(traces: string[], cgroups: string[]) {
    this.traces = new HostTraces(traces);
    this.cgroups = new CgroupTraces(cgroups);
  }

  /** Removes what the engine made outside its own directories. */
  removeTraces(): void {
    this.traces.remove();
    this.cgroups.remove();
  }

  assertLeftAsFound(marker: string, dirs: string[]): void {
    assert.deepEqual(processesMentioning(marker), []);
    assert.deepEqual(mountsUnder(dirs), []);
    assert.deepEqual(namespaceMounts().filter((m) => !this.namespaceMounts.includes(m)), [], 'a network namespace is still mounted');
    assert.deepEqual(this.traces.created(), []);
    assert.deepEqual(this.cgroups.created(), []);
    assert.equal(readFileSync(IP_FORWARD, 'utf8'), this.ipForward, 'net.ipv4.ip_forward changed');
    for (const d of dirs) assert.ok(!existsSync(d), `${d} is still there`);
  }
}

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Whether a daemon answers /_ping on a unix socket. */
export function pingSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface PrivateDockerd {
  configFile: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  socket: string;
  log: string;
  /** --add-runtime name=path */
  runtimes: Record<string, string>;
}

/**
 * A dockerd of a test's own: its own config, roots, pid file and socket, no
 * bridge and no iptables, its output appended to `log`. Resolves once it
 * answers; throws (with the log's end) if it exits or does not answer in 30 s.
 */
export async function startPrivateDockerd(o: PrivateDockerd): Promise<ChildProcess> {
  const out = openSync(o.log, 'a');
  let dockerd: ChildProcess;
  try {
    const runtimes = Object.entries(o.runtimes).map(([name, path]) => `--add-runtime=${name}=${path}`);
    dockerd = spawn('dockerd', ['--config-file', o.configFile, '--data-root', o.dataRoot, '--exec-root', o.execRoot, '--pidfile', o.pidfile, '-H', `unix://${o.socket}`, '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip-forward=false', ...runtimes], { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  dockerd.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => dockerd.once('exit', () => resolve()));
  const up = await Promise.race([waitUntil(() => pingSocket(o.socket), 30_000, 200), exited.then(() => false)]);
  if (!up) {
    let tail = '(no log)';
    try {
      tail = readFileSync(o.log, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      // none written
    }
    throw new Error(`dockerd did not answer on ${o.socket} within 30 s:\n${tail}`);
  }
  return dockerd;
}
