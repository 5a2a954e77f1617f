/**
 * buildSpec against dockerd 20.10 itself: a private dockerd creates
 * containers with a set of `docker create` flags each, and its runtime — a
 * wrapper that keeps a copy of config.json and hands over to runc — shows
 * the spec dockerd wrote. buildSpec gets the same container (Config,
 * HostConfig and mounts from `docker inspect`, the /etc files and /dev/shm
 * source dockerd prepared) and must give the same spec, but for the
 * differences src/engine/spec/index.ts documents, which are normalised away
 * here and nothing else.
 *
 * Containers that runc cannot start on this host (--privileged without
 * CAP_SYS_RESOURCE, an unlimited nproc) still have their spec written
 * before runc fails, so their start may fail. Everything is under
 * /var/lib/berth-test-dspec and /run/berth-test-dspec, and removed at the end.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfs, TMP } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';
import { buildSpec, realSpecHost, resolveUser, specJson, type SpecMount } from '../../src/engine/spec/index.js';
import type { ContainerConfig, HostConfig } from '../../src/engine/spec/types.js';
import { ok } from './engine-cases.js';
import { acquireLock, HostSnapshot, readPidFile, releaseLock, run, shown, stopProcess, unmountAll, type Result, pingSocket, startPrivateDockerd } from './harness.js';

const DATA_ROOT = '/var/lib/berth-test-dspec';
const RUN_DIR = '/run/berth-test-dspec';
const EXEC_ROOT = join(RUN_DIR, 'exec');
const SOCKET = join(RUN_DIR, 'docker.sock');
const PIDFILE = join(RUN_DIR, 'docker.pid');
const LOG = join(RUN_DIR, 'dockerd.log');
const CONTAINERD_DIR = join(EXEC_ROOT, 'containerd');
const CAPTURED = join(RUN_DIR, 'captured');
const WRAPPER = join(RUN_DIR, 'capture-runc');
const ROOTFS = join(RUN_DIR, 'rootfs');
const SHARED = join(RUN_DIR, 'shared');
const IMAGE = 'berth-test/dspec';
const OURS = [DATA_ROOT, RUN_DIR];
const LOCK = '/run/berth-test-dspec.lock';
const TRACES = ['/etc/docker/key.json', '/etc/docker', '/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'];

const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${SOCKET}`, DOCKER_CONFIG: join(RUN_DIR, 'client') };
const docker = (args: string[], timeoutMs = 60_000): Result => run('docker', args, { env, timeoutMs });
let dockerd: ChildProcess | undefined;
let host: HostSnapshot | undefined;

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const GROUP = 'root:x:0:\ntty:x:5:\nstaff:x:50:alice\nalice:x:1000:\nwheel:x:10:root,alice\nnogroup:x:65534:\n';

const ping = (): Promise<boolean> => pingSocket(SOCKET);

async function teardown(): Promise<void> {
  if (existsSync(SOCKET) && (await ping())) {
    const ids = docker(['ps', '-aq'], 30_000).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(['rm', '-f', ...ids], 60_000);
  }
  const pid = dockerd?.pid ?? readPidFile(PIDFILE);
  if (pid) await stopProcess(pid, 20_000, 'dockerd');
  dockerd = undefined;
  const containerd = readPidFile(join(CONTAINERD_DIR, 'containerd.pid'));
  if (containerd) await stopProcess(containerd, 10_000, CONTAINERD_DIR);
  unmountAll(OURS);
  if (existsSync(LOG)) {
    mkdirSync(TMP, { recursive: true });
    copyFileSync(LOG, join(TMP, 'interop-dspec-dockerd.log'));
  }
  for (const d of OURS) rmSync(d, { recursive: true, force: true });
  host?.removeTraces();
}

interface Inspect {
  Id: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts: { Type: 'bind' | 'volume' | 'tmpfs'; Source: string; Destination: string; RW: boolean; Propagation: string }[];
}

type Json = Record<string, any>;

/** What dockerd wrote for `docker create <flags> IMAGE <cmd>`, and what it keeps of the container. */
function dockerSpec(flags: string[], cmd: string[]): { spec: Json; inspect: Inspect; start: Result } {
  const id = ok(docker(['create', '--runtime', 'capture', ...flags, IMAGE, ...cmd])).trim();
  try {
    const start = docker(['start', id]);
    const inspect = (JSON.parse(ok(docker(['inspect', id]))) as Inspect[])[0]!;
    const file = join(CAPTURED, `${id}.json`);
    assert.ok(existsSync(file), `dockerd never handed a spec to the runtime:\n${shown(start)}`);
    return { spec: JSON.parse(readFileSync(file, 'utf8')) as Json, inspect, start };
  } finally {
    docker(['rm', '-f', id]);
  }
}

/** buildSpec for the container dockerd made, with what dockerd prepared for it. */
function berthSpec(docker: Json, inspect: Inspect): { spec: Json; warnings: string[] } {
  const source = (dest: string): string | undefined => (docker['mounts'] as Json[]).find((m) => m['destination'] === dest)?.['source'];
  const apiMounts = inspect.HostConfig.Mounts ?? [];
  const mounts: SpecMount[] = (inspect.Mounts ?? [])
    .filter((m) => m.Type !== 'tmpfs')
    .map((m) => ({
      type: m.Type,
      source: m.Source,
      destination: m.Destination,
      readOnly: !m.RW,
      ...(m.Propagation ? { propagation: m.Propagation } : {}),
      ...(apiMounts.find((a) => a.Target === m.Destination)?.BindOptions?.NonRecursive ? { nonRecursive: true } : {}),
    }));
  for (const a of apiMounts) {
    if (a.Type !== 'tmpfs') continue;
    const o = a.TmpfsOptions;
    mounts.push({ type: 'tmpfs', source: '', destination: a.Target!, readOnly: !!a.ReadOnly, options: [...(o?.Mode ? [`mode=${o.Mode.toString(8)}`] : []), ...(o?.SizeBytes ? [`size=${o.SizeBytes}`] : [])] });
  }
  const ipc = inspect.HostConfig.IpcMode ?? '';
  const { spec, warnings } = buildSpec({
    id: inspect.Id,
    config: inspect.Config,
    hostConfig: inspect.HostConfig,
    rootfs: docker['root']['path'],
    mounts,
    ...optional('resolvConfPath', source('/etc/resolv.conf')),
    ...optional('hostnamePath', source('/etc/hostname')),
    ...optional('hostsPath', source('/etc/hosts')),
    ...optional('shmPath', ipc === 'shareable' || ipc === 'host' ? source('/dev/shm') : undefined),
    user: resolveUser(ROOTFS, inspect.Config.User, inspect.HostConfig.GroupAdd),
    initPath: (docker['mounts'] as Json[]).find((m) => m['destination'] === '/sbin/docker-init')?.['source'] ?? '/usr/bin/docker-init',
    namespaces: inspect.HostConfig.NetworkMode === 'host' ? { network: 'host' } : {},
    cgroupsPath: docker['linux']['cgroupsPath'],
    // dockerd does not clamp ulimits: compare without berth's clamping
    host: { ...realSpecHost(), rlimits: undefined },
  });
  return { spec: JSON.parse(specJson(spec)) as Json, warnings };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** The differences index.ts documents, taken out of both sides; seccomp compared by its shape only. */
function normalise(spec: Json): Json {
  const s = structuredClone(spec);
  delete s['ociVersion'];
  delete s['hooks'];
  // dockerd's order of the --group-add groups varies between runs (moby collects them through a Go map)
  const gids = s['process']?.['user']?.['additionalGids'] as number[] | undefined;
  if (gids) gids.sort((a, b) => a - b);
  const linux = s['linux'];
  const sysctl = linux['sysctl'] ?? {};
  if (sysctl['kernel.domainname'] !== undefined) {
    s['domainname'] = sysctl['kernel.domainname'];
    delete sysctl['kernel.domainname'];
  }
  for (const rule of linux['resources']?.['devices'] ?? []) {
    if (rule['major'] === -1) delete rule['major'];
    if (rule['minor'] === -1) delete rule['minor'];
  }
  if (linux['maskedPaths']) linux['maskedPaths'] = (linux['maskedPaths'] as string[]).filter((p) => p !== '/sys/devices/virtual/powercap');
  linux['namespaces'] = (linux['namespaces'] as Json[]).filter((n) => !(n['type'] === 'network' && String(n['path'] ?? '').endsWith('/netns/default')));
  // dockerd orders mounts of one depth as Go's maps come (MountPoints, Tmpfs): compare them as a set, and their depths in order
  const mounts = s['mounts'] as Json[];
  s['mountDepths'] = mounts.map((m) => String(m['destination']).split('/').length);
  s['mounts'] = mounts.map((m) => JSON.stringify(m)).sort();
  const seccomp = linux['seccomp'];
  if (seccomp) linux['seccomp'] = { defaultAction: seccomp['defaultAction'], architectures: seccomp['architectures'] ?? undefined, rules: (seccomp['syscalls'] ?? []).length > 0 };
  return JSON.parse(JSON.stringify(s)) as Json;
}

interface Case {
  name: string;
  flags: string[];
  cmd?: string[];
  /** compare the seccomp profile whole (a custom one, identical under both) */
  wholeSeccomp?: boolean;
}

const CASES: Case[] = [
  { name: 'nothing asked', flags: [] },
  { name: '--privileged', flags: ['--privileged'] },
  { name: 'capabilities added and dropped', flags: ['--cap-add', 'SYS_ADMIN', '--cap-drop', 'net_raw', '--cap-add', 'chown'] },
  { name: '--cap-add ALL --cap-drop CHOWN', flags: ['--cap-add', 'ALL', '--cap-drop', 'CHOWN'] },
  { name: '--cap-drop ALL --cap-add cap_kill', flags: ['--cap-drop', 'ALL', '--cap-add', 'cap_kill'] },
  { name: 'tty, env, workdir', flags: ['-t', '-i', '-e', 'FOO=bar', '-e', 'PATH=/mine:/bin', '-e', 'TERM=vt100', '-w', '/tmp/work'] },
  { name: 'a user by name', flags: ['-u', 'alice'] },
  { name: 'uid:gid', flags: ['-u', '1000:50'] },
  { name: '--group-add', flags: ['-u', 'nobody', '--group-add', 'staff', '--group-add', '4242'] },
  { name: 'a uid with no entry', flags: ['-u', '4000'] },
  { name: '--read-only and --tmpfs', flags: ['--read-only', '--tmpfs', '/run:rw,size=64m', '--tmpfs', '/x', '--tmpfs', '/y:exec,mode=1770'] },
  { name: '--shm-size', flags: ['--shm-size', '128m'] },
  { name: '--ipc host', flags: ['--ipc', 'host'] },
  { name: '--ipc shareable', flags: ['--ipc', 'shareable'] },
  { name: '--ipc none', flags: ['--ipc', 'none'] },
  { name: '--network none', flags: ['--network', 'none'] },
  { name: '--network host', flags: ['--network', 'host'] },
  { name: '--pid host --uts host', flags: ['--pid', 'host', '--uts', 'host'] },
  { name: '--hostname --domainname', flags: ['--hostname', 'foo', '--domainname', 'bar.local'] },
  { name: '-m', flags: ['-m', '64m'] },
  { name: '-m --memory-swap -1', flags: ['-m', '64m', '--memory-swap', '-1'] },
  { name: 'memory reservation, swap, swappiness', flags: ['-m', '64m', '--memory-swap', '200m', '--memory-reservation', '32m', '--memory-swappiness', '10'] },
  { name: '--cpus --cpu-shares', flags: ['--cpus', '1.5', '--cpu-shares', '512'] },
  { name: 'cpu quota, period, cpuset', flags: ['--cpu-quota', '50000', '--cpu-period', '100000', '--cpuset-cpus', '0', '--cpuset-mems', '0'] },
  { name: '--pids-limit', flags: ['--pids-limit', '100'] },
  { name: '--pids-limit -1', flags: ['--pids-limit', '-1'] },
  { name: 'OOM killer and score', flags: ['--oom-kill-disable', '--oom-score-adj', '100'] },
  { name: '--device', flags: ['--device', '/dev/fuse', '--device', '/dev/null:/dev/mynull:r', '--device', '/dev/net'] },
  { name: '--device-cgroup-rule', flags: ['--device-cgroup-rule', 'c 42:* rmw', '--device-cgroup-rule', 'b *:* m'] },
  { name: '--privileged --device', flags: ['--privileged', '--device', '/dev/null:/dev/mynull:r'] },
  { name: '--ulimit', flags: ['--ulimit', 'nofile=1024:2048', '--ulimit', 'core=0', '--ulimit', 'nproc=-1'] },
  { name: 'no-new-privileges', flags: ['--security-opt', 'no-new-privileges'] },
  { name: 'seccomp=unconfined', flags: ['--security-opt', 'seccomp=unconfined'] },
  { name: 'a seccomp profile', flags: ['--security-opt', `seccomp=${join(RUN_DIR, 'profile.json')}`], wholeSeccomp: true },
  { name: 'sysctls', flags: ['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=100000', '--sysctl', 'fs.mqueue.msg_max=100'] },
  { name: '--init', flags: ['--init'] },
  { name: '--init --pid host', flags: ['--init', '--pid', 'host'] },
  { name: 'binds and volumes', flags: ['-v', `${SHARED}/a:/data:ro`, '-v', 'berth-dspec-vol:/vol', '-v', `${SHARED}/b:/b:rslave`, '-v', `${SHARED}/a:/z/y`, '-v', `${SHARED}/b:/z`] },
  { name: '--mount bind and tmpfs', flags: ['--mount', `type=bind,src=${SHARED}/a,dst=/m,bind-propagation=rslave,readonly`, '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1000000,tmpfs-mode=1770', '--mount', `type=bind,src=${SHARED}/a,dst=/nr,bind-nonrecursive=true`] },
  { name: 'a bind over /etc/hosts', flags: ['--mount', `type=bind,src=${SHARED}/hosts,dst=/etc/hosts`] },
  { name: 'a bind at /dev', flags: ['--mount', `type=bind,src=${SHARED}/a,dst=/dev`] },
  { name: 'shared propagation', flags: ['-v', `${SHARED}/a:/sh:shared`, '-v', `${SHARED}/b:/a/b/c/d`] },
  { name: '--cgroupns private', flags: ['--cgroupns', 'private'] },
  { name: 'systempaths=unconfined', flags: ['--security-opt', 'systempaths=unconfined'] },
  { name: '--privileged --read-only', flags: ['--privileged', '--read-only', '-v', `${SHARED}/a:/a`] },
  { name: '--tmpfs /dev/shm', flags: ['--tmpfs', '/dev/shm:size=1m'] },
  { name: '--entrypoint', flags: ['--entrypoint', '/bin/sh'], cmd: ['-c', 'sleep 1000'] },
];

describe('buildSpec gives the config.json dockerd 20.10 gives', { skip: missing('root', 'docker', 'busybox', 'runc'), timeout: 600_000 }, () => {
  before(async () => {
    await acquireLock(LOCK, 120_000);
    await teardown();
    host = new HostSnapshot(TRACES, ['docker']);
    for (const d of [DATA_ROOT, RUN_DIR, CAPTURED]) mkdirSync(d, { recursive: true, mode: 0o711 });
    writeFileSync(join(RUN_DIR, 'daemon.json'), '{}\n');
    // containerd's shim runs `<runtime> … create --bundle <dir> … <id>`: keep the bundle's config.json, then be runc
    writeFileSync(WRAPPER, `#!/bin/sh\nprev=\nfor a in "$@"; do\n  if [ "$prev" = --bundle ] || [ "$prev" = -b ]; then cp "$a/config.json" "${CAPTURED}/$(basename "$a").json"; fi\n  prev=$a\ndone\nexec runc "$@"\n`);
    chmodSync(WRAPPER, 0o755);
    writeFileSync(join(RUN_DIR, 'profile.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, { name: 'mkdir', action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } }] }));
    // bind sources on a shared mount, for the shared and slave cases
    for (const d of ['a', 'b']) mkdirSync(join(SHARED, d), { recursive: true });
    writeFileSync(join(SHARED, 'hosts'), '127.0.0.1 localhost\n');
    ok(run('mount', ['--bind', SHARED, SHARED]));
    ok(run('mount', ['--make-shared', SHARED]));

    dockerd = await startPrivateDockerd({ configFile: join(RUN_DIR, 'daemon.json'), dataRoot: DATA_ROOT, execRoot: EXEC_ROOT, pidfile: PIDFILE, socket: SOCKET, log: LOG, runtimes: { capture: WRAPPER } });

    // the tests' busybox with users and groups to resolve
    cpSync(busyboxRootfs(), ROOTFS, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(ROOTFS, 'etc', 'passwd'), PASSWD);
    writeFileSync(join(ROOTFS, 'etc', 'group'), GROUP);
    const tar = join(RUN_DIR, 'rootfs.tar');
    ok(run('tar', ['-C', ROOTFS, '-cf', tar, '.']));
    ok(docker(['import', tar, IMAGE]));
    rmSync(tar);
  });

  after(async () => {
    await teardown();
    releaseLock(LOCK);
  });

  for (const c of CASES) {
    it(c.name, () => {
      const theirs = dockerSpec(c.flags, c.cmd ?? ['sleep', '1000']);
      const ours = berthSpec(theirs.spec, theirs.inspect);
      if (c.wholeSeccomp) assert.deepEqual(ours.spec['linux']['seccomp'], JSON.parse(JSON.stringify(theirs.spec['linux']['seccomp'], (_, v: unknown) => (v === null ? undefined : v))));
      assert.deepEqual(normalise(ours.spec), normalise(theirs.spec), `docker create ${c.flags.join(' ')}`);
    });
  }

  it('refuses what dockerd refuses at start, with its message', () => {
    const id = ok(docker(['create', '--runtime', 'capture', '-u', 'bob', IMAGE, 'true'])).trim();
    try {
      const start = docker(['start', id]);
      assert.match(start.stderr, /unable to find user bob: no matching entries in passwd file/);
      assert.throws(() => resolveUser(ROOTFS, 'bob', []), /unable to find user bob: no matching entries in passwd file/);
    } finally {
      docker(['rm', '-f', id]);
    }
  });

  it('shuts down leaving no process, mount or file behind', async () => {
    await teardown();
    host?.assertLeftAsFound('berth-test-dspec', OURS);
  });
});
