import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures } from '../cgroup-fixture.js';
import { netClsV1 } from './net-cls.js';
import { netPrioV1 } from './net-prio.js';
import { rdmaV1 } from './rdma.js';

after(removeFixtures);

describe('v1 net_cls', () => {
  it('writes the class id; 0 is left alone', () => {
    const dir = cgroupFixture({ 'net_cls.classid': '0' });
    netClsV1.apply(dir, { network: { classID: 0x100001 } }, { update: false });
    assert.deepEqual(dir.writes, [['net_cls.classid', '1048577']]);
    assert.equal(netClsV1.needed({ network: { classID: 0 } }), false);
    assert.equal(netClsV1.needed({ network: { priorities: [{ name: 'eth0', priority: 1 }] } }), false);
    assert.equal(netClsV1.needed({ network: { classID: 1 } }), true);
    assert.match(engineErrorOf(() => netClsV1.apply(dir, { network: { classID: 2 ** 32 } }, { update: false })).message, /^linux\.resources\.network\.classID: 4294967296 is out of range \[0, 4294967295\]/);
  });
});

describe('v1 net_prio', () => {
  it('writes one "<ifname> <prio>" line per interface', () => {
    const dir = cgroupFixture({ 'net_prio.ifpriomap': 'lo 0\n' });
    netPrioV1.apply(dir, { network: { priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 1 }] } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['net_prio.ifpriomap', 'eth0 5'],
      ['net_prio.ifpriomap', 'lo 1'],
    ]);
    assert.equal(netPrioV1.needed({ network: { priorities: [] } }), false);
  });

  it('refuses a name with a space or too long, before writing', () => {
    const dir = cgroupFixture({ 'net_prio.ifpriomap': '' });
    const err = engineErrorOf(() => netPrioV1.apply(dir, { network: { priorities: [{ name: 'eth0', priority: 1 }, { name: 'eth 1', priority: 2 }] } }, { update: false }));
    assert.match(err.message, /^linux\.resources\.network\.priorities\[1\]\.name: "eth 1" is not a network interface name/);
    assert.match(engineErrorOf(() => netPrioV1.apply(dir, { network: { priorities: [{ name: 'a-very-long-interface', priority: 1 }] } }, { update: false })).message, /priorities\[0\]\.name/);
    assert.deepEqual(dir.writes, []);
  });
});

describe('rdma (v1 and v2)', () => {
  it('writes one line per device with the limits it has', () => {
    const dir = cgroupFixture({ 'rdma.max': '' });
    rdmaV1.apply(dir, { rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 50 } } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['rdma.max', 'mlx5_0 hca_handle=3 hca_object=10000'],
      ['rdma.max', 'mlx4_0 hca_object=50'],
    ]);
    assert.equal(rdmaV1.needed({ rdma: {} }), false);
    assert.equal(rdmaV1.needed({ rdma: { mlx5_0: { hcaHandles: 1 } } }), true);
  });

  it('refuses a device with no limit, and a bad name', () => {
    const dir = cgroupFixture({ 'rdma.max': '' });
    assert.match(engineErrorOf(() => rdmaV1.apply(dir, { rdma: { mlx5_0: {} } }, { update: false })).message, /^linux\.resources\.rdma\["mlx5_0"\]: sets neither hcaHandles nor hcaObjects/);
    assert.match(engineErrorOf(() => rdmaV1.apply(dir, { rdma: { 'mlx 5': { hcaHandles: 1 } } }, { update: false })).message, /rdma\["mlx 5"\]: "mlx 5" is not an RDMA device name/);
    assert.match(engineErrorOf(() => rdmaV1.apply(dir, { rdma: { mlx5_0: { hcaHandles: 2 ** 31 } } }, { update: false })).message, /rdma\["mlx5_0"\]\.hcaHandles: 2147483648 is out of range/);
    assert.deepEqual(dir.writes, []);
  });
});
