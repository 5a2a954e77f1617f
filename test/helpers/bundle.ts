import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const RUNTIME_BIN = join(REPO, 'bin', 'berth-runtime');
/** Scratch space for bundles; under the repo so CI's clean clone starts empty. */
export const TMP = join(REPO, '.test-tmp');
/** State roots of the runtimes under test, apart from any real ones. */
export const BERTH_ROOT = '/run/berth-test/berth';
export const RUNC_ROOT = '/run/berth-test/runc';

const BUSYBOX = existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';

/**
 * A busybox root filesystem made from the host's static busybox (Debian's
 * busybox-static): every applet as a symlink, the usual top directories, and
 * /etc/passwd and /etc/group. Built once per test run, copied per bundle.
 */
export function busyboxRootfs(): string {
  const dir = join(TMP, 'rootfs-busybox');
  if (existsSync(join(dir, 'bin', 'sh'))) return dir;
  const tmp = `${dir}.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'home', 'var', 'run']) mkdirSync(join(tmp, d), { recursive: true });
  chmodSync(join(tmp, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(tmp, 'bin', 'busybox'));
  chmodSync(join(tmp, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(tmp, 'bin', applet));
  writeFileSync(join(tmp, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(tmp, 'etc', 'group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another test file built it first
  }
  return dir;
}

export function uniqueId(prefix = 'bth'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export type Config = Record<string, any>;

/** The config the tests start from: a shell command, no terminal, the usual namespaces and mounts. */
export function baseConfig(args: string[]): Config {
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'bth-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface Bundle {
  dir: string;
  id: string;
  config: Config;
  /** Rewrites config.json after a change to `config`. */
  save(): void;
  remove(): void;
}

/** A fresh bundle with its own copy of the busybox rootfs. */
export function makeBundle(args: string[], change: (c: Config) => void = () => undefined): Bundle {
  const id = uniqueId();
  const dir = join(TMP, 'bundles', id);
  mkdirSync(dir, { recursive: true });
  cpSync(busyboxRootfs(), join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  const config = baseConfig(args);
  change(config);
  const bundle: Bundle = {
    dir,
    id,
    config,
    save: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  bundle.save();
  return bundle;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export type RuntimeName = 'berth' | 'runc';

/**
 * Runs berth-runtime (or runc, for conformance) with its test state root.
 * Output goes through files, not pipes: a detached container inherits the
 * runtime's stdout and would hold a pipe open long after the runtime exits.
 */
export function runtime(args: string[], opts: { name?: RuntimeName; timeoutMs?: number; extraFds?: number[] } = {}): RunResult {
  const name = opts.name ?? 'berth';
  const [bin, root] = name === 'runc' ? ['runc', RUNC_ROOT] : [RUNTIME_BIN, BERTH_ROOT];
  mkdirSync(join(TMP, 'out'), { recursive: true });
  const base = join(TMP, 'out', uniqueId('out'));
  const out = openSync(`${base}.stdout`, 'w+');
  const err = openSync(`${base}.stderr`, 'w+');
  try {
    const r: SpawnSyncReturns<Buffer> = spawnSync(bin, ['--root', root, ...args], {
      stdio: ['ignore', out, err, ...(opts.extraFds ?? [])],
      timeout: opts.timeoutMs ?? 30_000,
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: readFileSync(`${base}.stdout`, 'utf8'), stderr: readFileSync(`${base}.stderr`, 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(`${base}.stdout`, { force: true });
    rmSync(`${base}.stderr`, { force: true });
  }
}

/** `run` in the foreground: the container's output and exit code. */
export function runIn(bundle: Bundle, opts: { name?: RuntimeName; extraFds?: number[]; flags?: string[] } = {}): RunResult {
  return runtime(['run', ...(opts.flags ?? []), '--bundle', bundle.dir, bundle.id], opts);
}

/** Deletes a container whatever its state, and its bundle. */
export function cleanup(bundle: Bundle, name: RuntimeName = 'berth'): void {
  runtime(['delete', '--force', bundle.id], { name });
  bundle.remove();
}
