import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DeviceRule } from '../../spec/oci-resources.js';
import { cgroupFixture, engineErrorOf, fixtureTree, removeFixtures } from '../cgroup-fixture.js';
import type { CgroupLayout } from '../layout.js';
import { CgroupManager } from '../manager.js';
import { runDeviceProgram } from './bpf-interpreter.js';
import { devicesV2, devicesV2With } from './devices.js';

after(removeFixtures);

/** An attach that records what it was given instead of calling the kernel. */
function recorder(): { calls: { dir: string; program: Buffer }[]; attach: (dir: string, program: Buffer) => void } {
  const calls: { dir: string; program: Buffer }[] = [];
  return { calls, attach: (dir, program) => calls.push({ dir, program }) };
}

const RULES: DeviceRule[] = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
const own = new Map([['devices', '/'], ['', '/']]);

/** A v2 tree (cgroup.controllers without "devices": the kernel never lists it), and optionally a v1 devices hierarchy beside it. */
function host(withV1Devices: boolean): { root: string; layout: CgroupLayout } {
  const root = fixtureTree({
    'unified/cgroup.subtree_control': '',
    'unified/berth/cgroup.subtree_control': '',
    'unified/berth/c1/cgroup.procs': '',
    'devices/berth/c1/devices.allow': '',
    'devices/berth/c1/devices.deny': '',
  });
  const layout: CgroupLayout = {
    kind: withV1Devices ? 'hybrid' : 'v2',
    v1: withV1Devices ? [{ mountPoint: join(root, 'devices'), subsystems: ['devices'], key: 'devices' }] : [],
    unified: { mountPoint: join(root, 'unified'), controllers: ['memory', 'pids'] },
  };
  return { root, layout };
}

describe('v2 devices (the eBPF filter)', () => {
  it('compiles the rules and hands the program to attach with the cgroup directory', () => {
    const dir = cgroupFixture({ 'cgroup.procs': '' });
    const rec = recorder();
    devicesV2With(rec.attach).apply(dir, { devices: RULES }, { update: false });
    assert.equal(rec.calls.length, 1);
    assert.equal(rec.calls[0]!.dir, dir.path);
    const program = rec.calls[0]!.program;
    assert.equal(runDeviceProgram(program, { type: 'c', major: 1, minor: 3, access: 'rw' }), true);
    assert.equal(runDeviceProgram(program, { type: 'c', major: 1, minor: 5, access: 'r' }), false);
    assert.deepEqual(dir.writes, [], 'no control file is written');
    assert.equal(devicesV2.needed({}), false);
    assert.equal(devicesV2.needed({ devices: RULES }), true);
  });

  it('refuses a wrong rule before anything reaches the kernel', () => {
    const rec = recorder();
    const err = engineErrorOf(() => devicesV2With(rec.attach).apply(cgroupFixture({}), { devices: [{ allow: true, type: 'c', access: 'rwx' }] }, { update: false }));
    assert.match(err.message, /^linux\.resources\.devices\[0\]\.access: "rwx"/);
    assert.deepEqual(rec.calls, []);
  });

  it('is what the manager uses on a v2 host, without enabling anything in the parents', async () => {
    const { root, layout } = host(false);
    const rec = recorder();
    const m = await CgroupManager.create(layout, 'c1', undefined, own, { attachDeviceFilter: rec.attach });
    m.apply({ devices: RULES }, { update: false });
    assert.deepEqual(rec.calls.map((c) => c.dir), [join(root, 'unified/berth/c1')]);
    assert.equal(readFileSync(join(root, 'unified/cgroup.subtree_control'), 'utf8'), '');
    assert.equal(readFileSync(join(root, 'unified/berth/cgroup.subtree_control'), 'utf8'), '');
    // an update replaces the filter: attach again, with the new program
    m.apply({ devices: [{ allow: true }] }, { update: true });
    assert.equal(rec.calls.length, 2);
    assert.equal(runDeviceProgram(rec.calls[1]!.program, { type: 'b', major: 8, minor: 0, access: 'r' }), true);
  });

  it('leaves devices to the v1 controller where a hybrid host has it, as runc does', async () => {
    const { root, layout } = host(true);
    const rec = recorder();
    const m = await CgroupManager.create(layout, 'c1', undefined, own, { attachDeviceFilter: rec.attach });
    m.apply({ devices: RULES }, { update: false });
    assert.deepEqual(rec.calls, []);
    assert.equal(readFileSync(join(root, 'devices/berth/c1/devices.allow'), 'utf8'), 'c 1:3 rwm');
  });

  it('uses the filter on a hybrid host whose layout leaves out the v1 devices hierarchy', () => {
    const { root, layout } = host(true);
    const rec = recorder();
    const m = CgroupManager.load({ ...layout, v1: [] }, { dirs: { devices: join(root, 'devices/berth/c1'), unified: join(root, 'unified/berth/c1') }, created: [] }, { attachDeviceFilter: rec.attach });
    m.apply({ devices: RULES }, { update: false });
    assert.deepEqual(rec.calls.map((c) => c.dir), [join(root, 'unified/berth/c1')]);
    assert.equal(readFileSync(join(root, 'devices/berth/c1/devices.allow'), 'utf8'), '');
  });

  it('refuses device rules where there is neither a v1 devices controller nor a v2 tree', () => {
    const { root } = host(true);
    const layout: CgroupLayout = { kind: 'v1', v1: [{ mountPoint: join(root, 'devices'), subsystems: ['memory'], key: 'memory' }], unified: undefined };
    const m = CgroupManager.load(layout, { dirs: { memory: join(root, 'devices/berth/c1') }, created: [] }, { attachDeviceFilter: recorder().attach });
    const err = engineErrorOf(() => m.apply({ devices: RULES }, { update: false }));
    assert.equal(err.code, 'NO_CGROUP_CONTROLLER');
    assert.match(err.message, /the devices controller is not available/);
  });
});
