import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMountInfo } from '../sys/mountinfo.js';
import { detectLayout } from './layout.js';
import { cgroupPathFor, parseProcCgroup } from './paths.js';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate`;

describe('cgroup layout', () => {
  it('sees a hybrid host: v1 hierarchies plus a v2 tree with what v1 lacks', () => {
    const layout = detectLayout(parseMountInfo(HYBRID), () => 'hugetlb');
    assert.equal(layout.kind, 'hybrid');
    assert.deepEqual(layout.v1.map((h) => h.key), ['cpu', 'cpuacct', 'memory', 'name=systemd']);
    assert.deepEqual(layout.unified, { mountPoint: '/sys/fs/cgroup/unified', controllers: ['hugetlb'] });
  });

  it('sees a unified host and a v1 host with co-mounted controllers', () => {
    const v2 = detectLayout(parseMountInfo('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw'), () => 'cpuset cpu io memory pids');
    assert.equal(v2.kind, 'v2');
    assert.deepEqual(v2.unified?.controllers, ['cpuset', 'cpu', 'io', 'memory', 'pids']);
    const v1 = detectLayout(parseMountInfo('32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct'), () => '');
    assert.equal(v1.kind, 'v1');
    assert.deepEqual(v1.v1[0]?.subsystems, ['cpu', 'cpuacct']);
    assert.equal(v1.v1[0]?.key, 'cpu,cpuacct');
  });

  it('counts a hierarchy mounted twice once', () => {
    const twice = HYBRID + '\n99 23 0:32 / /mnt/memory rw - cgroup cgroup rw,memory';
    assert.equal(detectLayout(parseMountInfo(twice), () => '').v1.filter((h) => h.key === 'memory').length, 1);
  });
});

describe('cgroupsPath', () => {
  it('defaults to /berth/<id>, takes absolute paths as they are, relative ones below our own cgroup', () => {
    assert.equal(cgroupPathFor(undefined, 'c1', '/user.slice'), '/berth/c1');
    assert.equal(cgroupPathFor('/docker/abc', 'c1', '/user.slice'), '/docker/abc');
    assert.equal(cgroupPathFor('mine/c1', 'c1', '/process_api/x'), '/process_api/x/mine/c1');
  });

  it('refuses systemd slices and paths that are not below the root', () => {
    assert.throws(() => cgroupPathFor('system.slice:docker:abc', 'c1', '/'), /systemd slice path.*not supported yet/);
    assert.throws(() => cgroupPathFor('/', 'c1', '/'), /does not name a cgroup of its own/);
    assert.throws(() => cgroupPathFor('..', 'c1', '/a'), /does not name a cgroup of its own/);
  });

  it('reads /proc/<pid>/cgroup', () => {
    const m = parseProcCgroup('9:name=systemd:/\n4:memory:/process_api/e5\n1:cpu,cpuacct:/a\n0::/\n');
    assert.equal(m.get('memory'), '/process_api/e5');
    assert.equal(m.get('cpu,cpuacct'), '/a');
    assert.equal(m.get(''), '/');
  });
});
