import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures, type FixtureDir } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { cpuV1 } from './cpu.js';
import { cpuacctV1 } from './cpuacct.js';

after(removeFixtures);

function cpuDir(omit: string[] = []): FixtureDir {
  const files: Record<string, string> = {
    'cpu.shares': '1024',
    'cpu.cfs_period_us': '100000',
    'cpu.cfs_quota_us': '-1',
    'cpu.cfs_burst_us': '0',
    'cpu.rt_period_us': '1000000',
    'cpu.rt_runtime_us': '0',
    'cpu.idle': '0',
    'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
  };
  return cgroupFixture(files, omit);
}

describe('v1 cpu', () => {
  it('writes shares, period before quota, burst, idle first, rt period before runtime', () => {
    const dir = cpuDir();
    cpuV1.apply(dir, { cpu: { shares: 512, period: 50000, quota: 25000, burst: 10000, idle: 0, realtimePeriod: 1000000, realtimeRuntime: 950000 } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['cpu.idle', '0'],
      ['cpu.shares', '512'],
      ['cpu.cfs_period_us', '50000'],
      ['cpu.cfs_burst_us', '10000'],
      ['cpu.cfs_quota_us', '25000'],
      ['cpu.rt_period_us', '1000000'],
      ['cpu.rt_runtime_us', '950000'],
    ]);
  });

  it('writes -1 for no quota, and leaves cpus/mems to cpuset', () => {
    const dir = cpuDir();
    cpuV1.apply(dir, { cpu: { quota: -1, cpus: '0-1', mems: '0' } }, { update: false });
    assert.deepEqual(dir.writes, [['cpu.cfs_quota_us', '-1']]);
    assert.equal(cpuV1.needed({ cpu: { cpus: '0-1', mems: '0' } }), false);
    assert.equal(cpuV1.needed({ cpu: { shares: 0, quota: 0, period: 0 } }), false);
    assert.equal(cpuV1.needed({ cpu: { idle: 0 } }), true);
    assert.equal(cpuV1.needed({ cpu: { realtimeRuntime: 1000 } }), true);
  });

  it('writes a period the kernel refused again after the quota', () => {
    const dir = cpuDir();
    // the kernel checks a period against the current quota: refuse the new
    // period while the old (larger) quota is still in
    dir.refuse = (file, value, d) => (file === 'cpu.cfs_period_us' && value === '10000' && d.read('cpu.cfs_quota_us') === '200000' ? 'EINVAL' : undefined);
    dir.write('cpu.cfs_quota_us', '200000');
    dir.writes.length = 0;
    cpuV1.apply(dir, { cpu: { period: 10000, quota: 5000 } }, { update: true });
    assert.deepEqual(dir.writes, [
      ['cpu.cfs_quota_us', '5000'],
      ['cpu.cfs_period_us', '10000'],
    ]);
    // with no quota coming, the refusal stands
    const alone = cpuDir();
    alone.refuse = (file) => (file === 'cpu.cfs_period_us' ? 'EINVAL' : undefined);
    assert.match(engineErrorOf(() => cpuV1.apply(alone, { cpu: { period: 10000 } }, { update: true })).message, /^cpu\.cfs_period_us: cannot set "10000" \(linux\.resources\.cpu\.period\)/);
  });

  it('writes an rt period the kernel refused again after the runtime', () => {
    const dir = cpuDir();
    dir.refuse = (file, value, d) => (file === 'cpu.rt_period_us' && Number(value) < Number(d.read('cpu.rt_runtime_us')) ? 'EINVAL' : undefined);
    dir.write('cpu.rt_runtime_us', '900000');
    dir.writes.length = 0;
    cpuV1.apply(dir, { cpu: { realtimePeriod: 500000, realtimeRuntime: 400000 } }, { update: true });
    assert.deepEqual(dir.writes, [
      ['cpu.rt_runtime_us', '400000'],
      ['cpu.rt_period_us', '500000'],
    ]);
  });

  it('refuses values the kernel would clamp or refuse, before writing anything', () => {
    const dir = cpuDir();
    const cases: [object, RegExp][] = [
      [{ shares: 1 }, /^linux\.resources\.cpu\.shares: 1 is out of range \[2, 262144\] \(the kernel clamps shares to 2-262144\)/],
      [{ shares: 300000 }, /cpu\.shares: 300000 is out of range/],
      [{ period: 999 }, /^linux\.resources\.cpu\.period: 999 is out of range \[1000, 1000000\]/],
      [{ quota: 500 }, /^linux\.resources\.cpu\.quota: 500 is out of range/],
      [{ quota: -2 }, /cpu\.quota: -2 is out of range/],
      [{ quota: 10000, burst: 20000 }, /^linux\.resources\.cpu\.burst: 20000 is above cpu\.quota 10000/],
      [{ idle: 2 }, /^linux\.resources\.cpu\.idle: 2 is out of range \[0, 1\]/],
      [{ idle: 1, shares: 512 }, /cpu\.shares: 512 cannot go with cpu\.idle 1/],
      [{ realtimePeriod: 1000, realtimeRuntime: 2000 }, /cpu\.realtimeRuntime: 2000 is above cpu\.realtimePeriod 1000/],
      [{ shares: 1.5 }, /cpu\.shares: 1\.5 is not a whole number/],
    ];
    for (const [cpu, re] of cases) {
      const err = engineErrorOf(() => cpuV1.apply(dir, { cpu }, { update: false }));
      assert.equal(err.code, 'BAD_RESOURCE');
      assert.match(err.message, re);
    }
    assert.deepEqual(dir.writes, []);
  });

  it('refuses a quota below the burst already set, unless the burst changes too', () => {
    const dir = cpuDir();
    dir.write('cpu.cfs_burst_us', '10000');
    dir.writes.length = 0;
    const err = engineErrorOf(() => cpuV1.apply(dir, { cpu: { quota: 5000 } }, { update: true }));
    assert.match(err.message, /^linux\.resources\.cpu\.quota: 5000 is below the burst already set \(10000\)/);
    assert.equal(err.hint, 'lower cpu.burst in the same update');
    cpuV1.apply(dir, { cpu: { quota: 5000, burst: 0 } }, { update: true });
    assert.deepEqual(dir.writes, [
      ['cpu.cfs_burst_us', '0'],
      ['cpu.cfs_quota_us', '5000'],
    ]);
  });

  it('skips burst 0 on a kernel without burst, and names the kernel feature otherwise', () => {
    const dir = cpuDir(['cpu.cfs_burst_us', 'cpu.rt_period_us', 'cpu.rt_runtime_us']);
    cpuV1.apply(dir, { cpu: { burst: 0 } }, { update: false });
    assert.deepEqual(dir.writes, []);
    const burst = engineErrorOf(() => cpuV1.apply(dir, { cpu: { burst: 1000 } }, { update: false }));
    assert.equal(burst.code, 'CGROUP_UNSUPPORTED');
    assert.match(burst.message, /^linux\.resources\.cpu\.burst: this host has no cpu\.cfs_burst_us in .*: CFS burst needs Linux 5\.14/);
    assert.match(engineErrorOf(() => cpuV1.apply(dir, { cpu: { realtimeRuntime: 1000 } }, { update: false })).message, /cpu\.realtimeRuntime: this host has no cpu\.rt_runtime_us .*CONFIG_RT_GROUP_SCHED/);
  });

  it('reads throttling from cpu.stat', () => {
    const dir = cgroupFixture({ 'cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 123456789\nnr_bursts 0\nburst_time 0\n' });
    const s = emptyStats();
    cpuV1.stats(dir, s);
    assert.deepEqual(s.cpu.throttling, { periods: 10, throttled_periods: 4, throttled_time: 123456789 });
  });
});

describe('v1 cpuacct', () => {
  it('is never needed and writes nothing', () => {
    const dir = cgroupFixture({ 'cpuacct.usage': '0' });
    assert.equal(cpuacctV1.needed({ cpu: { shares: 512 } }), false);
    cpuacctV1.apply(dir, { cpu: { shares: 512 } }, { update: false });
    assert.deepEqual(dir.writes, []);
  });

  it('reads usage in ns, per CPU, and user/system ticks as ns', () => {
    const dir = cgroupFixture({
      'cpuacct.usage': '1365872624749',
      'cpuacct.usage_percpu': '652274474567 713597150182 \n',
      'cpuacct.stat': 'user 101481\nsystem 35102\n',
    });
    const s = emptyStats();
    cpuacctV1.stats(dir, s);
    assert.deepEqual(s.cpu.usage, { total: 1365872624749, percpu: [652274474567, 713597150182], user: 1014810000000, kernel: 351020000000 });
  });

  it('leaves zeros without files', () => {
    const s = emptyStats();
    cpuacctV1.stats(cgroupFixture({}), s);
    assert.deepEqual(s.cpu.usage, { total: 0, percpu: [], user: 0, kernel: 0 });
  });
});
