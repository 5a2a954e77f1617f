/**
 * Docker runs containers with berth-runtime: a private dockerd (Debian's
 * docker.io, with the containerd it starts itself) registers it with
 * `--add-runtime berth=bin/berth-runtime`, and `docker run --runtime berth`
 * goes through containerd's runc shim, which drives berth-runtime exactly as
 * it drives runc (create/start/state/kill/delete/exec, --log JSON).
 *
 * Everything the daemon keeps is under /var/lib/berth-test-docker and
 * /run/berth-test-docker, its containerd's root and state included
 * (<data-root>/containerd, <exec-root>/containerd): it cannot meet a real
 * Docker on the host. No network is set up (no bridge, iptables rules or
 * ip_forward) and no image is pulled: the image is imported from the busybox
 * rootfs of the other tests. What dockerd and containerd still create outside
 * (/etc/docker/key.json, /run/docker/plugins, /run/containerd/s) is removed
 * afterwards, and the last test checks that no process, mount or network
 * namespace is left.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerthd, type TestDaemon } from '../helpers/berthd.js';
import { busyboxRootfs, RUNTIME_BIN, TMP } from '../helpers/bundle.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../../src/security/defaults.js';
import { parseProbe, probeBinary } from '../helpers/probe.js';
import { missing } from '../helpers/requirements.js';
import { engineCases, ok } from './engine-cases.js';
import { acquireLock, HostSnapshot, processesMentioning, readPidFile, releaseLock, run, shown, stopProcess, unmountAll, type Result, pingSocket, startPrivateDockerd } from './harness.js';

const DATA_ROOT = '/var/lib/berth-test-docker';
const RUN_DIR = '/run/berth-test-docker';
const EXEC_ROOT = join(RUN_DIR, 'exec');
const SOCKET = join(RUN_DIR, 'docker.sock');
const PIDFILE = join(RUN_DIR, 'docker.pid');
const LOG = join(RUN_DIR, 'dockerd.log');
/** dockerd starts containerd with its state here, and its config beside it. */
const CONTAINERD_DIR = join(EXEC_ROOT, 'containerd');
const IMAGE = 'berth-test/busybox';
const OURS = [DATA_ROOT, RUN_DIR];
/** Held while a run uses the directories above. */
const LOCK = '/run/berth-test-docker.lock';

const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${SOCKET}`, DOCKER_CONFIG: join(RUN_DIR, 'client') };
// Paths that dockerd 20.10 and containerd 1.6 create outside the directories they are given.
const TRACES = ['/etc/docker/key.json', '/etc/docker', '/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'];
// cgroups the cgroupfs driver makes for containers
const CGROUPS = ['docker'];
let host: HostSnapshot | undefined;

let dockerd: ChildProcess | undefined;

function docker(args: string[], timeoutMs = 60_000): Result {
  return run('docker', args, { env, timeoutMs });
}

/** `docker run --runtime berth …`, with the test image after the flags. */
function dockerRun(flags: string[], command: string[]): Result {
  return docker(['run', '--runtime', 'berth', ...flags, IMAGE, ...command]);
}

const ping = (): Promise<boolean> => pingSocket(SOCKET);

/**
 * Containers berth-runtime keeps state for. Docker gives it
 * `--root <exec-root>/runtime-<default runtime>/moby`, whichever runtime runs.
 */
function berthContainers(): { root: string; id: string }[] {
  if (!existsSync(EXEC_ROOT)) return [];
  return readdirSync(EXEC_ROOT)
    .filter((d) => d.startsWith('runtime-'))
    .map((d) => join(EXEC_ROOT, d, 'moby'))
    .flatMap((root) => (existsSync(root) ? readdirSync(root).map((id) => ({ root, id })) : []));
}

/** berth-runtime's own view of a container (`berth-runtime state`), if it has one. */
function berthState(id: string): { status: string; pid: number } | undefined {
  const found = berthContainers().find((c) => c.id === id);
  if (!found) return undefined;
  const r = run(RUNTIME_BIN, ['--root', found.root, 'state', id]);
  assert.equal(r.status, 0, shown(r));
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

/**
 * Stops the daemon and removes every trace of it; safe to call at any time,
 * again, or before a run (a previous run may have been killed half-way).
 */
async function teardown(): Promise<void> {
  if (existsSync(SOCKET) && (await ping())) {
    const ids = docker(['ps', '-aq'], 30_000).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(['rm', '-f', ...ids], 60_000);
  }
  // dockerd stops containerd itself on SIGTERM
  const pid = dockerd?.pid ?? readPidFile(PIDFILE);
  if (pid) await stopProcess(pid, 20_000, 'dockerd');
  dockerd = undefined;
  const containerd = readPidFile(join(CONTAINERD_DIR, 'containerd.pid'));
  if (containerd) await stopProcess(containerd, 10_000, CONTAINERD_DIR);
  // Only after a crash: containers the shims still run, then the shims.
  for (const { root, id } of berthContainers()) run(RUNTIME_BIN, ['--root', root, 'delete', '--force', id]);
  for (const p of processesMentioning(RUN_DIR)) await stopProcess(p.pid, 5_000, RUN_DIR);
  unmountAll(OURS);
  // the daemon's log outlives it, for a failure to be looked into
  if (existsSync(LOG)) {
    mkdirSync(TMP, { recursive: true });
    copyFileSync(LOG, join(TMP, 'interop-dockerd.log'));
  }
  for (const d of OURS) rmSync(d, { recursive: true, force: true });
  host?.removeTraces();
}

describe('docker run --runtime berth', { skip: missing('root', 'docker', 'busybox', 'gcc'), timeout: 180_000 }, () => {
  before(async () => {
    await acquireLock(LOCK, 120_000);
    await teardown(); // what a run that was killed left
    host = new HostSnapshot(TRACES, CGROUPS);
    mkdirSync(DATA_ROOT, { recursive: true, mode: 0o711 });
    mkdirSync(RUN_DIR, { recursive: true, mode: 0o711 });
    // its own (empty) config, so that /etc/docker/daemon.json changes nothing
    writeFileSync(join(RUN_DIR, 'daemon.json'), '{}\n');
    dockerd = await startPrivateDockerd({ configFile: join(RUN_DIR, 'daemon.json'), dataRoot: DATA_ROOT, execRoot: EXEC_ROOT, pidfile: PIDFILE, socket: SOCKET, log: LOG, runtimes: { berth: RUNTIME_BIN } });

    const rootfs = busyboxRootfs();
    const tar = join(RUN_DIR, 'busybox.tar');
    const t = run('tar', ['-C', rootfs, '-cf', tar, '.']);
    assert.equal(t.status, 0, shown(t));
    ok(docker(['import', tar, IMAGE]));
    rmSync(tar);
  });

  after(async () => {
    await teardown();
    releaseLock(LOCK);
  });

  it('registers berth as a runtime', () => {
    const runtimes = JSON.parse(ok(docker(['info', '--format', '{{json .Runtimes}}']))) as Record<string, { path: string }>;
    assert.equal(runtimes['berth']?.path, RUNTIME_BIN);
  });

  engineCases({
    argv: ['docker'],
    env,
    runFlags: ['--runtime', 'berth'],
    image: IMAGE,
    forceRemove: ['-f'],
    missingExecStatus: 126,
    usesBerth: (inspect) => inspect['HostConfig']?.Runtime === 'berth',
    berthState,
  });

  it('lists the container\'s processes (docker top asks berth-runtime ps)', () => {
    const name = 'berth-top';
    ok(docker(['run', '--runtime', 'berth', '-d', '--name', name, IMAGE, 'sh', '-c', 'while :; do sleep 0.1; done']));
    try {
      assert.match(ok(docker(['top', name])), /sleep 0\.1|while :/);
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  it('updates a live memory limit (docker update) and reports usage against it (docker stats)', () => {
    const name = 'berth-update';
    ok(docker(['run', '--runtime', 'berth', '-d', '-m', '64m', '--name', name, IMAGE, 'sleep', '1000']));
    try {
      ok(docker(['update', '--memory', '48m', '--memory-swap', '96m', name]));
      const inside = ok(docker(['exec', name, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']));
      assert.equal(inside, `${48 * 1024 * 1024}\n`);
      const usage = ok(docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', name])).trim();
      assert.match(usage, /\/ 48MiB$/);
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  it('bind-mounts a host directory read-only', () => {
    const dir = join(RUN_DIR, 'volume');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'f'), 'from the host\n');
    const r = dockerRun(['--rm', '-v', `${dir}:/data:ro`], ['sh', '-c', 'cat /data/f; touch /data/g 2>/dev/null && echo wrote || echo refused']);
    assert.equal(r.stdout, 'from the host\nrefused\n', shown(r));
  });

  it('gives a container without a network only its own loopback, up', () => {
    // --network none: docker's prestart hook (libnetwork-setkey) sets up the namespace
    const none = dockerRun(['--rm', '--network', 'none'], ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
    assert.equal(none.stdout, 'lo\n0x9\n', shown(none));
    // no bridge on this daemon, so no hook at all: bringing lo up is the runtime's job, as with runc
    const bare = dockerRun(['--rm'], ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
    assert.equal(bare.stdout, 'lo\n0x9\n', shown(bare));
  });

  it('gives the capabilities, no_new_privs and masked paths that Docker gives under runc (src/security/defaults.ts)', () => {
    // seccomp is another test's subject: unconfined here, and left out of the comparison
    const probe = ['-v', `${probeBinary()}:/probe:ro`, '--security-opt', 'seccomp=unconfined'];
    const masked = DOCKER_MASKED_PATHS.filter((p) => existsSync(p));
    const script = `/probe; for p in ${masked.join(' ')}; do if [ -d $p ]; then echo "$p $(ls -A $p | wc -l)"; else echo "$p $(wc -c < $p)"; fi; done`;
    const view = (r: Result) => {
      assert.equal(r.status, 0, shown(r));
      const [json = '', ...paths] = r.stdout.trim().split('\n');
      const p = parseProbe(json);
      return { caps: p.caps, NoNewPrivs: p.NoNewPrivs, uid: p.uid, paths };
    };
    for (const flags of [[], ['-u', '1000:1000'], ['--security-opt', 'no-new-privileges']]) {
      const runc = view(docker(['run', '--rm', '--runtime', 'runc', ...probe, ...flags, IMAGE, 'sh', '-c', script]));
      const berth = view(dockerRun(['--rm', ...probe, ...flags], ['sh', '-c', script]));
      assert.deepEqual(berth, runc, `docker run ${flags.join(' ')}`);
      assert.deepEqual([...runc.caps.CapBnd].sort(), [...DOCKER_DEFAULT_CAPABILITIES].sort());
      assert.deepEqual(runc.paths, masked.map((p) => `${p} 0`));
    }
  });

  it('hands berth-runtime Docker\'s default masked and read-only paths and capabilities', () => {
    const name = 'berth-defaults';
    const id = ok(docker(['run', '--runtime', 'berth', '-d', '--security-opt', 'seccomp=unconfined', '--name', name, IMAGE, 'sleep', '1000'])).trim();
    try {
      const bundle = join(CONTAINERD_DIR, 'daemon', 'io.containerd.runtime.v2.task', 'moby', id, 'config.json');
      const spec = JSON.parse(readFileSync(bundle, 'utf8')) as { process: { capabilities: Record<string, string[]> }; linux: { maskedPaths: string[]; readonlyPaths: string[] } };
      // 20.10 predates /sys/devices/virtual/powercap (moby 25)
      assert.deepEqual(spec.linux.maskedPaths, DOCKER_MASKED_PATHS.filter((p) => p !== '/sys/devices/virtual/powercap'));
      assert.deepEqual(spec.linux.readonlyPaths, DOCKER_READONLY_PATHS);
      for (const set of ['bounding', 'effective', 'permitted']) assert.deepEqual(spec.process.capabilities[set], DOCKER_DEFAULT_CAPABILITIES, set);
      assert.equal(spec.process.capabilities['inheritable'], undefined);
      assert.equal(spec.process.capabilities['ambient'], undefined);
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  describe('images move between docker and berth (save and load)', () => {
    const dir = join(RUN_DIR, 'berth-images');
    let berthd: TestDaemon | undefined;
    const berth = (args: string[]) => berthd!.berth(args, { timeoutMs: 120_000 });
    before(async () => {
      mkdirSync(dir, { recursive: true });
      berthd = await startBerthd('interop-docker');
    });
    after(async () => {
      await berthd?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('an image docker saved loads into berth: same ID, same layers, its files in the layer', () => {
      const archive = join(dir, 'from-docker.tar');
      ok(docker(['save', '-o', archive, IMAGE]));
      const loaded = berth(['load', '-q', '-i', archive]);
      assert.equal(loaded.status, 0, shown(loaded));
      assert.equal(loaded.stdout, `Loaded image: ${IMAGE}:latest\n`);
      const theirs = JSON.parse(ok(docker(['image', 'inspect', IMAGE])))[0];
      const ours = JSON.parse(berth(['image', 'inspect', IMAGE]).stdout)[0];
      assert.equal(ours.Id, theirs.Id);
      assert.deepEqual(ours.RootFS.Layers, theirs.RootFS.Layers);
      assert.deepEqual(ours.RepoTags, [`${IMAGE}:latest`]);
      const layer = ours.GraphDriver.Data.UpperDir as string;
      assert.deepEqual(readFileSync(join(layer, 'bin', 'busybox')), readFileSync(join(busyboxRootfs(), 'bin', 'busybox')));
    });

    it('an image berth saved loads into docker and runs there', () => {
      const tar = join(dir, 'rootfs.tar');
      ok(run('tar', ['-C', busyboxRootfs(), '-cf', tar, '.']));
      const imported = berth(['import', '-c', 'CMD ["echo", "made by berth"]', tar, 'berth-test/from-berth:1']);
      assert.equal(imported.status, 0, shown(imported));
      const archive = join(dir, 'from-berth.tar');
      const saved = berth(['save', '-o', archive, 'berth-test/from-berth:1']);
      assert.equal(saved.status, 0, shown(saved));
      assert.match(ok(docker(['load', '-i', archive])), /Loaded image: berth-test\/from-berth:1/);
      try {
        assert.equal(ok(docker(['run', '--rm', '--runtime', 'berth', 'berth-test/from-berth:1'])), 'made by berth\n');
        const id = berth(['image', 'inspect', '-f', '{{.Id}}', 'berth-test/from-berth:1']).stdout.trim();
        assert.equal(ok(docker(['image', 'inspect', '-f', '{{.Id}}', 'berth-test/from-berth:1'])).trim(), id);
      } finally {
        docker(['rmi', 'berth-test/from-berth:1']);
      }
    });
  });

  it('leaves no container state in berth-runtime once docker removed its containers', () => {
    assert.deepEqual(berthContainers(), []);
  });

  it('shuts down leaving no process, mount, netns or file behind', async () => {
    await teardown();
    host?.assertLeftAsFound('berth-test-docker', OURS);
  });
});
