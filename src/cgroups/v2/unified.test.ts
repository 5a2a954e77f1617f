import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures, type FixtureDir } from '../cgroup-fixture.js';
import { applyUnified } from './unified.js';

after(removeFixtures);

function unifiedDir(): FixtureDir {
  const dir = cgroupFixture({ 'memory.high': 'max', 'memory.max': 'max', 'io.max': '', 'pids.max': 'max', 'cgroup.max.depth': 'max', 'cgroup.procs': '', 'cgroup.kill': '', 'memory.current': '0' });
  chmodSync(dir.file('memory.current'), 0o444);
  return dir;
}

const AVAILABLE = ['cpu', 'io', 'memory', 'pids'];

describe('v2 unified', () => {
  it('writes each key, a line at a time for several lines', () => {
    const dir = unifiedDir();
    applyUnified(dir, { 'memory.high': '1073741824', 'io.max': '8:0 rbps=1024\n8:16 wiops=10\n', 'cgroup.max.depth': '2' }, AVAILABLE);
    assert.deepEqual(dir.writes, [
      ['memory.high', '1073741824'],
      ['io.max', '8:0 rbps=1024'],
      ['io.max', '8:16 wiops=10'],
      ['cgroup.max.depth', '2'],
    ]);
  });

  it('refuses keys that leave the directory or are not <controller>.<setting>', () => {
    const dir = unifiedDir();
    for (const key of ['../memory.max', 'memory/../x', 'a/b.c', 'memory..max']) {
      const err = engineErrorOf(() => applyUnified(dir, { [key]: '1' }, AVAILABLE));
      assert.equal(err.code, 'BAD_RESOURCE');
      assert.equal(err.message, `linux.resources.unified[${JSON.stringify(key)}]: must name a control file in the container's own cgroup: no "/" and no ".."`);
    }
    assert.match(engineErrorOf(() => applyUnified(dir, { memory: '1' }, AVAILABLE)).message, /^linux\.resources\.unified\["memory"\]: is not a control file name of the form <controller>\.<setting>/);
    assert.match(engineErrorOf(() => applyUnified(dir, { 'memory.high ': '1' }, AVAILABLE)).message, /unified\["memory\.high "\]: is not a control file name/);
    assert.deepEqual(dir.writes, []);
  });

  it('refuses a controller the tree does not offer, naming what it offers', () => {
    const dir = unifiedDir();
    const err = engineErrorOf(() => applyUnified(dir, { 'pids.max': '10', 'memory.high': '1' }, ['hugetlb']));
    assert.equal(err.code, 'NO_CGROUP_CONTROLLER');
    assert.equal(err.kind, 'NotImplemented');
    assert.match(err.message, /^linux\.resources\.unified\["pids\.max"\]: the pids controller is not available in this host's cgroup v2 tree \(it offers: hugetlb\)/);
    assert.deepEqual(dir.writes, [], 'no key is written when one is wrong');
    // cgroup.* belongs to no controller
    applyUnified(dir, { 'cgroup.max.depth': '3' }, []);
    assert.deepEqual(dir.writes, [['cgroup.max.depth', '3']]);
  });

  it('refuses files the kernel lacks, read-only files and the manager\'s own', () => {
    const dir = unifiedDir();
    const missing = engineErrorOf(() => applyUnified(dir, { 'memory.swap.max': '0' }, AVAILABLE));
    assert.equal(missing.code, 'CGROUP_UNSUPPORTED');
    assert.match(missing.message, /^linux\.resources\.unified\["memory\.swap\.max"\]: this host has no memory\.swap\.max in .*: the kernel has no such setting/);
    assert.match(engineErrorOf(() => applyUnified(dir, { 'memory.current': '0' }, AVAILABLE)).message, /unified\["memory\.current"\]: memory\.current is read-only/);
    assert.match(engineErrorOf(() => applyUnified(dir, { 'cgroup.kill': '1' }, AVAILABLE)).message, /unified\["cgroup\.kill"\]: cgroup\.kill controls the container's processes/);
    assert.match(engineErrorOf(() => applyUnified(dir, { 'cgroup.procs': '1' }, AVAILABLE)).message, /cgroup\.procs controls/);
    assert.deepEqual(dir.writes, []);
  });

  it('passes on the kernel\'s refusal naming the key', () => {
    const dir = unifiedDir();
    dir.refuse = () => 'EINVAL';
    assert.match(engineErrorOf(() => applyUnified(dir, { 'memory.high': 'lots' }, AVAILABLE)).message, /^memory\.high: cannot set "lots" \(linux\.resources\.unified\["memory\.high"\]\)/);
  });
});
