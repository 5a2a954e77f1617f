import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures, type FixtureDir } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { cpuV2, sharesToWeight } from './cpu.js';

after(removeFixtures);

function cpuDir(overrides: Record<string, string> = {}, omit: string[] = []): FixtureDir {
  const files: Record<string, string> = { 'cpu.weight': '100', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0', 'cpu.idle': '0', 'cpu.stat': '', ...overrides };
  return cgroupFixture(files, omit);
}

describe('v2 cpu', () => {
  it('converts shares to a weight as runc does', () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(262144), 10000);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(512), 20);
  });

  it('writes idle, weight, burst and cpu.max in one line', () => {
    const dir = cpuDir();
    cpuV2.apply(dir, { cpu: { idle: 0, shares: 1024, quota: 50000, period: 200000, burst: 10000 } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['cpu.idle', '0'],
      ['cpu.weight', '39'],
      ['cpu.max.burst', '10000'],
      ['cpu.max', '50000 200000'],
    ]);
  });

  it('keeps the period when only the quota changes, and the quota when only the period does', () => {
    const dir = cpuDir({ 'cpu.max': '30000 50000\n' });
    cpuV2.apply(dir, { cpu: { quota: 20000 } }, { update: true });
    assert.equal(dir.content('cpu.max'), '20000 50000');
    cpuV2.apply(dir, { cpu: { period: 80000 } }, { update: true });
    assert.equal(dir.content('cpu.max'), '20000 80000');
    cpuV2.apply(dir, { cpu: { quota: -1 } }, { update: true });
    assert.equal(dir.content('cpu.max'), 'max 80000');
    // a fresh cgroup: the kernel's default period
    const fresh = cpuDir();
    cpuV2.apply(fresh, { cpu: { quota: 150000 } }, { update: false });
    assert.deepEqual(fresh.writes, [['cpu.max', '150000 100000']]);
  });

  it('writes a refused burst again after the quota', () => {
    const dir = cpuDir({ 'cpu.max': '10000 100000' });
    dir.refuse = (file, value, d) => (file === 'cpu.max.burst' && Number(value) > Number(d.read('cpu.max').split(' ')[0]) ? 'EINVAL' : undefined);
    cpuV2.apply(dir, { cpu: { quota: 50000, burst: 40000 } }, { update: true });
    assert.deepEqual(dir.writes, [
      ['cpu.max', '50000 100000'],
      ['cpu.max.burst', '40000'],
    ]);
    const alone = cpuDir({ 'cpu.max': '10000 100000' });
    alone.refuse = dir.refuse;
    assert.match(engineErrorOf(() => cpuV2.apply(alone, { cpu: { burst: 40000 } }, { update: true })).message, /^cpu\.max\.burst: cannot set "40000" \(linux\.resources\.cpu\.burst\)/);
  });

  it('refuses real-time settings, which v2 lacks, and values out of range', () => {
    const dir = cpuDir();
    const rt = engineErrorOf(() => cpuV2.apply(dir, { cpu: { shares: 512, realtimeRuntime: 950000, realtimePeriod: 1000000 } }, { update: false }));
    assert.equal(rt.code, 'BAD_RESOURCE');
    assert.match(rt.message, /^linux\.resources\.cpu\.realtimeRuntime: cgroup v2 has no real-time group scheduling/);
    assert.equal(cpuV2.needed({ cpu: { realtimePeriod: 1000000 } }), true, 'so that apply can refuse it');
    assert.equal(cpuV2.needed({ cpu: { realtimePeriod: 0, realtimeRuntime: 0, cpus: '0' } }), false);
    assert.match(engineErrorOf(() => cpuV2.apply(dir, { cpu: { shares: 1 } }, { update: false })).message, /^linux\.resources\.cpu\.shares: 1 is out of range \[2, 262144\]/);
    assert.match(engineErrorOf(() => cpuV2.apply(dir, { cpu: { period: 2_000_000 } }, { update: false })).message, /cpu\.period: 2000000 is out of range \[1000, 1000000\]/);
    assert.match(engineErrorOf(() => cpuV2.apply(dir, { cpu: { quota: 100 } }, { update: false })).message, /cpu\.quota: 100 is out of range/);
    assert.match(engineErrorOf(() => cpuV2.apply(dir, { cpu: { idle: 1, shares: 100 } }, { update: false })).message, /cpu\.shares: 100 cannot go with cpu\.idle 1/);
    assert.deepEqual(dir.writes, []);
  });

  it('refuses a quota below the burst already set, unless the burst changes too', () => {
    const dir = cpuDir({ 'cpu.max': '50000 100000', 'cpu.max.burst': '20000' });
    assert.match(engineErrorOf(() => cpuV2.apply(dir, { cpu: { quota: 10000 } }, { update: true })).message, /^linux\.resources\.cpu\.quota: 10000 is below the burst already set \(20000\)/);
    cpuV2.apply(dir, { cpu: { quota: 10000, burst: 5000 } }, { update: true });
    assert.deepEqual(dir.writes, [
      ['cpu.max.burst', '5000'],
      ['cpu.max', '10000 100000'],
    ]);
  });

  it('skips burst 0 where the kernel has no burst file', () => {
    const dir = cpuDir({}, ['cpu.max.burst', 'cpu.idle']);
    cpuV2.apply(dir, { cpu: { burst: 0 } }, { update: false });
    assert.deepEqual(dir.writes, []);
    assert.match(engineErrorOf(() => cpuV2.apply(dir, { cpu: { idle: 1 } }, { update: false })).message, /^linux\.resources\.cpu\.idle: this host has no cpu\.idle in .*Linux 5\.15/);
  });

  it('reads usage and throttling in nanoseconds', () => {
    const dir = cpuDir({ 'cpu.stat': 'usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 500\nnr_bursts 0\nburst_usec 0\n' });
    const s = emptyStats();
    cpuV2.stats(dir, s);
    assert.deepEqual(s.cpu, {
      usage: { total: 3_000_000, percpu: [], user: 2_000_000, kernel: 1_000_000 },
      throttling: { periods: 10, throttled_periods: 2, throttled_time: 500_000 },
    });
  });
});
