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
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfs, RUNTIME_BIN, TMP } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';
import { acquireLock, CgroupTraces, HostTraces, mountsUnder, namespaceMounts, processesMentioning, readPidFile, releaseLock, run, runInPty, shown, stopProcess, unmountAll, waitUntil, type Result } from './harness.js';

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
let traces: HostTraces | undefined;
let cgroups: CgroupTraces | undefined;

let dockerd: ChildProcess | undefined;
let namespaceMountsBefore: string[] = [];
let ipForwardBefore = '';
const ipForward = '/proc/sys/net/ipv4/ip_forward';

function docker(args: string[], timeoutMs = 60_000): Result {
  return run('docker', args, { env, timeoutMs });
}

/** `docker run --runtime berth …`, with the test image after the flags. */
function dockerRun(flags: string[], command: string[]): Result {
  return docker(['run', '--runtime', 'berth', ...flags, IMAGE, ...command]);
}

function ok(r: Result): string {
  assert.equal(r.status, 0, shown(r));
  return r.stdout;
}

function ping(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: SOCKET, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function dockerdLog(): string {
  try {
    return readFileSync(LOG, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

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
  traces?.remove();
  cgroups?.remove();
}

describe('docker run --runtime berth', { skip: missing('root', 'docker', 'busybox'), timeout: 180_000 }, () => {
  before(async () => {
    await acquireLock(LOCK, 120_000);
    await teardown(); // what a run that was killed left
    traces = new HostTraces(TRACES);
    cgroups = new CgroupTraces(CGROUPS);
    ipForwardBefore = readFileSync(ipForward, 'utf8');
    namespaceMountsBefore = namespaceMounts();
    mkdirSync(DATA_ROOT, { recursive: true, mode: 0o711 });
    mkdirSync(RUN_DIR, { recursive: true, mode: 0o711 });
    // its own (empty) config, so that /etc/docker/daemon.json changes nothing
    writeFileSync(join(RUN_DIR, 'daemon.json'), '{}\n');
    const log = openSync(LOG, 'a');
    try {
      dockerd = spawn(
        'dockerd',
        [
          '--config-file', join(RUN_DIR, 'daemon.json'),
          '--data-root', DATA_ROOT,
          '--exec-root', EXEC_ROOT,
          '--pidfile', PIDFILE,
          '-H', `unix://${SOCKET}`,
          '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip-forward=false',
          '--add-runtime', `berth=${RUNTIME_BIN}`,
        ],
        { stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    dockerd.on('error', () => undefined);
    const exited = new Promise<void>((resolve) => dockerd?.once('exit', () => resolve()));
    const up = await Promise.race([waitUntil(ping, 30_000, 200), exited.then(() => false)]);
    assert.ok(up, `dockerd did not answer on ${SOCKET} within 30 s:\n${dockerdLog()}`);

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

  it('runs a command in the foreground and relays its output', () => {
    const r = dockerRun(['--rm'], ['echo', 'hi']);
    assert.equal(r.stdout, 'hi\n', shown(r));
    assert.equal(r.status, 0, shown(r));
  });

  it('passes on the exit code of the app', () => {
    const r = dockerRun(['--rm'], ['sh', '-c', 'exit 7']);
    assert.equal(r.status, 7, shown(r));
  });

  it('reports a missing executable as 127, with the runtime\'s message', () => {
    const r = dockerRun(['--rm'], ['no-such-command']);
    assert.equal(r.status, 127, shown(r));
    assert.match(r.stderr, /exec: "no-such-command": executable file not found in \$PATH/);
  });

  it('reports a file that cannot be executed as 126', () => {
    const r = dockerRun(['--rm'], ['/etc/passwd']);
    assert.equal(r.status, 126, shown(r));
    assert.match(r.stderr, /exec: "\/etc\/passwd": permission denied/);
  });

  it('applies the user, working directory, environment and hostname docker sets', () => {
    const r = dockerRun(['--rm', '-u', '1000:1000', '-w', '/tmp', '-e', 'FOO=bar', '-h', 'boxname'], ['sh', '-c', 'id -u; id -g; pwd; echo $FOO; hostname']);
    assert.equal(r.stdout, '1000\n1000\n/tmp\nbar\nboxname\n', shown(r));
  });

  it('bind-mounts a host directory read-only', () => {
    const dir = join(RUN_DIR, 'volume');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'f'), 'from the host\n');
    const r = dockerRun(['--rm', '-v', `${dir}:/data:ro`], ['sh', '-c', 'cat /data/f; touch /data/g 2>/dev/null && echo wrote || echo refused']);
    assert.equal(r.stdout, 'from the host\nrefused\n', shown(r));
  });

  it('runs detached, execs into the container, and stops it with SIGTERM', () => {
    const name = 'berth-detached';
    // PID 1 ignores SIGTERM unless it handles it: this one does, and exits 0
    const id = ok(dockerRun(['-d', '--name', name], ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'])).trim();
    try {
      const inspect = JSON.parse(ok(docker(['inspect', id])))[0];
      assert.equal(inspect.HostConfig.Runtime, 'berth');
      assert.equal(inspect.State.Status, 'running');
      // the shim drives berth-runtime: its state agrees with docker's
      const berth = berthState(id);
      assert.deepEqual(berth && { status: berth.status, pid: berth.pid }, { status: 'running', pid: inspect.State.Pid });

      const e = docker(['exec', name, 'sh', '-c', 'echo from exec; cat /proc/1/cmdline | tr "\\0" " "; echo; exit 3']);
      assert.equal(e.stdout, 'from exec\nsh -c trap "exit 0" TERM; while :; do sleep 0.1; done \n', shown(e));
      assert.equal(e.status, 3, shown(e));
      // dockerd 20.10 reports a failed exec start as 126 (under runc too), with the runtime's message
      const missingExec = docker(['exec', name, 'no-such-command']);
      assert.equal(missingExec.status, 126, shown(missingExec));
      assert.match(missingExec.stdout + missingExec.stderr, /executable file not found/);
      // docker top asks the runtime: `berth-runtime ps --format json`
      assert.match(ok(docker(['top', name])), /sleep 0\.1|while :/);

      const started = Date.now();
      ok(docker(['stop', '-t', '20', name]));
      assert.ok(Date.now() - started < 10_000, 'docker stop waited for the timeout: SIGTERM did not reach the app');
      assert.equal(ok(docker(['wait', name])).trim(), '0');
      const state = JSON.parse(ok(docker(['inspect', '--format', '{{json .State}}', name])));
      assert.equal(state.Status, 'exited');
      assert.equal(state.Running, false);
      assert.equal(state.ExitCode, 0);
    } finally {
      docker(['rm', '-f', name]);
    }
    assert.equal(berthState(id), undefined, 'berth-runtime kept the state of a removed container');
  });

  it('stops an app that ignores SIGTERM with SIGKILL after the timeout', () => {
    const name = 'berth-stubborn';
    ok(dockerRun(['-d', '--name', name], ['sleep', '1000']));
    try {
      const started = Date.now();
      ok(docker(['stop', '-t', '1', name]));
      assert.ok(Date.now() - started >= 1_000, 'stopped before the timeout');
      assert.equal(ok(docker(['wait', name])).trim(), '137');
      const state = JSON.parse(ok(docker(['inspect', '--format', '{{json .State}}', name])));
      assert.deepEqual([state.Status, state.ExitCode, state.OOMKilled], ['exited', 137, false]);
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  it('runs with a terminal (-it): the app gets a pty, reads what is typed, and its code comes back', async () => {
    const r = await runInPty(['docker', 'run', '--runtime', 'berth', '-it', '--rm', IMAGE, 'sh'], { env, input: 'tty; echo $((6*7)); exit 3\r' });
    assert.match(r.stdout, /^\/dev\/pts\/0\r$/m, shown(r));
    assert.match(r.stdout, /^42\r$/m, shown(r));
    assert.equal(r.status, 3, shown(r));
  });

  it('execs with a terminal (exec -it) into a detached container', async () => {
    const name = 'berth-exec-tty';
    ok(dockerRun(['-d', '--name', name], ['sleep', '1000']));
    try {
      const r = await runInPty(['docker', 'exec', '-it', name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin is a tty; exit 4'], { env });
      assert.match(r.stdout, /^\/dev\/pts\/\d+\r$/m, shown(r));
      assert.match(r.stdout, /^stdin is a tty\r$/m, shown(r));
      assert.equal(r.status, 4, shown(r));
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  it('gives a container without a network only its own loopback, up', () => {
    // --network none: docker's prestart hook (libnetwork-setkey) sets up the namespace
    const none = dockerRun(['--rm', '--network', 'none'], ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
    assert.equal(none.stdout, 'lo\n0x9\n', shown(none));
    // no bridge on this daemon, so no hook at all: bringing lo up is the runtime's job, as with runc
    const bare = dockerRun(['--rm'], ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
    assert.equal(bare.stdout, 'lo\n0x9\n', shown(bare));
  });

  it('leaves no container state in berth-runtime once docker removed its containers', () => {
    assert.deepEqual(berthContainers(), []);
  });

  it('shuts down leaving no process, mount, netns or file behind', async () => {
    await teardown();
    assert.deepEqual(processesMentioning('berth-test-docker'), []);
    assert.deepEqual(mountsUnder(OURS), []);
    assert.deepEqual(namespaceMounts().filter((m) => !namespaceMountsBefore.includes(m)), [], 'a network namespace is still mounted');
    assert.deepEqual(traces?.created(), []);
    assert.deepEqual(cgroups?.created(), []);
    assert.equal(readFileSync(ipForward, 'utf8'), ipForwardBefore, 'net.ipv4.ip_forward changed');
    for (const d of OURS) assert.ok(!existsSync(d), `${d} is still there`);
  });
});
