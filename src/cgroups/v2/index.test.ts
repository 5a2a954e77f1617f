import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { V1_CONTROLLERS } from '../v1/index.js';
import { V2_CONTROLLERS } from './index.js';

describe('controller lists', () => {
  it('names controllers as the kernel does, once each', () => {
    assert.deepEqual(
      V1_CONTROLLERS.map((c) => c.name),
      ['cpuset', 'devices', 'memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'hugetlb', 'net_cls', 'net_prio', 'rdma'],
    );
    assert.deepEqual(
      V2_CONTROLLERS.map((c) => c.name),
      ['pids', 'memory', 'io', 'cpu', 'devices', 'cpuset', 'hugetlb', 'rdma'],
    );
    // the device filter is no kernel controller: nothing to enable for it
    assert.deepEqual(V2_CONTROLLERS.filter((c) => c.implicitV2).map((c) => c.name), ['devices']);
  });

  it('needs nothing for empty resources, and never throws from needed()', () => {
    const odd = { memory: { swappiness: 500, swap: 1 }, cpu: { realtimeRuntime: 5, shares: 1 }, blockIO: { leafWeight: 3 }, devices: [{ allow: true, access: 'x' }] };
    for (const c of [...V1_CONTROLLERS, ...V2_CONTROLLERS]) {
      assert.equal(c.needed({}), false, c.name);
      assert.doesNotThrow(() => c.needed(odd));
    }
  });
});
