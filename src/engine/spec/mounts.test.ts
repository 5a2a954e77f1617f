import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import type { Mount } from '../../spec/oci-runtime.js';
import type { SpecMount } from './input.js';
import { buildMounts, mergeTmpfsOptions, tmpfsOptionsFromApi, type MountsContext } from './mounts.js';
import type { HostConfig } from './types.js';

const FILES = { '/etc/resolv.conf': '/c/resolv.conf', '/etc/hostname': '/c/hostname', '/etc/hosts': '/c/hosts' };
function mounts(hostConfig: HostConfig = {}, user: SpecMount[] = [], over: Partial<MountsContext> = {}) {
  return buildMounts({ hostConfig, mounts: user, files: FILES, shmPath: undefined, initPath: undefined, host: {}, ...over });
}
const dests = (list: Mount[]): string[] => list.map((m) => m.destination);
const find = (list: Mount[], dest: string): Mount | undefined => list.find((m) => m.destination === dest);
const bind = (source: string, destination: string, extra: Partial<SpecMount> = {}): SpecMount => ({ type: 'bind', source, destination, readOnly: false, ...extra });
const refused = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.match(err.message, message);
    return true;
  });
};

describe('buildMounts: Docker\'s defaults', () => {
  it('proc, /dev, devpts, sysfs (ro), cgroup (ro), mqueue, /dev/shm of ShmSize (64 MiB unset), then the /etc files', () => {
    const { mounts: list, rootfsPropagation } = mounts();
    assert.deepEqual(dests(list), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
    assert.deepEqual(find(list, '/dev/shm')!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
    assert.equal(rootfsPropagation, undefined);
    assert.deepEqual(find(mounts({ ShmSize: 128 << 20 }).mounts, '/dev/shm')!.options!.at(-1), 'size=134217728');
  });
  it('leaves out an /etc file the engine did not give', () => {
    const list = buildMounts({ hostConfig: {}, mounts: [], files: { '/etc/hosts': '/h' }, shmPath: undefined, initPath: undefined, host: {} }).mounts;
    assert.deepEqual(dests(list).slice(7), ['/etc/hosts']);
  });
});

describe('buildMounts: IPC modes and /dev/shm', () => {
  it('none: no /dev/shm at all', () => {
    assert.equal(find(mounts({ IpcMode: 'none' }).mounts, '/dev/shm'), undefined);
  });
  it('host, shareable, container: a bind of the shm source after the /etc files', () => {
    const host = mounts({ IpcMode: 'host' }).mounts;
    assert.deepEqual(host.at(-1), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
    assert.equal(host.filter((m) => m.destination === '/dev/shm').length, 1);
    assert.equal(mounts({ IpcMode: 'shareable' }, [], { shmPath: '/c/mounts/shm' }).mounts.at(-1)!.source, '/c/mounts/shm');
    assert.equal(mounts({ IpcMode: 'container:abc' }, [], { shmPath: '/other/shm' }).mounts.at(-1)!.source, '/other/shm');
    refused(() => mounts({ IpcMode: 'shareable' }), 'NO_SHM_PATH', /shmPath/);
  });
  it('a user mount at /dev/shm replaces it in every mode', () => {
    const list = mounts({ IpcMode: 'shareable', Tmpfs: { '/dev/shm': 'size=1m' } }).mounts;
    assert.deepEqual(list.at(-1), { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m'] });
    assert.equal(list.filter((m) => m.destination === '/dev/shm').length, 1);
  });
});

describe('buildMounts: binds and volumes', () => {
  it('rbind, ro when read-only, rprivate for a bind, no propagation for a volume', () => {
    const list = mounts({}, [bind('/h/a', '/data', { readOnly: true }), { type: 'volume', source: '/v/vol1/_data', destination: '/vol', readOnly: false }]).mounts;
    assert.deepEqual(find(list, '/data'), { destination: '/data', type: 'bind', source: '/h/a', options: ['rbind', 'ro', 'rprivate'] });
    assert.deepEqual(find(list, '/vol'), { destination: '/vol', type: 'bind', source: '/v/vol1/_data', options: ['rbind'] });
  });
  it('bind-nonrecursive: bind', () => {
    assert.deepEqual(find(mounts({}, [bind('/h', '/nr', { nonRecursive: true })]).mounts, '/nr')!.options, ['bind', 'rprivate']);
  });
  it('orders user mounts by depth, stably, after the defaults', () => {
    const list = mounts({ Tmpfs: { '/run': '' } }, [bind('/h/a', '/z/y'), bind('/h/b', '/z'), bind('/h/c', '/a/b/c/d'), bind('/h/d', '/a')]).mounts;
    assert.deepEqual(dests(list).slice(7), ['/z', '/a', '/run', '/z/y', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts', '/a/b/c/d']);
  });
  it('a user mount over a default replaces it; one at /dev removes every default under /dev', () => {
    const list = mounts({}, [bind('/h/dev', '/dev')]).mounts;
    assert.deepEqual(dests(list), ['/proc', '/sys', '/sys/fs/cgroup', '/dev', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
    assert.deepEqual(find(mounts({}, [bind('/h/mq', '/dev/mqueue')]).mounts, '/dev/mqueue')!.type, 'bind');
  });
  it('a user mount at an /etc file takes that file\'s place, with its own read-only flag', () => {
    const list = mounts({ ReadonlyRootfs: true }, [bind('/h/hosts', '/etc/hosts')]).mounts;
    assert.deepEqual(dests(list).slice(7), ['/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
    assert.deepEqual(find(list, '/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/h/hosts', options: ['rbind', 'rprivate'] });
    assert.deepEqual(find(list, '/etc/hostname')!.options, ['rbind', 'ro', 'rprivate']);
  });
});

describe('buildMounts: propagation', () => {
  const shared = { mountPropagation: () => ({ mountPoint: '/h', shared: true, slave: false }) };
  const priv = { mountPropagation: () => ({ mountPoint: '/', shared: false, slave: false }) };
  it('rslave makes the root rslave; shared makes it shared, and shared wins', () => {
    assert.equal(mounts({}, [bind('/h/b', '/b', { propagation: 'rslave' })], { host: shared }).rootfsPropagation, 'rslave');
    assert.deepEqual(find(mounts({}, [bind('/h/b', '/b', { propagation: 'rslave' })]).mounts, '/b')!.options, ['rbind', 'rslave']);
    const both = mounts({}, [bind('/h/a', '/a', { propagation: 'shared' }), bind('/h/b', '/b', { propagation: 'rslave' })], { host: shared });
    assert.equal(both.rootfsPropagation, 'shared');
  });
  it('refuses a shared or slave bind whose source mount is private, as dockerd does', () => {
    refused(() => mounts({}, [bind('/h/b', '/b', { propagation: 'rslave' })], { host: priv }), 'MOUNT_PROPAGATION', /^path \/h\/b is mounted on \/ but it is not a shared or slave mount$/);
    refused(() => mounts({}, [bind('/h/b', '/b', { propagation: 'shared' })], { host: priv }), 'MOUNT_PROPAGATION', /is not a shared mount/);
    const slave = { mountPropagation: () => ({ mountPoint: '/h', shared: false, slave: true }) };
    refused(() => mounts({}, [bind('/h/b', '/b', { propagation: 'rshared' })], { host: slave }), 'MOUNT_PROPAGATION', /not a shared mount/);
    assert.equal(mounts({}, [bind('/h/b', '/b', { propagation: 'slave' })], { host: slave }).rootfsPropagation, 'rslave');
  });
  it('refuses an unknown mode', () => {
    refused(() => mounts({}, [bind('/h', '/b', { propagation: 'sideways' })]), 'MOUNT_PROPAGATION', /invalid propagation mode "sideways"/);
  });
});

describe('buildMounts: tmpfs', () => {
  it('HostConfig.Tmpfs with Docker\'s noexec,nosuid,nodev,rprivate before the given options, merged', () => {
    const list = mounts({ Tmpfs: { '/run': 'rw,size=64m', '/x': '', '/y': 'exec,mode=1770' } }).mounts;
    assert.deepEqual(find(list, '/run')!.options, ['noexec', 'nosuid', 'nodev', 'rprivate', 'rw', 'size=64m']);
    assert.deepEqual(find(list, '/x')!.options, ['noexec', 'nosuid', 'nodev', 'rprivate']);
    assert.deepEqual(find(list, '/y')!.options, ['nosuid', 'nodev', 'rprivate', 'exec', 'mode=1770']);
    assert.equal(find(list, '/x')!.source, 'tmpfs');
  });
  it('--mount type=tmpfs, its read-only flag as "ro"', () => {
    const list = mounts({}, [{ type: 'tmpfs', source: '', destination: '/t', readOnly: true, options: ['mode=1770', 'size=1000000'] }]).mounts;
    assert.deepEqual(find(list, '/t')!.options, ['noexec', 'nosuid', 'nodev', 'rprivate', 'ro', 'mode=1770', 'size=1000000']);
  });
  it('refuses options tmpfs does not take', () => {
    refused(() => mounts({ Tmpfs: { '/x': 'bogus' } }), 'BAD_TMPFS_OPTION', /^Invalid tmpfs option \["bogus"\]$/);
    refused(() => mounts({ Tmpfs: { '/x': 'foo=1' } }), 'BAD_TMPFS_OPTION', /^Invalid tmpfs option \["foo" "1"\]$/);
  });
});

describe('mergeTmpfsOptions and tmpfsOptionsFromApi', () => {
  it('the later of two options on one flag or data key wins, in its own place', () => {
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'ro', 'size=1m', 'rw', 'exec', 'size=2m', 'defaults']), ['rw', 'exec', 'size=2m']);
    assert.deepEqual(mergeTmpfsOptions(['rprivate', 'shared', 'nosuid', 'suid']), ['shared', 'suid']);
    assert.deepEqual(mergeTmpfsOptions(['relatime', 'strictatime', 'uid=1', 'gid=2', 'nr_inodes=5', 'mpol=default']), ['relatime', 'strictatime', 'uid=1', 'gid=2', 'nr_inodes=5', 'mpol=default']);
  });
  it('writes the size in the largest unit that divides it, the mode in octal', () => {
    assert.deepEqual(tmpfsOptionsFromApi({ SizeBytes: 64 << 20, Mode: 0o1770 }, false), ['mode=1770', 'size=64m']);
    assert.deepEqual(tmpfsOptionsFromApi({ SizeBytes: 2 ** 30 }, true), ['ro', 'size=1g']);
    assert.deepEqual(tmpfsOptionsFromApi({ SizeBytes: 3072 }, false), ['size=3k']);
    assert.deepEqual(tmpfsOptionsFromApi({ SizeBytes: 1000000 }, false), ['size=1000000']);
    assert.deepEqual(tmpfsOptionsFromApi(null, false), []);
  });
});

describe('buildMounts: read-only root, privileged, init', () => {
  it('--read-only adds ro to default mounts but the writable set, not to user mounts', () => {
    const list = mounts({ ReadonlyRootfs: true, Tmpfs: { '/run': '' } }, [bind('/h', '/a')]).mounts;
    for (const dest of ['/proc', '/dev', '/dev/pts', '/dev/mqueue', '/dev/shm', '/a', '/run']) assert.ok(!find(list, dest)!.options!.includes('ro'), dest);
    assert.equal(find(list, '/sys')!.options!.filter((o) => o === 'ro').length, 1);
    assert.ok(find(list, '/etc/resolv.conf')!.options!.includes('ro'));
  });
  it('privileged: /sys and the cgroup mount writable, even with --read-only', () => {
    const list = mounts({ Privileged: true, ReadonlyRootfs: true }).mounts;
    assert.deepEqual(find(list, '/sys')!.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(find(list, '/sys/fs/cgroup')!.options, ['nosuid', 'noexec', 'nodev']);
  });
  it('init: /sbin/docker-init bound read-only right after the defaults', () => {
    const list = mounts({}, [bind('/h', '/a')], { initPath: '/usr/lib/berth/berth-reaper' }).mounts;
    assert.deepEqual(list[7], { destination: '/sbin/docker-init', type: 'bind', source: '/usr/lib/berth/berth-reaper', options: ['bind', 'ro'] });
    assert.equal(list[8]!.destination, '/a');
  });
});
