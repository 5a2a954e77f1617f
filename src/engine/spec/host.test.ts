import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { devicesAtPath, hostDevicesUnder, parseProcLimits, propagationFrom, realSpecHost, splitDev } from './host.js';

describe('splitDev', () => {
  it('splits a dev_t as glibc does, large numbers included', () => {
    assert.deepEqual(splitDev(0x0103n), { major: 1, minor: 3 });
    // glibc's makedev
    const makedev = (major: bigint, minor: bigint): bigint => ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
    assert.deepEqual(splitDev(makedev(0x123abcn, 0x34512n)), { major: 0x123abc, minor: 0x34512 });
    assert.deepEqual(splitDev(makedev(259n, 0n)), { major: 259, minor: 0 });
  });
});

describe('parseProcLimits', () => {
  it('reads /proc/<pid>/limits, "unlimited" as 2^64', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max cpu time              unlimited            unlimited            seconds   ',
      'Max processes             96365                96365                processes ',
      'Max open files            1024                 524288               files     ',
      'Max realtime timeout      unlimited            unlimited            us        ',
    ].join('\n');
    assert.deepEqual(parseProcLimits(text), {
      RLIMIT_CPU: { soft: 2 ** 64, hard: 2 ** 64 },
      RLIMIT_NPROC: { soft: 96365, hard: 96365 },
      RLIMIT_NOFILE: { soft: 1024, hard: 524288 },
      RLIMIT_RTTIME: { soft: 2 ** 64, hard: 2 ** 64 },
    });
  });
});

describe('propagationFrom', () => {
  const mountinfo = [
    '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '40 27 0:30 / /var/lib rw,relatime - tmpfs tmpfs rw',
    '41 40 0:31 / /var/lib/x rw,relatime master:5 - tmpfs tmpfs rw',
    '42 40 0:32 / /var/lib/x rw,relatime shared:7 master:5 - tmpfs tmpfs rw',
    '43 27 0:33 / /with\\040space rw - tmpfs tmpfs rw',
  ].join('\n');
  it('the longest mount point above the path, the last of a stack, and its optional fields', () => {
    assert.deepEqual(propagationFrom(mountinfo, '/home/u'), { mountPoint: '/', shared: true, slave: false });
    assert.deepEqual(propagationFrom(mountinfo, '/var/lib/docker'), { mountPoint: '/var/lib', shared: false, slave: false });
    assert.deepEqual(propagationFrom(mountinfo, '/var/lib/x/y'), { mountPoint: '/var/lib/x', shared: true, slave: true });
    assert.deepEqual(propagationFrom(mountinfo, '/var/libz'), { mountPoint: '/', shared: true, slave: false });
    assert.equal(propagationFrom(mountinfo, '/with space/a')!.mountPoint, '/with space');
  });
});

describe('devices on this host', { skip: existsSync('/dev/null') ? false : 'no /dev/null' }, () => {
  it('reads /dev/null as a device, and a symlink to it as that device', () => {
    assert.deepEqual(devicesAtPath('/dev/null'), { resolved: '/dev/null', devices: [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }] });
    const dir = mkdtempSync(join(tmpdir(), 'berth-spec-dev-'));
    try {
      symlinkSync('/dev/null', join(dir, 'link'));
      assert.equal(devicesAtPath(join(dir, 'link')).resolved, '/dev/null');
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'file'), '');
      assert.deepEqual(devicesAtPath(join(dir, 'sub')).devices, []);
      assert.deepEqual(devicesAtPath(join(dir, 'missing')).devices, []);
      assert.deepEqual(hostDevicesUnder(dir), [], 'symlinks and files are no devices');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  it('hostDevices has /dev/null and none of /dev/pts, /dev/shm or /dev/console', () => {
    const all = realSpecHost().hostDevices();
    assert.ok(all.some((d) => d.path === '/dev/null'));
    assert.ok(!all.some((d) => /^\/dev\/(pts|shm|mqueue|fd)\//.test(d.path) || d.path === '/dev/console'));
    assert.ok(all.every((d) => d.type === 'c' || d.type === 'b'));
  });
  it('realSpecHost answers about this machine', () => {
    const host = realSpecHost();
    assert.match(host.kernelRelease, /^\d+\.\d+/);
    assert.equal(host.sysctlExists('kernel.hostname'), true);
    assert.equal(host.sysctlExists('kernel.no_such_thing'), false);
    assert.equal(host.mountPropagation!('/')!.mountPoint, '/');
  });
});
