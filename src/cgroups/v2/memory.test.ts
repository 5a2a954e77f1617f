import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures, type FixtureDir } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { UNLIMITED_BYTES } from '../values.js';
import { memoryV2 } from './memory.js';

after(removeFixtures);

const MiB = 1024 * 1024;

function memoryDir(overrides: Record<string, string> = {}, omit: string[] = []): FixtureDir {
  const files: Record<string, string> = {
    'memory.max': 'max',
    'memory.low': '0',
    'memory.high': 'max',
    'memory.swap.max': 'max',
    'memory.current': '0',
    'memory.swap.current': '0',
    'memory.stat': 'anon 0\nfile 0\n',
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
    ...overrides,
  };
  return cgroupFixture(files, omit);
}

describe('v2 memory', () => {
  it('writes swap.max as swap minus limit, then max and low', () => {
    const dir = memoryDir();
    memoryV2.apply(dir, { memory: { limit: 256 * MiB, swap: 512 * MiB, reservation: 128 * MiB } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['memory.swap.max', String(256 * MiB)],
      ['memory.max', String(256 * MiB)],
      ['memory.low', String(128 * MiB)],
    ]);
  });

  it('converts swap as runc: -1 → max, equal to the limit → 0, unlimited limit alone → max', () => {
    const cases: [object, [string, string][]][] = [
      [{ limit: 100 * MiB, swap: -1 }, [['memory.swap.max', 'max'], ['memory.max', String(100 * MiB)]]],
      [{ limit: 100 * MiB, swap: 100 * MiB }, [['memory.swap.max', '0'], ['memory.max', String(100 * MiB)]]],
      [{ limit: -1 }, [['memory.swap.max', 'max'], ['memory.max', 'max']]],
      [{ limit: 100 * MiB }, [['memory.max', String(100 * MiB)]]],
      [{ reservation: -1 }, [['memory.low', 'max']]],
    ];
    for (const [memory, writes] of cases) {
      const dir = memoryDir();
      memoryV2.apply(dir, { memory }, { update: false });
      assert.deepEqual(dir.writes, writes, JSON.stringify(memory));
    }
  });

  it('refuses swap below the limit and swap without a limit', () => {
    const dir = memoryDir();
    const below = engineErrorOf(() => memoryV2.apply(dir, { memory: { limit: 200 * MiB, swap: 100 * MiB } }, { update: false }));
    assert.equal(below.code, 'BAD_RESOURCE');
    assert.match(below.message, /^linux\.resources\.memory\.swap: 104857600 is below memory\.limit 209715200/);
    assert.match(engineErrorOf(() => memoryV2.apply(dir, { memory: { swap: 100 * MiB } }, { update: false })).message, /^linux\.resources\.memory\.swap: 104857600 limits memory plus swap, .*memory\.limit is not set/);
    assert.match(engineErrorOf(() => memoryV2.apply(dir, { memory: { limit: -1, swap: 100 * MiB } }, { update: false })).message, /memory\.limit is -1 \(unlimited\)/);
    assert.deepEqual(dir.writes, []);
  });

  it('refuses swappiness and disabling the OOM killer, which v2 lacks', () => {
    const dir = memoryDir();
    const sw = engineErrorOf(() => memoryV2.apply(dir, { memory: { limit: 100 * MiB, swappiness: 10 } }, { update: false }));
    assert.match(sw.message, /^linux\.resources\.memory\.swappiness: 10: cgroup v2 has no per-cgroup swappiness/);
    assert.match(sw.hint ?? '', /vm\.swappiness/);
    assert.match(engineErrorOf(() => memoryV2.apply(dir, { memory: { disableOOMKiller: true } }, { update: false })).message, /^linux\.resources\.memory\.disableOOMKiller: cgroup v2 cannot turn the OOM killer off/);
    assert.deepEqual(dir.writes, []);
    // unset values pass: -1 swappiness, false, kernel limits
    memoryV2.apply(dir, { memory: { swappiness: -1, disableOOMKiller: false, kernel: 10 * MiB, kernelTCP: MiB } }, { update: false });
    assert.deepEqual(dir.writes, []);
    assert.equal(memoryV2.needed({ memory: { swappiness: -1, disableOOMKiller: false, kernel: 10 } }), false);
    assert.equal(memoryV2.needed({ memory: { swappiness: 0 } }), true, 'so that apply can refuse it');
  });

  it('skips swap "max" and "0" without swap accounting, and refuses a real swap limit there', () => {
    const dir = memoryDir({}, ['memory.swap.max', 'memory.swap.current']);
    memoryV2.apply(dir, { memory: { limit: 100 * MiB, swap: 100 * MiB } }, { update: false });
    memoryV2.apply(dir, { memory: { limit: -1 } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['memory.max', String(100 * MiB)],
      ['memory.max', 'max'],
    ]);
    const err = engineErrorOf(() => memoryV2.apply(dir, { memory: { limit: 100 * MiB, swap: 200 * MiB } }, { update: false }));
    assert.equal(err.code, 'CGROUP_UNSUPPORTED');
    assert.match(err.message, /^linux\.resources\.memory\.swap: this host has no memory\.swap\.max in .*: swap accounting is off/);
  });

  it('checkBeforeUpdate compares with memory.current, and memory+swap for swap', () => {
    const dir = memoryDir({ 'memory.current': String(300 * MiB), 'memory.swap.current': String(50 * MiB) });
    assert.match(engineErrorOf(() => memoryV2.apply(dir, { memory: { limit: 300 * MiB, checkBeforeUpdate: true } }, { update: true })).message, /^linux\.resources\.memory\.limit: 314572800 is at or below the current usage 314572800 \(checkBeforeUpdate\)/);
    assert.match(engineErrorOf(() => memoryV2.apply(dir, { memory: { limit: 320 * MiB, swap: 340 * MiB, checkBeforeUpdate: true } }, { update: true })).message, /memory\.swap: 356515840 is at or below the current memory\+swap usage 367001600/);
    assert.deepEqual(dir.writes, []);
    memoryV2.apply(dir, { memory: { limit: 400 * MiB, checkBeforeUpdate: true } }, { update: true });
    memoryV2.apply(dir, { memory: { limit: 100 * MiB, checkBeforeUpdate: true } }, { update: false });
    assert.deepEqual(dir.writesTo('memory.max'), [String(400 * MiB), String(100 * MiB)]);
  });

  it('reads usage, v1-style memory+swap, events and memory.stat', () => {
    const dir = memoryDir({
      'memory.current': '1000',
      'memory.max': '4000',
      'memory.peak': '2000',
      'memory.events': 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n',
      'memory.swap.current': '500',
      'memory.swap.max': '3000',
      'memory.swap.events': 'high 0\nmax 2\nfail 0\n',
      'memory.stat': 'anon 300\nfile 700\nkernel 90\nsock 8\n',
    });
    const s = emptyStats();
    memoryV2.stats(dir, s);
    assert.deepEqual(s.memory.usage, { usage: 1000, limit: 4000, max: 2000, failcnt: 7 });
    assert.deepEqual(s.memory.swap, { usage: 1500, limit: 7000, max: 0, failcnt: 2 });
    assert.equal(s.memory.cache, 700);
    assert.deepEqual(s.memory.raw, { anon: 300, file: 700, kernel: 90, sock: 8 });
    assert.equal(s.memory.kernel.usage, 90);
    assert.equal(s.memory.kernelTCP.usage, 8);
  });

  it('reports "max" as the unlimited ceiling, and zeros without files', () => {
    const dir = memoryDir({ 'memory.current': '10' });
    const s = emptyStats();
    memoryV2.stats(dir, s);
    assert.equal(s.memory.usage.limit, UNLIMITED_BYTES);
    assert.equal(s.memory.swap.limit, UNLIMITED_BYTES);
    assert.equal(s.memory.swap.usage, 10);
    const none = emptyStats();
    memoryV2.stats(memoryDir({}, ['memory.current', 'memory.swap.current', 'memory.stat']), none);
    assert.deepEqual(none.memory, emptyStats().memory);
  });
});
