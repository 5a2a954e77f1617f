import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../../security/defaults.js';
import { OCI_VERSION } from '../../spec/oci-runtime.js';
import { buildSpec, specJson } from './build.js';
import type { SpecInput } from './input.js';
import { baseInput, FAKE_DEVICES, fakeHost, ID } from './testing.js';

const build = (over: Partial<SpecInput> = {}) => buildSpec(baseInput(over));
const hc = (hostConfig: SpecInput['hostConfig']) => build({ hostConfig: { NetworkMode: 'default', ...hostConfig } }).spec;
const refused = (over: Partial<SpecInput>, code: string, message: RegExp): void => {
  assert.throws(() => build(over), (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.match(err.message, message);
    return true;
  });
};
const etc = (name: string) => `/c/${ID}/${name}`;

describe('buildSpec: a container that asks for nothing (docker run busybox sleep 1000)', () => {
  const { spec, warnings } = build();
  it('is what dockerd 20.10 wrote, field for field', () => {
    assert.deepEqual(warnings, []);
    assert.equal(spec.ociVersion, OCI_VERSION);
    assert.deepEqual(spec.root, { path: '/var/lib/berth/rootfs' });
    assert.equal(spec.hostname, ID.slice(0, 12));
    assert.equal(spec.domainname, undefined);
    assert.deepEqual(spec.process, {
      user: { uid: 0, gid: 0, additionalGids: [0, 10] },
      args: ['sleep', '1000'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`],
      cwd: '/',
      capabilities: { bounding: [...DOCKER_DEFAULT_CAPABILITIES], effective: [...DOCKER_DEFAULT_CAPABILITIES], permitted: [...DOCKER_DEFAULT_CAPABILITIES] },
      oomScoreAdj: 0,
    });
    assert.deepEqual(spec.mounts, [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: etc('resolv.conf'), options: ['rbind', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: etc('hostname'), options: ['rbind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: etc('hosts'), options: ['rbind', 'rprivate'] },
    ]);
    const linux = spec.linux!;
    assert.deepEqual(linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
    assert.deepEqual(linux.resources, {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
        { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
        { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
        { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
      ],
      memory: { disableOOMKiller: false },
      cpu: { shares: 0 },
      blockIO: { weight: 0 },
    });
    assert.equal(linux.cgroupsPath, `/berth/${ID}`);
    assert.deepEqual(linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
    assert.deepEqual(linux.maskedPaths, [...DOCKER_MASKED_PATHS]);
    assert.deepEqual(linux.readonlyPaths, [...DOCKER_READONLY_PATHS]);
    assert.equal(linux.devices, undefined, 'the runtime makes null, zero, … itself');
    assert.equal(linux.rootfsPropagation, undefined);
    assert.equal(spec.hooks, undefined);
  });
  it('has Docker\'s default seccomp profile for x86-64 and its sub-architectures', () => {
    const seccomp = spec.linux!.seccomp as { defaultAction: string; architectures: string[]; syscalls: { names: string[] }[] };
    assert.equal(seccomp.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const allowed = seccomp.syscalls.flatMap((s) => s.names);
    assert.ok(allowed.includes('read') && allowed.includes('clone'));
    assert.ok(!allowed.includes('mount'), 'mount needs CAP_SYS_ADMIN');
  });
});

describe('buildSpec: process', () => {
  it('Entrypoint then Cmd, cwd from WorkingDir, a terminal and TERM with Tty, Env over the defaults', () => {
    const { process } = build({ config: { Hostname: 'h', Entrypoint: ['/bin/sh', '-c'], Cmd: ['ls'], WorkingDir: '/tmp/work/', Tty: true, Env: ['FOO=bar', 'PATH=/mine'] } }).spec;
    assert.deepEqual(process!.args, ['/bin/sh', '-c', 'ls']);
    assert.equal(process!.cwd, '/tmp/work');
    assert.equal(process!.terminal, true);
    assert.deepEqual(process!.env, ['PATH=/mine', 'HOSTNAME=h', 'TERM=xterm', 'FOO=bar']);
  });
  it('"No command specified" when neither Entrypoint nor Cmd is left', () => {
    refused({ config: { Entrypoint: [''] } }, 'NO_COMMAND', /^No command specified$/);
    refused({ config: {} }, 'NO_COMMAND', /No command/);
  });
  it('a hostname from the ID when the Config has none', () => {
    assert.equal(build({ config: { Cmd: ['x'] } }).spec.hostname, ID.slice(0, 12));
  });
  it('a non-root user keeps only the bounding set', () => {
    const caps = build({ user: { uid: 1000, gid: 1000, additionalGids: [1000] } }).spec.process!.capabilities;
    assert.deepEqual(caps, { bounding: [...DOCKER_DEFAULT_CAPABILITIES] });
  });
  it('resolves the user from the rootfs when the engine gives none', () => {
    const rootfs = mkdtempSync(join(tmpdir(), 'berth-spec-empty-'));
    try {
      const { process } = build({ user: undefined, rootfs, config: { Cmd: ['x'], User: '42:7' }, hostConfig: { GroupAdd: ['9'] } }).spec;
      assert.deepEqual(process!.user, { uid: 42, gid: 7, additionalGids: [7, 9] });
    } finally {
      rmSync(rootfs, { recursive: true });
    }
  });
  it('--init: docker-init bound read-only and put before the command, only with a PID namespace of its own', () => {
    const { spec } = build({ hostConfig: { Init: true }, initPath: '/usr/lib/berth/berth-reaper' });
    assert.deepEqual(spec.process!.args, ['/sbin/docker-init', '--', 'sleep', '1000']);
    const init = spec.mounts!.find((m) => m.destination === '/sbin/docker-init');
    assert.deepEqual(init, { destination: '/sbin/docker-init', type: 'bind', source: '/usr/lib/berth/berth-reaper', options: ['bind', 'ro'] });
    assert.equal(spec.mounts!.indexOf(init!), 7, 'after the defaults, before the user mounts');
    const shared = build({ hostConfig: { Init: true, PidMode: 'host' }, initPath: '/x' }).spec;
    assert.deepEqual(shared.process!.args, ['sleep', '1000']);
    refused({ hostConfig: { Init: true } }, 'NO_INIT_PATH', /initPath/);
  });
  it('no-new-privileges, OomScoreAdj', () => {
    const { process } = hc({ SecurityOpt: ['no-new-privileges'], OomScoreAdj: 100 });
    assert.equal(process!.noNewPrivileges, true);
    assert.equal(process!.oomScoreAdj, 100);
    assert.equal(hc({ SecurityOpt: ['no-new-privileges=false'] }).process!.noNewPrivileges, undefined);
  });
  it('ulimits become rlimits, -1 unlimited', () => {
    const { process } = hc({ Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'core', Soft: -1, Hard: -1 }] });
    assert.deepEqual(process!.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }, { type: 'RLIMIT_CORE', soft: 2 ** 64, hard: 2 ** 64 }]);
  });
});

describe('buildSpec: --privileged', () => {
  const spec = hc({ Privileged: true });
  it('all of dockerd 20.10\'s capabilities, no seccomp, no masked or read-only paths, /sys and cgroups writable', () => {
    assert.equal(spec.process!.capabilities!.bounding!.length, 38);
    assert.equal(spec.linux!.seccomp, undefined);
    assert.equal(spec.linux!.maskedPaths, undefined);
    assert.equal(spec.linux!.readonlyPaths, undefined);
    assert.deepEqual(spec.mounts!.find((m) => m.destination === '/sys')!.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(spec.mounts!.find((m) => m.destination === '/sys/fs/cgroup')!.options, ['nosuid', 'noexec', 'nodev']);
  });
  it('every host device, and every device allowed', () => {
    assert.deepEqual(spec.linux!.devices, FAKE_DEVICES);
    assert.deepEqual(spec.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  });
  it('keeps masked paths the client gave explicitly, as dockerd applies them after', () => {
    assert.deepEqual(hc({ Privileged: true, MaskedPaths: ['/proc/kcore'] }).linux!.maskedPaths, ['/proc/kcore']);
  });
});

describe('buildSpec: security options', () => {
  it('seccomp=unconfined: no filter', () => {
    assert.equal(hc({ SecurityOpt: ['seccomp=unconfined'] }).linux!.seccomp, undefined);
  });
  it('a profile sent as JSON, compiled for the container\'s capabilities', () => {
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, { name: 'mkdir', action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } }] };
    const seccomp = hc({ SecurityOpt: [`seccomp=${JSON.stringify(profile)}`] }).linux!.seccomp;
    assert.deepEqual(seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
    const admin = hc({ CapAdd: ['SYS_ADMIN'], SecurityOpt: [`seccomp=${JSON.stringify(profile)}`] }).linux!.seccomp as { syscalls: unknown[] };
    assert.equal(admin.syscalls.length, 2);
  });
  it('the default profile follows CapAdd', () => {
    const names = (s: unknown) => (s as { syscalls: { names: string[] }[] }).syscalls.flatMap((r) => r.names);
    assert.ok(names(hc({ CapAdd: ['sys_admin'] }).linux!.seccomp).includes('mount'));
  });
});

describe('buildSpec: namespaces, hostname, sysctls', () => {
  it('--uts host: no UTS namespace and no hostname', () => {
    const spec = hc({ UTSMode: 'host' });
    assert.equal(spec.hostname, undefined);
    assert.ok(!spec.linux!.namespaces!.some((n) => n.type === 'uts'));
  });
  it('--domainname becomes the spec\'s domainname', () => {
    assert.equal(build({ config: { Cmd: ['x'], Domainname: 'bar.local' } }).spec.domainname, 'bar.local');
    refused({ config: { Cmd: ['x'], Domainname: 'bar.local' }, hostConfig: { UTSMode: 'host' } }, 'BAD_DOMAINNAME', /UTS/);
  });
  it('--network host: no namespace, none of the network sysctls', () => {
    const spec = hc({ NetworkMode: 'host' });
    assert.deepEqual(spec.linux!.namespaces!.map((n) => n.type), ['mount', 'uts', 'pid', 'ipc']);
    assert.equal(spec.linux!.sysctl, undefined, 'none, and an empty map is left out as dockerd leaves it out');
  });
  it('a namespace the engine chose to join', () => {
    const spec = build({ hostConfig: { NetworkMode: 'container:abc' }, namespaces: { network: { path: '/proc/42/ns/net' } } }).spec;
    assert.deepEqual(spec.linux!.namespaces![1], { type: 'network', path: '/proc/42/ns/net' });
    assert.equal(spec.linux!.sysctl, undefined);
  });
  it('--cgroupns private adds a cgroup namespace; a cgroup v2 host has one by default', () => {
    assert.deepEqual(hc({ CgroupnsMode: 'private' }).linux!.namespaces!.at(-1), { type: 'cgroup' });
    assert.deepEqual(build({ host: fakeHost({ cgroupV2: true }) }).spec.linux!.namespaces!.at(-1), { type: 'cgroup' });
    // on v2 even a privileged container gets its own (dockerd 20.10's adaptContainerSettings)
    assert.deepEqual(build({ host: fakeHost({ cgroupV2: true }), hostConfig: { Privileged: true } }).spec.linux!.namespaces!.at(-1), { type: 'cgroup' });
    assert.ok(!hc({ Privileged: true }).linux!.namespaces!.some((n) => n.type === 'cgroup'));
  });
});

describe('buildSpec: root and resources', () => {
  it('--read-only makes the root and the /etc files read-only', () => {
    const spec = hc({ ReadonlyRootfs: true });
    assert.deepEqual(spec.root, { path: '/var/lib/berth/rootfs', readonly: true });
    assert.deepEqual(spec.mounts!.find((m) => m.destination === '/etc/hosts')!.options, ['rbind', 'ro', 'rprivate']);
  });
  it('-m alone gets swap of twice the memory, as dockerd stores it at create', () => {
    assert.deepEqual(hc({ Memory: 64 << 20 }).linux!.resources!.memory, { limit: 64 << 20, swap: 128 << 20, disableOOMKiller: false });
    assert.deepEqual(hc({ Memory: 64 << 20, MemorySwap: -1 }).linux!.resources!.memory, { limit: 64 << 20, disableOOMKiller: false });
  });
  it('the clamp of an rlimit comes back as a warning', () => {
    const host = fakeHost({ rlimits: { limits: { RLIMIT_NPROC: { soft: 100, hard: 200 } }, canRaise: false } });
    const { spec, warnings } = build({ host, hostConfig: { Ulimits: [{ Name: 'nproc', Soft: -1, Hard: -1 }] } });
    assert.deepEqual(spec.process!.rlimits, [{ type: 'RLIMIT_NPROC', soft: 200, hard: 200 }]);
    assert.equal(warnings.length, 1);
  });
});

describe('specJson', () => {
  it('writes RLIM_INFINITY as the exact uint64, everything else as JSON', () => {
    const spec = hc({ Ulimits: [{ Name: 'nproc', Soft: -1, Hard: -1 }, { Name: 'nofile', Soft: 10, Hard: 20 }] });
    const text = specJson(spec);
    assert.match(text, /\{"type":"RLIMIT_NPROC","soft":18446744073709551615,"hard":18446744073709551615\}/);
    assert.match(text, /\{"type":"RLIMIT_NOFILE","soft":10,"hard":20\}/);
    const back = JSON.parse(text) as typeof spec;
    assert.deepEqual({ ...back, process: { ...back.process, rlimits: undefined } }, { ...spec, process: { ...spec.process, rlimits: undefined } });
    assert.match(specJson(spec, 2), /"soft": 18446744073709551615/);
  });
});
