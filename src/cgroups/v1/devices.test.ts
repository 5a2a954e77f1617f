import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DeviceRule } from '../../spec/oci-resources.js';
import { cgroupFixture, engineErrorOf, removeFixtures, type FixtureDir } from '../cgroup-fixture.js';
import { devicesV1 } from './devices.js';

after(removeFixtures);

function devicesDir(): FixtureDir {
  return cgroupFixture({ 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' });
}

describe('v1 devices', () => {
  it('writes the rules in order: deny all, then what is allowed', () => {
    const dir = devicesDir();
    // docker's defaults, in part
    const rules: DeviceRule[] = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rwm' },
      { allow: true, type: 'b', minor: 0, access: 'r' },
      { allow: false, type: 'c', major: 10, minor: 200 },
    ];
    devicesV1.apply(dir, { devices: rules }, { update: false });
    assert.deepEqual(dir.writes, [
      ['devices.deny', 'a'],
      ['devices.allow', 'c 1:3 rwm'],
      ['devices.allow', 'c 136:* rwm'],
      ['devices.allow', 'b *:0 r'],
      ['devices.deny', 'c 10:200 rwm'],
    ]);
  });

  it('writes a bare "a" to allow everything', () => {
    const dir = devicesDir();
    devicesV1.apply(dir, { devices: [{ allow: true, type: 'a', access: 'rwm' }] }, { update: false });
    assert.deepEqual(dir.writes, [['devices.allow', 'a']]);
    assert.equal(devicesV1.needed({ devices: [] }), false);
    assert.equal(devicesV1.needed({}), false);
    assert.equal(devicesV1.needed({ devices: [{ allow: true }] }), true);
  });

  it('refuses an "a" rule narrowed to a device or to part of rwm, which the kernel would widen', () => {
    const dir = devicesDir();
    const narrowAccess = engineErrorOf(() => devicesV1.apply(dir, { devices: [{ allow: true, type: 'a', access: 'r' }] }, { update: false }));
    assert.equal(narrowAccess.code, 'BAD_RESOURCE');
    assert.match(narrowAccess.message, /^linux\.resources\.devices\[0\]: a rule of type "a" \(all devices\) cannot be limited to access "r": the kernel would allow every device with all access/);
    const narrowDevice = engineErrorOf(() => devicesV1.apply(dir, { devices: [{ allow: false }, { allow: true, major: 1, minor: 3 }] }, { update: false }));
    assert.match(narrowDevice.message, /^linux\.resources\.devices\[1\]: a rule of type "a" \(all devices, as no type was given\) cannot be limited to a device number/);
    assert.match(narrowDevice.hint ?? '', /type "c" or "b"/);
    assert.deepEqual(dir.writes, [], 'no rule is written when one is wrong');
  });

  it('refuses access other than r, w, m and unknown types', () => {
    const dir = devicesDir();
    assert.match(engineErrorOf(() => devicesV1.apply(dir, { devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rx' }] }, { update: false })).message, /^linux\.resources\.devices\[0\]\.access: "rx" is not a set of r \(read\), w \(write\) and m \(mknod\)/);
    assert.match(engineErrorOf(() => devicesV1.apply(dir, { devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rr' }] }, { update: false })).message, /devices\[0\]\.access: "rr"/);
    const type = { allow: true, type: 'p', major: 1 } as unknown as DeviceRule;
    assert.match(engineErrorOf(() => devicesV1.apply(dir, { devices: [type] }, { update: false })).message, /^linux\.resources\.devices\[0\]\.type: "p" is not a device type/);
    assert.match(engineErrorOf(() => devicesV1.apply(dir, { devices: [{ allow: true, type: 'c', major: -1 }] }, { update: false })).message, /devices\[0\]\.major: -1 is out of range/);
    assert.deepEqual(dir.writes, []);
  });
});
