import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CgroupDir } from '../../sys/cgroupfs.js';
import { cgroupFixture, engineErrorOf, fixtureTree, removeFixtures } from '../cgroup-fixture.js';
import { cpusetV1, initCpusetParents } from './cpuset.js';

after(removeFixtures);

describe('v1 cpuset', () => {
  it('writes cpus and mems', () => {
    const dir = cgroupFixture({ 'cpuset.cpus': '', 'cpuset.mems': '' });
    cpusetV1.apply(dir, { cpu: { cpus: '0-2,4', mems: '0' } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['cpuset.cpus', '0-2,4'],
      ['cpuset.mems', '0'],
    ]);
  });

  it('is needed only for a non-empty list, and leaves empty ones alone', () => {
    assert.equal(cpusetV1.needed({ cpu: { shares: 1024 } }), false);
    assert.equal(cpusetV1.needed({ cpu: { cpus: '', mems: '' } }), false);
    assert.equal(cpusetV1.needed({ cpu: { mems: '0' } }), true);
    const dir = cgroupFixture({ 'cpuset.cpus': '0-1', 'cpuset.mems': '0' });
    cpusetV1.apply(dir, { cpu: { cpus: '', mems: '0' } }, { update: true });
    assert.deepEqual(dir.writes, [['cpuset.mems', '0']]);
  });

  it('takes the kernel stride form and refuses what the kernel would not parse', () => {
    const dir = cgroupFixture({ 'cpuset.cpus': '', 'cpuset.mems': '' });
    cpusetV1.apply(dir, { cpu: { cpus: '0-7:2/4' } }, { update: false });
    assert.deepEqual(dir.writes, [['cpuset.cpus', '0-7:2/4']]);
    const cases: [string, RegExp][] = [
      ['0-2;4', /^linux\.resources\.cpu\.cpus: "0-2;4" is not a list such as "0-2,4": "0-2;4" is neither a number nor a range/],
      ['3-1', /^linux\.resources\.cpu\.cpus: "3-1" has the range 3-1, which runs backwards/],
      ['0,,1', /"0,,1" is not a list/],
      ['all', /"all" is not a list/],
      ['0-7:4/2', /has the stride 0-7:4\/2/],
    ];
    for (const [cpus, re] of cases) {
      const err = engineErrorOf(() => cpusetV1.apply(dir, { cpu: { cpus } }, { update: false }));
      assert.equal(err.code, 'BAD_RESOURCE');
      assert.match(err.message, re);
      assert.equal(err.hint, 'write a list such as "0-2,4"');
    }
    assert.match(engineErrorOf(() => cpusetV1.apply(dir, { cpu: { cpus: '0', mems: 'x' } }, { update: false })).message, /^linux\.resources\.cpu\.mems: "x"/);
    assert.equal(dir.writes.length, 1, 'a bad mems stops cpus too');
  });

  it('fills new directories from their parents, top down, keeping lists already set', () => {
    const root = fixtureTree({
      'cpuset.cpus': '0-3\n',
      'cpuset.mems': '0\n',
      'berth/cpuset.cpus': '\n',
      'berth/cpuset.mems': '\n',
      'berth/c1/cpuset.cpus': '\n',
      'berth/c1/cpuset.mems': '\n',
      'other/cpuset.cpus': '1\n',
      'other/cpuset.mems': '\n',
    });
    initCpusetParents([new CgroupDir(join(root, 'berth')), new CgroupDir(join(root, 'berth/c1')), new CgroupDir(join(root, 'other'))]);
    const read = (p: string): string => readFileSync(join(root, p), 'utf8');
    assert.equal(read('berth/cpuset.cpus'), '0-3');
    assert.equal(read('berth/cpuset.mems'), '0');
    assert.equal(read('berth/c1/cpuset.cpus'), '0-3');
    assert.equal(read('berth/c1/cpuset.mems'), '0');
    assert.equal(read('other/cpuset.cpus'), '1\n', 'a list already there stays');
    assert.equal(read('other/cpuset.mems'), '0');
  });
});
