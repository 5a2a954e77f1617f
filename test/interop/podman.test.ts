/**
 * Podman runs containers with berth-runtime: `podman --runtime
 * bin/berth-runtime run …` has conmon drive berth-runtime as it drives runc
 * or crun (create --console-socket, start, kill, delete --force, exec
 * --process --detach).
 *
 * Podman keeps everything under /var/lib/berth-test-podman and
 * /run/berth-test-podman, reads only the configuration files written there,
 * uses the cgroupfs driver and no network (--network none: netavark sets up
 * nothing), and the image is imported from the busybox rootfs of the other
 * tests. berth-runtime keeps its state in its default root,
 * /run/berth-runtime: podman passes no --root, and the cleanup process conmon
 * starts when a container exits would not pass on a --runtime-flag.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfs, RUNTIME_BIN } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';
import { acquireLock, CgroupTraces, HostTraces, mountsUnder, namespaceMounts, processesMentioning, releaseLock, run, runInPty, shown, stopProcess, unmountAll, type Result } from './harness.js';

const DATA_ROOT = '/var/lib/berth-test-podman';
const RUN_DIR = '/run/berth-test-podman';
const OURS = [DATA_ROOT, RUN_DIR];
/** Held while a run uses the directories above. */
const LOCK = '/run/berth-test-podman.lock';
const IMAGE = 'localhost/berth-test/busybox';

const GLOBAL_FLAGS = [
  '--root', join(DATA_ROOT, 'storage'),
  '--runroot', join(RUN_DIR, 'runroot'),
  '--tmpdir', join(RUN_DIR, 'tmp'),
  '--volumepath', join(DATA_ROOT, 'volumes'),
  '--network-config-dir', join(RUN_DIR, 'networks'),
  '--storage-driver', 'overlay',
  '--runtime', RUNTIME_BIN,
  '--cgroup-manager', 'cgroupfs',
  '--events-backend', 'file',
];

// Only the files written here are read, not /etc/containers/*.conf.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  CONTAINERS_CONF: join(RUN_DIR, 'containers.conf'),
  CONTAINERS_STORAGE_CONF: join(RUN_DIR, 'storage.conf'),
  CONTAINERS_REGISTRIES_CONF: join(RUN_DIR, 'registries.conf'),
};

// What podman 4.3 (containers/image's blob cache, netavark's run directory) and berth-runtime (its default root) create outside the directories above.
const TRACES = [
  '/var/lib/containers/cache/blob-info-cache-v1.boltdb',
  '/var/lib/containers/cache',
  '/var/lib/containers',
  '/run/containers/networks',
  '/run/containers',
  '/run/netns',
  '/run/berth-runtime',
];
// conmon puts itself in libpod_parent/conmon under the cgroupfs driver
const CGROUPS = ['libpod_parent'];
let traces: HostTraces | undefined;
let cgroups: CgroupTraces | undefined;
const ipForward = '/proc/sys/net/ipv4/ip_forward';
let ipForwardBefore = '';
let namespaceMountsBefore: string[] = [];

function podman(args: string[], timeoutMs = 60_000): Result {
  return run('podman', [...GLOBAL_FLAGS, ...args], { env, timeoutMs });
}

/** `podman run --network none …`, with the test image after the flags. */
function podmanRun(flags: string[], command: string[]): Result {
  return podman(['run', '--network', 'none', ...flags, IMAGE, ...command]);
}

function ok(r: Result): string {
  assert.equal(r.status, 0, shown(r));
  return r.stdout;
}

/** Containers in berth-runtime's default root. */
function berthContainers(): string[] {
  const r = run(RUNTIME_BIN, ['list', '-q']);
  assert.equal(r.status, 0, shown(r));
  return r.stdout.split('\n').filter(Boolean);
}

let berthBefore = new Set<string>();
const newBerthContainers = (): string[] => berthContainers().filter((id) => !berthBefore.has(id));

/** Removes every container, process, mount and file of the run; safe to call at any time and again. */
async function teardown(): Promise<void> {
  if (existsSync(join(RUN_DIR, 'storage.conf'))) {
    const ids = podman(['ps', '-aq'], 30_000).stdout.split('\n').filter(Boolean);
    if (ids.length) podman(['rm', '-f', '-t', '0', ...ids], 60_000);
  }
  for (const p of processesMentioning(RUN_DIR)) await stopProcess(p.pid, 5_000, RUN_DIR);
  for (const p of processesMentioning(DATA_ROOT)) await stopProcess(p.pid, 5_000, DATA_ROOT);
  for (const id of newBerthContainers()) run(RUNTIME_BIN, ['delete', '--force', id]);
  unmountAll(OURS);
  for (const d of OURS) rmSync(d, { recursive: true, force: true });
  traces?.remove();
  cgroups?.remove();
}

describe('podman --runtime berth-runtime', { skip: missing('root', 'podman', 'busybox'), timeout: 180_000 }, () => {
  before(async () => {
    await acquireLock(LOCK, 120_000);
    await teardown(); // what a run that was killed left
    traces = new HostTraces(TRACES);
    cgroups = new CgroupTraces(CGROUPS);
    ipForwardBefore = readFileSync(ipForward, 'utf8');
    namespaceMountsBefore = namespaceMounts();
    berthBefore = new Set(berthContainers());
    mkdirSync(DATA_ROOT, { recursive: true, mode: 0o700 });
    mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(env['CONTAINERS_CONF']!, '# berth interop tests: everything is given on the command line\n');
    writeFileSync(env['CONTAINERS_STORAGE_CONF']!, `[storage]\ndriver = "overlay"\ngraphroot = "${join(DATA_ROOT, 'storage')}"\nrunroot = "${join(RUN_DIR, 'runroot')}"\n`);
    writeFileSync(env['CONTAINERS_REGISTRIES_CONF']!, 'unqualified-search-registries = []\n');

    const tar = join(RUN_DIR, 'busybox.tar');
    const t = run('tar', ['-C', busyboxRootfs(), '-cf', tar, '.']);
    assert.equal(t.status, 0, shown(t));
    ok(podman(['import', '--quiet', tar, IMAGE]));
    rmSync(tar);
  });

  after(async () => {
    await teardown();
    releaseLock(LOCK);
  });

  it('runs a command in the foreground and relays its output', () => {
    const r = podmanRun(['--rm'], ['echo', 'hi']);
    assert.equal(r.stdout, 'hi\n', shown(r));
    assert.equal(r.status, 0, shown(r));
  });

  it('passes on the exit code of the app', () => {
    const r = podmanRun(['--rm'], ['sh', '-c', 'exit 7']);
    assert.equal(r.status, 7, shown(r));
  });

  it('reports a missing executable as 127, with the runtime\'s message', () => {
    const r = podmanRun(['--rm'], ['no-such-command']);
    assert.equal(r.status, 127, shown(r));
    assert.match(r.stderr, /exec: "no-such-command": executable file not found in \$PATH/);
  });

  it('reports a file that cannot be executed as 126', () => {
    const r = podmanRun(['--rm'], ['/etc/passwd']);
    assert.equal(r.status, 126, shown(r));
    assert.match(r.stderr, /exec: "\/etc\/passwd": permission denied/);
  });

  it('applies the user, working directory, environment and hostname podman sets', () => {
    const r = podmanRun(['--rm', '-u', '1000:1000', '-w', '/tmp', '-e', 'FOO=bar', '-h', 'boxname'], ['sh', '-c', 'id -u; id -g; pwd; echo $FOO; hostname']);
    assert.equal(r.stdout, '1000\n1000\n/tmp\nbar\nboxname\n', shown(r));
  });

  it('gives a container without a network only its own loopback, up', () => {
    // podman leaves the namespace to the runtime, which brings lo up as runc and crun do
    const r = podmanRun(['--rm'], ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
    assert.equal(r.stdout, 'lo\n0x9\n', shown(r));
  });

  it('runs detached, execs into the container, and stops it with SIGTERM', () => {
    const name = 'berth-detached';
    // PID 1 ignores SIGTERM unless it handles it: this one does, and exits 0
    const id = ok(podmanRun(['-d', '--name', name], ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'])).trim();
    try {
      const inspect = JSON.parse(ok(podman(['inspect', id])))[0];
      assert.equal(inspect.OCIRuntime, RUNTIME_BIN);
      assert.equal(inspect.State.Status, 'running');
      // conmon drives berth-runtime: its state agrees with podman's
      const berth = JSON.parse(ok(run(RUNTIME_BIN, ['state', id])));
      assert.deepEqual({ status: berth.status, pid: berth.pid }, { status: 'running', pid: inspect.State.Pid });

      const e = podman(['exec', name, 'sh', '-c', 'echo from exec; cat /proc/1/cmdline | tr "\\0" " "; echo; exit 3']);
      assert.equal(e.stdout, 'from exec\nsh -c trap "exit 0" TERM; while :; do sleep 0.1; done \n', shown(e));
      assert.equal(e.status, 3, shown(e));
      const missingExec = podman(['exec', name, 'no-such-command']);
      assert.equal(missingExec.status, 127, shown(missingExec));
      assert.match(missingExec.stderr, /executable file not found/);

      const started = Date.now();
      ok(podman(['stop', '-t', '20', name]));
      assert.ok(Date.now() - started < 10_000, 'podman stop waited for the timeout: SIGTERM did not reach the app');
      assert.equal(ok(podman(['wait', name])).trim(), '0');
      const state = JSON.parse(ok(podman(['inspect', '--format', '{{json .State}}', name])));
      assert.equal(state.Status, 'exited');
      assert.equal(state.Running, false);
      assert.equal(state.ExitCode, 0);
    } finally {
      podman(['rm', '-f', '-t', '0', name]);
    }
    assert.ok(!berthContainers().includes(id), 'berth-runtime kept the state of a removed container');
  });

  it('stops an app that ignores SIGTERM with SIGKILL after the timeout', () => {
    const name = 'berth-stubborn';
    ok(podmanRun(['-d', '--name', name], ['sleep', '1000']));
    try {
      const started = Date.now();
      ok(podman(['stop', '-t', '1', name]));
      assert.ok(Date.now() - started >= 1_000, 'stopped before the timeout');
      assert.equal(ok(podman(['wait', name])).trim(), '137');
      const state = JSON.parse(ok(podman(['inspect', '--format', '{{json .State}}', name])));
      assert.deepEqual([state.Status, state.ExitCode, state.OOMKilled], ['exited', 137, false]);
    } finally {
      podman(['rm', '-f', '-t', '0', name]);
    }
  });

  it('runs with a terminal (-it): the app gets a pty, reads what is typed, and its code comes back', async () => {
    const r = await runInPty(['podman', ...GLOBAL_FLAGS, 'run', '--network', 'none', '-it', '--rm', IMAGE, 'sh'], { env, input: 'tty; echo $((6*7)); exit 3\r' });
    assert.match(r.stdout, /^\/dev\/pts\/0\r$/m, shown(r));
    assert.match(r.stdout, /^42\r$/m, shown(r));
    assert.equal(r.status, 3, shown(r));
  });

  it('execs with a terminal (exec -it) into a detached container', async () => {
    const name = 'berth-exec-tty';
    ok(podmanRun(['-d', '--name', name], ['sleep', '1000']));
    try {
      const r = await runInPty(['podman', ...GLOBAL_FLAGS, 'exec', '-it', name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin is a tty; exit 4'], { env });
      assert.match(r.stdout, /^\/dev\/pts\/\d+\r$/m, shown(r));
      assert.match(r.stdout, /^stdin is a tty\r$/m, shown(r));
      assert.equal(r.status, 4, shown(r));
    } finally {
      podman(['rm', '-f', '-t', '0', name]);
    }
  });

  it('leaves no container state in berth-runtime once podman removed its containers', () => {
    assert.deepEqual(newBerthContainers(), []);
  });

  it('leaves no process, mount, netns or file behind', async () => {
    await teardown();
    assert.deepEqual(processesMentioning('berth-test-podman'), []);
    assert.deepEqual(mountsUnder(OURS), []);
    assert.deepEqual(namespaceMounts().filter((m) => !namespaceMountsBefore.includes(m)), [], 'a network namespace is still mounted');
    assert.deepEqual(traces?.created(), []);
    assert.deepEqual(cgroups?.created(), []);
    assert.equal(readFileSync(ipForward, 'utf8'), ipForwardBefore, 'net.ipv4.ip_forward changed');
    for (const d of OURS) assert.ok(!existsSync(d), `${d} is still there`);
  });
});
