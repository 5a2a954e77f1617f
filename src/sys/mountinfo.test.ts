import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cgroupHierarchiesFrom } from './host-facts.js';
import { parseMountInfo } from './mountinfo.js';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:40 / /mnt/with\\040space rw - tmpfs none rw`;

describe('mountinfo', () => {
  it('parses fields and unescapes paths', () => {
    const e = parseMountInfo(HYBRID);
    assert.equal(e.length, 6);
    assert.equal(e[5]?.mountPoint, '/mnt/with space');
    assert.equal(e[1]?.fstype, 'cgroup');
    assert.equal(e[1]?.superOptions, 'rw,cpu');
  });

  it('finds the cgroup hierarchies of a hybrid host with their mount data', () => {
    assert.deepEqual(cgroupHierarchiesFrom(parseMountInfo(HYBRID)), [
      { name: 'cpu', fstype: 'cgroup', data: 'cpu' },
      { name: 'memory', fstype: 'cgroup', data: 'memory' },
      { name: 'systemd', fstype: 'cgroup', data: 'name=systemd' },
      { name: 'unified', fstype: 'cgroup2', data: '' },
    ]);
  });
});
