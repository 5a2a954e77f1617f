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
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfs, RUNTIME_BIN } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';
import { engineCases, ok } from './engine-cases.js';
import { acquireLock, HostSnapshot, processesMentioning, releaseLock, run, shown, stopProcess, unmountAll, type Result } from './harness.js';

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
let host: HostSnapshot | undefined;

function podman(args: string[], timeoutMs = 60_000): Result {
  return run('podman', [...GLOBAL_FLAGS, ...args], { env, timeoutMs });
}

/** `podman run --network none …`, with the test image after the flags. */
function podmanRun(flags: string[], command: string[]): Result {
  return podman(['run', '--network', 'none', ...flags, IMAGE, ...command]);
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
  host?.removeTraces();
}

describe('podman --runtime berth-runtime', { skip: missing('root', 'podman', 'busybox'), timeout: 180_000 }, () => {
  before(async () => {
    await acquireLock(LOCK, 120_000);
    await teardown(); // what a run that was killed left
    host = new HostSnapshot(TRACES, CGROUPS);
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

  engineCases({
    argv: ['podman', ...GLOBAL_FLAGS],
    env,
    runFlags: ['--network', 'none'],
    image: IMAGE,
    forceRemove: ['-f', '-t', '0'],
    missingExecStatus: 127,
    usesBerth: (inspect) => inspect['OCIRuntime'] === RUNTIME_BIN,
    berthState: (id) => (berthContainers().includes(id) ? (JSON.parse(ok(run(RUNTIME_BIN, ['state', id]))) as { status: string; pid: number }) : undefined),
  });

  it('gives a container without a network only its own loopback, up', () => {
    // podman leaves the namespace to the runtime, which brings lo up as runc and crun do
    const r = podmanRun(['--rm'], ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
    assert.equal(r.stdout, 'lo\n0x9\n', shown(r));
  });

  it('leaves no container state in berth-runtime once podman removed its containers', () => {
    assert.deepEqual(newBerthContainers(), []);
  });

  it('leaves no process, mount, netns or file behind', async () => {
    await teardown();
    host?.assertLeftAsFound('berth-test-podman', OURS);
  });
});
