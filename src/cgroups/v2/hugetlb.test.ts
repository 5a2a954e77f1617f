import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { hugetlbV2 } from './hugetlb.js';

after(removeFixtures);

describe('v2 hugetlb', () => {
  it('writes .max and .rsvd.max, "max" for -1', () => {
    const dir = cgroupFixture({ 'hugetlb.2MB.max': 'max', 'hugetlb.2MB.rsvd.max': 'max', 'hugetlb.1GB.max': 'max' });
    hugetlbV2.apply(dir, { hugepageLimits: [{ pageSize: '2MB', limit: 8388608 }, { pageSize: '1GB', limit: -1 }] }, { update: false });
    assert.deepEqual(dir.writes, [
      ['hugetlb.2MB.max', '8388608'],
      ['hugetlb.2MB.rsvd.max', '8388608'],
      ['hugetlb.1GB.max', 'max'],
    ]);
  });

  it('names the sizes the host has for one it lacks', () => {
    const dir = cgroupFixture({ 'hugetlb.2MB.max': 'max', 'hugetlb.2MB.rsvd.max': 'max', 'hugetlb.1GB.max': 'max' });
    const err = engineErrorOf(() => hugetlbV2.apply(dir, { hugepageLimits: [{ pageSize: '16GB', limit: 1 }] }, { update: false }));
    assert.equal(err.code, 'CGROUP_UNSUPPORTED');
    assert.match(err.message, /^linux\.resources\.hugepageLimits\[0\]\.pageSize: this host has no hugetlb\.16GB\.max in .*\(its sizes: 2MB, 1GB\)/);
    assert.match(engineErrorOf(() => hugetlbV2.apply(dir, { hugepageLimits: [{ pageSize: '2mb', limit: 1 }] }, { update: false })).message, /pageSize: "2mb" is not a page size/);
    assert.deepEqual(dir.writes, []);
  });

  it('reads usage (reservations first) and the "max" event count', () => {
    const dir = cgroupFixture({
      'hugetlb.2MB.max': 'max',
      'hugetlb.2MB.current': '0',
      'hugetlb.2MB.rsvd.max': 'max',
      'hugetlb.2MB.rsvd.current': '4194304',
      'hugetlb.2MB.events': 'max 3\n',
      'hugetlb.1GB.max': 'max',
      'hugetlb.1GB.current': '1073741824',
      'hugetlb.1GB.events': 'max 0\n',
    });
    const s = emptyStats();
    hugetlbV2.stats(dir, s);
    assert.deepEqual(s.hugetlb, {
      '2MB': { usage: 4194304, max: 0, failcnt: 3 },
      '1GB': { usage: 1073741824, max: 0, failcnt: 0 },
    });
  });
});
