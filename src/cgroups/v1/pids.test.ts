import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { pidsV1 } from './pids.js';

after(removeFixtures);

describe('pids (v1 and v2)', () => {
  it('writes the limit, and "max" for 0 or below', () => {
    for (const [limit, written] of [
      [100, '100'],
      [0, 'max'],
      [-1, 'max'],
    ] as const) {
      const dir = cgroupFixture({ 'pids.max': 'max' });
      pidsV1.apply(dir, { pids: { limit } }, { update: false });
      assert.deepEqual(dir.writes, [['pids.max', written]]);
    }
  });

  it('is needed whenever pids is given', () => {
    assert.equal(pidsV1.needed({}), false);
    assert.equal(pidsV1.needed({ pids: { limit: 0 } }), true);
  });

  it('refuses a fractional limit', () => {
    const dir = cgroupFixture({ 'pids.max': 'max' });
    assert.match(engineErrorOf(() => pidsV1.apply(dir, { pids: { limit: 2.5 } }, { update: false })).message, /^linux\.resources\.pids\.limit: 2\.5 is not a whole number/);
  });

  it('reports a refused write with file, value and field', () => {
    const dir = cgroupFixture({ 'pids.max': 'max' });
    dir.refuse = () => 'EINVAL';
    assert.match(engineErrorOf(() => pidsV1.apply(dir, { pids: { limit: 99999999 } }, { update: false })).message, /^pids\.max: cannot set "99999999" \(linux\.resources\.pids\.limit\) in .*\[EINVAL\]/);
  });

  it('reads current and limit, "max" as 0', () => {
    const s = emptyStats();
    pidsV1.stats(cgroupFixture({ 'pids.current': '7', 'pids.max': '100' }), s);
    assert.deepEqual(s.pids, { current: 7, limit: 100 });
    pidsV1.stats(cgroupFixture({ 'pids.current': '3', 'pids.max': 'max' }), s);
    assert.deepEqual(s.pids, { current: 3, limit: 0 });
  });
});
