import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { buildDevices, dockerDefaultDeviceRules, parseDeviceCgroupRule } from './devices.js';
import { FAKE_DEVICES, fakeHost } from './testing.js';
import type { HostConfig } from './types.js';

const devices = (hc: HostConfig) => {
  const warnings: string[] = [];
  return { ...buildDevices(hc, fakeHost(), warnings), warnings };
};
const DEFAULTS = dockerDefaultDeviceRules();
const refused = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.match(err.message, message);
    return true;
  });
};

describe('buildDevices: not privileged', () => {
  it('no devices and Docker\'s default rules: deny all, allow zero null urandom random tty console, deny fuse', () => {
    const r = devices({});
    assert.deepEqual(r.devices, []);
    assert.deepEqual(r.rules, DEFAULTS);
    assert.equal(DEFAULTS.length, 8);
    assert.deepEqual(DEFAULTS[0], { allow: false, access: 'rwm' });
    assert.deepEqual(DEFAULTS[7], { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' });
  });
  it('--device /dev/fuse: the node as on the host, and a rule allowing it after the defaults', () => {
    const r = devices({ Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }] });
    assert.deepEqual(r.devices, [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }]);
    assert.deepEqual(r.rules.slice(8), [{ allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }]);
  });
  it('--device /dev/null:/dev/mynull:r: the container path and the permissions given', () => {
    const r = devices({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'r' }] });
    assert.equal(r.devices[0]!.path, '/dev/mynull');
    assert.deepEqual(r.rules.at(-1), { allow: true, type: 'c', major: 1, minor: 3, access: 'r' });
  });
  it('a directory gives every node under it, moved under the container path; a symlink is followed', () => {
    const r = devices({ Devices: [{ PathOnHost: '/dev/net', PathInContainer: '/dev/mynet', CgroupPermissions: '' }] });
    assert.deepEqual(r.devices.map((d) => d.path), ['/dev/mynet/tun']);
    assert.equal(r.rules.at(-1)!.access, 'rwm');
    const link = devices({ Devices: [{ PathOnHost: '/dev/disk0', PathInContainer: '/dev/xvda', CgroupPermissions: 'rw' }] });
    assert.deepEqual(link.devices, [{ path: '/dev/xvda', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 }]);
  });
  it('a path with no device is an error', () => {
    refused(() => devices({ Devices: [{ PathOnHost: '/dev/nope', PathInContainer: '/dev/nope', CgroupPermissions: 'rwm' }] }), 'NO_SUCH_DEVICE', /^error gathering device information while adding custom device "\/dev\/nope"/);
  });
  it('--device-cgroup-rule after the devices\' rules; "*" is any number', () => {
    const r = devices({ Devices: [{ PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' }], DeviceCgroupRules: ['c 42:* rmw', 'b *:* m'] });
    assert.deepEqual(r.rules.slice(8), [
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      { allow: true, type: 'c', major: 42, access: 'rmw' },
      { allow: true, type: 'b', access: 'm' },
    ]);
  });
});

describe('parseDeviceCgroupRule', () => {
  it('reads "type major:minor access"', () => {
    assert.deepEqual(parseDeviceCgroupRule('a 1:2 r'), { allow: true, type: 'a', major: 1, minor: 2, access: 'r' });
  });
  it('refuses anything else with dockerd\'s message', () => {
    for (const bad of ['c 1:2', 'x 1:2 r', 'c 1:2 rwmx', 'c -1:2 r', 'c 1:2  r', ' c 1:2 r']) {
      refused(() => parseDeviceCgroupRule(bad), 'BAD_DEVICE_CGROUP_RULE', /^invalid device cgroup rule format: '/);
    }
  });
});

describe('buildDevices: privileged', () => {
  it('every host device and one rule allowing all', () => {
    const r = devices({ Privileged: true, DeviceCgroupRules: ['c 1:1 r'] });
    assert.deepEqual(r.devices, FAKE_DEVICES);
    assert.deepEqual(r.rules, [{ allow: true, access: 'rwm' }]);
  });
  it('adds --device nodes at another path; warns of a same path or custom permissions', () => {
    const r = devices({
      Privileged: true,
      Devices: [
        { PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'r' },
        { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' },
      ],
    });
    assert.equal(r.devices.length, FAKE_DEVICES.length + 1);
    assert.equal(r.devices.at(-1)!.path, '/dev/mynull');
    assert.deepEqual(r.warnings, ['custom r permissions for device /dev/null are ignored in privileged mode', 'path in container /dev/zero already exists in privileged mode']);
  });
});
