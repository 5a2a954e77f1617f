import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cgroupSelfJoin } from './cgroup-join.js';

describe('cgroupSelfJoin', () => {
  const dirs = { memory: '/sys/fs/cgroup/memory/berth/c', 'cpu,cpuacct': '/sys/fs/cgroup/cpu,cpuacct/berth/c', unified: '/sys/fs/cgroup/unified/berth/c' };

  it('joins v1 hierarchies through their tasks files and the v2 tree by clone3', () => {
    assert.deepEqual(cgroupSelfJoin(dirs, false), {
      v1Tasks: ['/sys/fs/cgroup/memory/berth/c/tasks', '/sys/fs/cgroup/cpu,cpuacct/berth/c/tasks'],
      v2Dir: '/sys/fs/cgroup/unified/berth/c',
    });
    assert.deepEqual(cgroupSelfJoin({ unified: '/sys/fs/cgroup/berth/c' }, false), { v1Tasks: [], v2Dir: '/sys/fs/cgroup/berth/c' });
  });

  it('leaves the join to node when rootless, or when a v2 tree is entered from another user or cgroup namespace', () => {
    assert.equal(cgroupSelfJoin(dirs, true), undefined);
    assert.equal(cgroupSelfJoin(dirs, false, true), undefined);
    assert.deepEqual(cgroupSelfJoin({ memory: '/m/c' }, false, true), { v1Tasks: ['/m/c/tasks'], v2Dir: undefined });
  });
});
