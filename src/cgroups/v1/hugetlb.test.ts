import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { hugetlbV1 } from './hugetlb.js';

after(removeFixtures);

describe('v1 hugetlb', () => {
  it('writes the limit per page size, and the reservation limit where there is one', () => {
    const dir = cgroupFixture({
      'hugetlb.2MB.limit_in_bytes': '9223372036854771712',
      'hugetlb.2MB.rsvd.limit_in_bytes': '9223372036854771712',
      'hugetlb.1GB.limit_in_bytes': '9223372036854771712',
    });
    hugetlbV1.apply(dir, { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }, { pageSize: '1GB', limit: 0 }] }, { update: false });
    assert.deepEqual(dir.writes, [
      ['hugetlb.2MB.limit_in_bytes', '4194304'],
      ['hugetlb.2MB.rsvd.limit_in_bytes', '4194304'],
      ['hugetlb.1GB.limit_in_bytes', '0'],
    ]);
    assert.equal(hugetlbV1.needed({ hugepageLimits: [] }), false);
    assert.equal(hugetlbV1.needed({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }), true);
  });

  it('refuses a malformed size, and names the sizes the host has for a missing one', () => {
    const dir = cgroupFixture({ 'hugetlb.2MB.limit_in_bytes': '0', 'hugetlb.1GB.limit_in_bytes': '0', 'hugetlb.2MB.rsvd.limit_in_bytes': '0' });
    const bad = engineErrorOf(() => hugetlbV1.apply(dir, { hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, { update: false }));
    assert.equal(bad.code, 'BAD_RESOURCE');
    assert.match(bad.message, /^linux\.resources\.hugepageLimits\[0\]\.pageSize: "2M" is not a page size as the kernel names them/);
    const missing = engineErrorOf(() => hugetlbV1.apply(dir, { hugepageLimits: [{ pageSize: '2MB', limit: 1 }, { pageSize: '64KB', limit: 1 }] }, { update: false }));
    assert.equal(missing.code, 'CGROUP_UNSUPPORTED');
    assert.match(missing.message, /^linux\.resources\.hugepageLimits\[1\]\.pageSize: this host has no hugetlb\.64KB\.limit_in_bytes in .*: the kernel offers no 64KB huge pages here \(its sizes: 2MB, 1GB\)/);
    assert.match(engineErrorOf(() => hugetlbV1.apply(dir, { hugepageLimits: [{ pageSize: '2MB', limit: -3 }] }, { update: false })).message, /hugepageLimits\[0\]\.limit: -3 is negative/);
    assert.deepEqual(dir.writes, []);
  });

  it('reads usage, peak and failcnt per size, from the reservation counters where present', () => {
    const dir = cgroupFixture({
      'hugetlb.2MB.limit_in_bytes': '0',
      'hugetlb.2MB.usage_in_bytes': '1',
      'hugetlb.2MB.rsvd.limit_in_bytes': '0',
      'hugetlb.2MB.rsvd.usage_in_bytes': '2097152',
      'hugetlb.2MB.rsvd.max_usage_in_bytes': '4194304',
      'hugetlb.2MB.rsvd.failcnt': '2',
      'hugetlb.1GB.limit_in_bytes': '0',
      'hugetlb.1GB.usage_in_bytes': '1073741824',
      'hugetlb.1GB.max_usage_in_bytes': '1073741824',
      'hugetlb.1GB.failcnt': '0',
    });
    const s = emptyStats();
    hugetlbV1.stats(dir, s);
    assert.deepEqual(s.hugetlb, {
      '2MB': { usage: 2097152, max: 4194304, failcnt: 2 },
      '1GB': { usage: 1073741824, max: 1073741824, failcnt: 0 },
    });
  });
});
