import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures, type FixtureDir, type Refusal } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { memoryV1 } from './memory.js';

after(removeFixtures);

const UNLIMITED = '9223372036854771712';
const MiB = 1024 * 1024;

/** The files of a fresh v1 memory cgroup, with swap accounting on. */
function memoryDir(overrides: Record<string, string> = {}, omit: string[] = []): FixtureDir {
  const files: Record<string, string> = {
    'memory.limit_in_bytes': UNLIMITED,
    'memory.memsw.limit_in_bytes': UNLIMITED,
    'memory.soft_limit_in_bytes': UNLIMITED,
    'memory.swappiness': '60',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
    'memory.usage_in_bytes': '0',
    'memory.max_usage_in_bytes': '0',
    'memory.failcnt': '0',
    'memory.memsw.usage_in_bytes': '0',
    'memory.memsw.max_usage_in_bytes': '0',
    'memory.memsw.failcnt': '0',
    'memory.kmem.limit_in_bytes': UNLIMITED,
    'memory.kmem.usage_in_bytes': '0',
    'memory.kmem.tcp.limit_in_bytes': UNLIMITED,
    'memory.stat': 'cache 0\nrss 0\n',
    ...overrides,
  };
  const dir = cgroupFixture(files, omit);
  dir.refuse = memswRule;
  return dir;
}

/** The kernel's rule: limit_in_bytes ≤ memsw.limit_in_bytes at all times, else EINVAL. */
const memswRule: Refusal = (file, value, dir) => {
  const n = (v: string): number => (v.trim() === '-1' ? Infinity : Number(v));
  if (file === 'memory.limit_in_bytes' && dir.has('memory.memsw.limit_in_bytes') && n(value) > n(dir.read('memory.memsw.limit_in_bytes'))) return 'EINVAL';
  if (file === 'memory.memsw.limit_in_bytes' && n(value) < n(dir.read('memory.limit_in_bytes'))) return 'EINVAL';
  return undefined;
};

describe('v1 memory', () => {
  it('writes limit, memsw, soft limit, OOM switch and swappiness for a new container', () => {
    const dir = memoryDir();
    memoryV1.apply(dir, { memory: { limit: 256 * MiB, swap: 512 * MiB, reservation: 128 * MiB, swappiness: 10, disableOOMKiller: true } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['memory.limit_in_bytes', String(256 * MiB)],
      ['memory.memsw.limit_in_bytes', String(512 * MiB)],
      ['memory.soft_limit_in_bytes', String(128 * MiB)],
      ['memory.oom_control', '1'],
      ['memory.swappiness', '10'],
    ]);
  });

  it('writes memsw first when raising, the limit first when lowering', () => {
    const up = memoryDir({ 'memory.limit_in_bytes': String(100 * MiB), 'memory.memsw.limit_in_bytes': String(200 * MiB) });
    memoryV1.apply(up, { memory: { limit: 300 * MiB, swap: 400 * MiB } }, { update: true });
    assert.deepEqual(up.writes.map(([f]) => f), ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
    assert.equal(up.content('memory.limit_in_bytes'), String(300 * MiB));

    const down = memoryDir({ 'memory.limit_in_bytes': String(300 * MiB), 'memory.memsw.limit_in_bytes': String(400 * MiB) });
    memoryV1.apply(down, { memory: { limit: 100 * MiB, swap: 200 * MiB } }, { update: true });
    assert.deepEqual(down.writes.map(([f]) => f), ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
    assert.equal(down.content('memory.memsw.limit_in_bytes'), String(200 * MiB));
  });

  it('lifts memsw with an unlimited limit when swap is not given', () => {
    const dir = memoryDir({ 'memory.limit_in_bytes': String(100 * MiB), 'memory.memsw.limit_in_bytes': String(200 * MiB) });
    memoryV1.apply(dir, { memory: { limit: -1 } }, { update: true });
    assert.deepEqual(dir.writes, [
      ['memory.memsw.limit_in_bytes', '-1'],
      ['memory.limit_in_bytes', '-1'],
    ]);
  });

  it('says so when swap is set but the kernel keeps no swap accounting', () => {
    const dir = memoryDir({}, ['memory.memsw.limit_in_bytes']);
    const err = engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: 100 * MiB, swap: 200 * MiB } }, { update: false }));
    assert.equal(err.code, 'CGROUP_UNSUPPORTED');
    assert.match(err.message, /^linux\.resources\.memory\.swap: this host has no memory\.memsw\.limit_in_bytes in .*: swap accounting is off/);
    assert.match(err.hint ?? '', /swapaccount=1/);
    // unlimited swap is what a host without accounting has: nothing to write
    const ok = memoryDir({}, ['memory.memsw.limit_in_bytes']);
    memoryV1.apply(ok, { memory: { limit: 100 * MiB, swap: -1 } }, { update: false });
    assert.deepEqual(ok.writes, [['memory.limit_in_bytes', String(100 * MiB)]]);
  });

  it('ignores kernel memory limits, writing nothing', () => {
    const dir = memoryDir();
    const r = { memory: { kernel: 64 * MiB, kernelTCP: 16 * MiB } };
    assert.equal(memoryV1.needed(r), false);
    memoryV1.apply(dir, r, { update: false });
    assert.deepEqual(dir.writes, []);
  });

  it('is needed only for what it writes', () => {
    assert.equal(memoryV1.needed({}), false);
    assert.equal(memoryV1.needed({ memory: {} }), false);
    assert.equal(memoryV1.needed({ memory: { limit: 0, swappiness: -1, disableOOMKiller: false } }), false);
    assert.equal(memoryV1.needed({ memory: { limit: 1 } }), true);
    assert.equal(memoryV1.needed({ memory: { swappiness: 0 } }), true);
    assert.equal(memoryV1.needed({ memory: { disableOOMKiller: true } }), true);
  });

  it('refuses a swappiness out of range and leaves -1 alone', () => {
    const dir = memoryDir();
    const err = engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: 100 * MiB, swappiness: 101 } }, { update: false }));
    assert.equal(err.kind, 'InvalidArgument');
    assert.equal(err.code, 'BAD_RESOURCE');
    assert.match(err.message, /^linux\.resources\.memory\.swappiness: 101 is out of range \[0, 100\]/);
    assert.deepEqual(dir.writes, [], 'nothing is written when a value is wrong');
    memoryV1.apply(dir, { memory: { swappiness: -1 } }, { update: false });
    assert.deepEqual(dir.writes, []);
  });

  it('refuses swap below the limit, swap with an unlimited limit, and negative sizes', () => {
    const dir = memoryDir();
    assert.match(engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: 200 * MiB, swap: 100 * MiB } }, { update: false })).message, /^linux\.resources\.memory\.swap: 104857600 is below memory\.limit 209715200: swap counts memory plus swap/);
    assert.match(engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: -1, swap: 100 * MiB } }, { update: false })).message, /memory\.swap: 104857600 limits memory plus swap, but memory\.limit is -1 \(unlimited\)/);
    // swap alone on a fresh cgroup: its limit is the kernel's "unlimited"
    assert.match(engineErrorOf(() => memoryV1.apply(dir, { memory: { swap: 100 * MiB } }, { update: false })).message, /the memory limit is unset \(unlimited\)/);
    assert.match(engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: -5 } }, { update: false })).message, /^linux\.resources\.memory\.limit: -5 is negative: give a number of bytes, or -1 for unlimited/);
    assert.deepEqual(dir.writes, []);
  });

  it('takes swap alone on update when the current limit is below it', () => {
    const dir = memoryDir({ 'memory.limit_in_bytes': String(100 * MiB), 'memory.memsw.limit_in_bytes': String(100 * MiB) });
    memoryV1.apply(dir, { memory: { swap: 300 * MiB } }, { update: true });
    assert.deepEqual(dir.writes, [['memory.memsw.limit_in_bytes', String(300 * MiB)]]);
    assert.match(engineErrorOf(() => memoryV1.apply(dir, { memory: { swap: 50 * MiB } }, { update: true })).message, /below the current memory limit 104857600/);
  });

  it('refuses a limit above the memsw limit already set when swap is not given', () => {
    const dir = memoryDir({ 'memory.limit_in_bytes': String(100 * MiB), 'memory.memsw.limit_in_bytes': String(200 * MiB) });
    const err = engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: 300 * MiB } }, { update: true }));
    assert.match(err.message, /^linux\.resources\.memory\.limit: 314572800 is above the memory\+swap limit already set \(209715200\)/);
    assert.match(err.hint ?? '', /memory\.swap in the same update/);
    memoryV1.apply(dir, { memory: { limit: 150 * MiB } }, { update: true });
    assert.deepEqual(dir.writes, [['memory.limit_in_bytes', String(150 * MiB)]]);
  });

  it('checkBeforeUpdate refuses a limit at or below the current usage, on update only', () => {
    const dir = memoryDir({ 'memory.usage_in_bytes': String(300 * MiB), 'memory.memsw.usage_in_bytes': String(350 * MiB) });
    const err = engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: 200 * MiB, checkBeforeUpdate: true } }, { update: true }));
    assert.match(err.message, /^linux\.resources\.memory\.limit: 209715200 is at or below the current usage 314572800 \(checkBeforeUpdate\)/);
    assert.match(
      engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: 320 * MiB, swap: 340 * MiB, checkBeforeUpdate: true } }, { update: true })).message,
      /^linux\.resources\.memory\.swap: 356515840 is at or below the current memory\+swap usage 367001600 \(checkBeforeUpdate\)/,
    );
    assert.deepEqual(dir.writes, []);
    memoryV1.apply(dir, { memory: { limit: 200 * MiB, checkBeforeUpdate: true } }, { update: false });
    assert.deepEqual(dir.writes, [['memory.limit_in_bytes', String(200 * MiB)]]);
  });

  it('turns the kernel\'s EBUSY into the usage that blocked the limit', () => {
    const dir = memoryDir({ 'memory.usage_in_bytes': '5000000', 'memory.max_usage_in_bytes': '6000000' });
    dir.refuse = (file) => (file === 'memory.limit_in_bytes' ? 'EBUSY' : undefined);
    const err = engineErrorOf(() => memoryV1.apply(dir, { memory: { limit: 1048576 } }, { update: true }));
    assert.equal(err.code, 'BAD_RESOURCE');
    assert.match(err.message, /^linux\.resources\.memory\.limit: 1048576 is below what the container uses \(5000000 bytes now, 6000000 at most\)/);
  });

  it('passes on other refusals naming file, value and field', () => {
    const dir = memoryDir();
    dir.refuse = (file) => (file === 'memory.soft_limit_in_bytes' ? 'EINVAL' : undefined);
    const err = engineErrorOf(() => memoryV1.apply(dir, { memory: { reservation: 4096 } }, { update: false }));
    assert.match(err.message, /^memory\.soft_limit_in_bytes: cannot set "4096" \(linux\.resources\.memory\.reservation\)/);
  });

  it('reads usage, memsw, kmem, kmem.tcp and memory.stat', () => {
    const dir = memoryDir({
      'memory.usage_in_bytes': '1000',
      'memory.max_usage_in_bytes': '2000',
      'memory.failcnt': '3',
      'memory.limit_in_bytes': '4000',
      'memory.memsw.usage_in_bytes': '1500',
      'memory.memsw.max_usage_in_bytes': '2500',
      'memory.memsw.failcnt': '1',
      'memory.memsw.limit_in_bytes': UNLIMITED,
      'memory.kmem.usage_in_bytes': '300',
      'memory.kmem.max_usage_in_bytes': '400',
      'memory.kmem.tcp.usage_in_bytes': '10',
      'memory.stat': 'cache 700\nrss 300\ntotal_cache 800\ntotal_rss 350\n',
    });
    const s = emptyStats();
    memoryV1.stats(dir, s);
    assert.deepEqual(s.memory.usage, { usage: 1000, max: 2000, failcnt: 3, limit: 4000 });
    assert.deepEqual(s.memory.swap, { usage: 1500, max: 2500, failcnt: 1, limit: Number(UNLIMITED) });
    assert.deepEqual(s.memory.kernel, { usage: 300, max: 400, failcnt: 0, limit: Number(UNLIMITED) });
    assert.deepEqual(s.memory.kernelTCP, { usage: 10, max: 0, failcnt: 0, limit: Number(UNLIMITED) });
    assert.equal(s.memory.cache, 800);
    assert.deepEqual(s.memory.raw, { cache: 700, rss: 300, total_cache: 800, total_rss: 350 });
  });

  it('leaves zeros for accounting the kernel lacks', () => {
    const dir = memoryDir({ 'memory.stat': 'cache 5\n' }, ['memory.memsw.usage_in_bytes', 'memory.kmem.usage_in_bytes']);
    const s = emptyStats();
    memoryV1.stats(dir, s);
    assert.deepEqual(s.memory.swap, { usage: 0, max: 0, failcnt: 0, limit: 0 });
    assert.deepEqual(s.memory.kernel, { usage: 0, max: 0, failcnt: 0, limit: 0 });
    assert.equal(s.memory.cache, 5);
  });
});
