import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missing } from '../helpers/requirements.js';
import { busyboxRootfs, REPO, RUNTIME_BIN, TMP, uniqueId, type Config } from '../helpers/bundle.js';

/**
 * Rootless: berth-runtime run by an unprivileged user, as `runc spec
 * --rootless` + `runc run` are. Root sets up a user of its own (removed
 * afterwards), with a subordinate id range for the newuidmap test; every
 * runtime call then runs as that user through runuser.
 */
const USER = 'bth-rootless';
const HOME = join(TMP, `home-${USER}`);
const RUN_DIR = join(HOME, 'run');
const SUB_START = 200000;
const SUB_COUNT = 65536;

/** Each directory from / down to path is searchable (and the last readable) by anyone: the user must reach the repo. */
function worldReachable(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if (!existsSync(p)) return false;
    const need = p === path ? 0o005 : 0o001;
    if ((statSync(p).mode & need) !== need) return false;
    if (dirname(p) === p) return true;
  }
}

function whySkip(): string | false {
  const m = missing('root', 'busybox', 'userns');
  if (m) return m;
  for (const cmd of ['useradd', 'userdel', 'usermod', 'runuser']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `needs ${cmd}`;
  }
  const unreachable = [REPO, join(REPO, 'bin'), join(REPO, 'dist'), join(REPO, 'build', 'Release'), join(REPO, 'node_modules')].filter((p) => !worldReachable(p));
  if (unreachable.length) return `an unprivileged user cannot read ${unreachable.join(', ')} (make the repository world-readable and -searchable to run the rootless tests)`;
  if (existsSync('/proc/sys/kernel/unprivileged_userns_clone') && readFileSync('/proc/sys/kernel/unprivileged_userns_clone', 'utf8').trim() === '0') return 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)';
  return false;
}

const skip = whySkip();
const hasNewuidmap = existsSync('/usr/bin/newuidmap') && existsSync('/usr/bin/newgidmap');

let uid = -1;
let gid = -1;
const bundles: string[] = [];

function removeUser(): void {
  spawnSync('userdel', ['-r', '-f', USER], { stdio: 'ignore' });
  rmSync(HOME, { recursive: true, force: true });
}

/** berth-runtime as the test user, from the bundle directory. */
function asUser(args: string[], cwd = HOME, timeoutMs = 20_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('runuser', ['-u', USER, '--', 'env', `XDG_RUNTIME_DIR=${RUN_DIR}`, RUNTIME_BIN, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same for create: the container keeps its stdio, so that goes to a file rather than a pipe spawnSync would wait on. */
function asUserDetached(args: string[], cwd: string): { status: number | null; stderr: string } {
  const log = join(cwd, 'create.log');
  const r = spawnSync('runuser', ['-u', USER, '--', 'sh', '-c', 'export XDG_RUNTIME_DIR="$1"; shift; exec "$@" </dev/null >"$0" 2>&1', log, RUN_DIR, RUNTIME_BIN, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: existsSync(log) ? readFileSync(log, 'utf8') : r.stderr };
}

/** A busybox bundle owned by the user, its config from `spec --rootless`, then changed. */
function rootlessBundle(change: (c: Config) => void): string {
  const dir = join(HOME, uniqueId('bundle'));
  execFileSync('runuser', ['-u', USER, '--', 'mkdir', '-p', dir]);
  execFileSync('runuser', ['-u', USER, '--', 'cp', '-a', `${busyboxRootfs()}/.`, join(dir, 'rootfs')]);
  const spec = asUser(['spec', '--rootless'], dir);
  assert.equal(spec.status, 0, spec.stderr);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Config;
  config['process'].terminal = false;
  change(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  chownSync(join(dir, 'config.json'), uid, gid);
  bundles.push(dir);
  return dir;
}

/**
 * The user's live processes. A killed container's init is reparented to the
 * host's PID 1, which may reap it a little later: zombies do not count.
 */
function userProcesses(): string[] {
  const deadline = Date.now() + 2000;
  for (;;) {
    const r = spawnSync('ps', ['-u', USER, '-o', 'pid=,stat=,args='], { encoding: 'utf8' });
    const all = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    const live = all.filter((l) => !/^\d+\s+Z/.test(l));
    if (all.length === 0 || Date.now() > deadline) return live;
    spawnSync('sleep', ['0.1']);
  }
}

describe('rootless berth-runtime (an unprivileged user)', { skip }, () => {
  before(() => {
    removeUser(); // a leftover of an interrupted run
    mkdirSync(dirname(HOME), { recursive: true });
    execFileSync('useradd', ['-m', '-d', HOME, '-s', '/bin/sh', USER]);
    if (hasNewuidmap) execFileSync('usermod', ['--add-subuids', `${SUB_START}-${SUB_START + SUB_COUNT - 1}`, '--add-subgids', `${SUB_START}-${SUB_START + SUB_COUNT - 1}`, USER]);
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
    execFileSync('runuser', ['-u', USER, '--', 'mkdir', '-m', '0700', '-p', RUN_DIR]);
  });

  after(() => {
    const list = asUser(['list', '-q']);
    for (const id of list.stdout.split('\n').filter(Boolean)) asUser(['delete', '-f', id]);
    removeUser();
    assert.equal(spawnSync('id', [USER], { stdio: 'ignore' }).status, 1, `user ${USER} was not removed`);
    assert.ok(!readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${USER}:`)), `/etc/subuid still names ${USER}`);
  });

  it('spec --rootless && run: root inside is the user outside, PID 1, cgroups skipped with a warning', () => {
    const b = rootlessBundle((c) => {
      c['process'].args = ['sh', '-c', 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map; echo $$; ls /dev/pts; cat /proc/self/mountinfo | grep -c mqueue'];
    });
    const r = asUser(['run', uniqueId()], b);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.equal(lines[0], '0');
    assert.equal(lines[1], `0 ${uid} 1`);
    assert.equal(lines[2], `0 ${gid} 1`);
    assert.equal(lines[3], '1');
    assert.ok(lines.includes('ptmx'), r.stdout); // devpts mounted (without gid=5)
    assert.equal(lines.at(-2), '1', r.stdout); // mqueue mounted
    assert.match(r.stderr, /cgroups skipped: running rootless without a delegated cgroup; linux.resources not applied/);
    // the default --root for a user: $XDG_RUNTIME_DIR/berth-runtime, 0700
    const root = join(RUN_DIR, 'berth-runtime');
    assert.equal(statSync(root).mode & 0o777, 0o700);
    assert.equal(statSync(root).uid, uid);
  });

  it('create, state, start, kill, delete as the user', () => {
    const b = rootlessBundle((c) => {
      c['process'].args = ['sleep', '300'];
    });
    const id = uniqueId();
    const created = asUserDetached(['create', id], b);
    assert.equal(created.status, 0, created.stderr);
    try {
      const st = JSON.parse(asUser(['state', id]).stdout) as { status: string; pid: number };
      assert.equal(st.status, 'created');
      assert.equal(statSync(join(RUN_DIR, 'berth-runtime', id)).mode & 0o777, 0o700);
      assert.equal(asUser(['start', id]).status, 0);
      assert.equal((JSON.parse(asUser(['state', id]).stdout) as { status: string }).status, 'running');
      assert.equal(readFileSync(`/proc/${st.pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' '), `0 ${uid} 1`);
      assert.equal(asUser(['kill', id, 'KILL']).status, 0);
      const deadline = Date.now() + 5000;
      while ((JSON.parse(asUser(['state', id]).stdout) as { status: string }).status !== 'stopped') {
        assert.ok(Date.now() < deadline, 'the container did not stop after KILL');
      }
    } finally {
      const del = asUser(['delete', '-f', id]);
      assert.equal(del.status, 0, del.stderr);
    }
    assert.ok(!existsSync(join(RUN_DIR, 'berth-runtime', id)), 'state left behind');
    assert.deepEqual(userProcesses(), []);
  });

  it('multi-range maps from /etc/subuid go through newuidmap/newgidmap', { skip: hasNewuidmap ? false : 'needs newuidmap/newgidmap (Debian: uidmap)' }, () => {
    const maps = () => [
      { containerID: 0, hostID: uid, size: 1 },
      { containerID: 1, hostID: SUB_START, size: SUB_COUNT },
    ];
    const b = rootlessBundle((c) => {
      c['process'].args = ['sh', '-c', 'cat /proc/self/uid_map; cat /proc/self/gid_map'];
      c['linux'].uidMappings = maps();
      c['linux'].gidMappings = maps().map((m) => (m.containerID === 0 ? { ...m, hostID: gid } : m));
    });
    const r = asUser(['run', uniqueId()], b);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(lines, [`0 ${uid} 1`, `1 ${SUB_START} ${SUB_COUNT}`, `0 ${gid} 1`, `1 ${SUB_START} ${SUB_COUNT}`]);
  });

  it('a range the user was not given is refused by newuidmap, with its reason', { skip: hasNewuidmap ? false : 'needs newuidmap' }, () => {
    const b = rootlessBundle((c) => {
      c['process'].args = ['true'];
      c['linux'].uidMappings = [
        { containerID: 0, hostID: uid, size: 1 },
        { containerID: 1, hostID: 900000, size: 1000 },
      ];
    });
    const r = asUser(['run', uniqueId()], b);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /newuidmap.*not allowed/);
  });

  it('limits in linux.resources without a writable cgroup are refused, as runc does', () => {
    const b = rootlessBundle((c) => {
      c['process'].args = ['true'];
      c['linux'].resources = { memory: { limit: 64 * 1024 * 1024 } };
    });
    const r = asUser(['run', uniqueId()], b);
    if (r.status === 0) return; // a delegated, writable cgroup: the limit applies
    assert.match(r.stderr, /cannot set limits: running rootless/);
    assert.deepEqual(userProcesses(), []);
  });
});
