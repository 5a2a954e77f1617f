import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { buildResources, buildRlimits, RLIMIT_UNLIMITED } from './resources.js';
import { fakeHost } from './testing.js';
import type { HostConfig, Ulimit } from './types.js';

const res = (hc: HostConfig) => buildResources(hc, [], fakeHost());
const refused = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.match(err.message, message);
    return true;
  });
};

describe('buildResources', () => {
  it('nothing asked: cpu shares 0 and block I/O weight 0 (unset), no memory fields, no pids', () => {
    assert.deepEqual(res({}), { devices: [], memory: {}, cpu: { shares: 0 }, blockIO: { weight: 0 } });
  });
  it('memory: limit, reservation, memory+swap, swappiness, OOM killer, kernel memory', () => {
    const r = res({ Memory: 67108864, MemoryReservation: 33554432, MemorySwap: 209715200, MemorySwappiness: 10, OomKillDisable: true, KernelMemory: 8 << 20 });
    assert.deepEqual(r.memory, { limit: 67108864, reservation: 33554432, swap: 209715200, swappiness: 10, disableOOMKiller: true, kernel: 8 << 20 });
  });
  it('MemorySwap -1 (unlimited) and unset swappiness (null or -1) write nothing', () => {
    assert.deepEqual(res({ Memory: 67108864, MemorySwap: -1, MemorySwappiness: -1 }).memory, { limit: 67108864 });
    assert.deepEqual(res({ MemorySwappiness: null }).memory, {});
  });
  it('--cpus: quota over a 100 ms period; --cpu-shares; explicit quota and period; cpusets', () => {
    assert.deepEqual(res({ NanoCpus: 1.5e9, CpuShares: 512 }).cpu, { shares: 512, period: 100000, quota: 150000 });
    assert.deepEqual(res({ NanoCpus: 10e6 }).cpu, { shares: 0, period: 100000, quota: 1000 });
    assert.deepEqual(res({ CpuQuota: 50000, CpuPeriod: 100000, CpusetCpus: '0', CpusetMems: '0' }).cpu, { shares: 0, cpus: '0', mems: '0', period: 100000, quota: 50000 });
    assert.deepEqual(res({ CpuRealtimePeriod: 1000000, CpuRealtimeRuntime: 950000 }).cpu, { shares: 0, realtimePeriod: 1000000, realtimeRuntime: 950000 });
  });
  it('refuses negative shares', () => {
    refused(() => res({ CpuShares: -1 }), 'BAD_CPU_SHARES', /^shares: invalid argument$/);
  });
  it('pids only for a positive limit', () => {
    assert.deepEqual(res({ PidsLimit: 100 }).pids, { limit: 100 });
    for (const v of [0, -1, null, undefined]) assert.equal(res({ PidsLimit: v }).pids, undefined);
  });
  it('block I/O: weight, per-device weights and throttles by the device\'s numbers', () => {
    const r = res({ BlkioWeight: 300, BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 200 }], BlkioDeviceReadBps: [{ Path: '/dev/disk0', Rate: 1048576 }], BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 10 }] });
    assert.deepEqual(r.blockIO, {
      weight: 300,
      weightDevice: [{ major: 8, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 10 }],
    });
    refused(() => res({ BlkioDeviceReadBps: [{ Path: '/dev/nope', Rate: 1 }] }), 'NO_SUCH_DEVICE', /\/dev\/nope/);
  });
  it('keeps the device rules it is given', () => {
    assert.deepEqual(buildResources({}, [{ allow: true, access: 'rwm' }], fakeHost()).devices, [{ allow: true, access: 'rwm' }]);
  });
});

describe('buildRlimits', () => {
  const rl = (list: Ulimit[], limits?: Record<string, { soft: number; hard: number }>, canRaise = false) => {
    const warnings: string[] = [];
    const out = buildRlimits(list, limits ? { rlimits: { limits, canRaise } } : {}, warnings);
    return { out, warnings };
  };
  it('none when none is asked', () => {
    assert.equal(rl([]).out, undefined);
    assert.equal(buildRlimits(null, {}, []), undefined);
  });
  it('RLIMIT_<NAME> in the order given, -1 as unlimited', () => {
    assert.deepEqual(rl([{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'NPROC', Soft: -1, Hard: -1 }, { Name: 'core', Soft: 0, Hard: 0 }]).out, [
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
      { type: 'RLIMIT_NPROC', soft: RLIMIT_UNLIMITED, hard: RLIMIT_UNLIMITED },
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
    ]);
  });
  it('refuses unknown names and a soft limit above the hard one', () => {
    refused(() => rl([{ Name: 'bogus', Soft: 1, Hard: 1 }]), 'BAD_ULIMIT', /^invalid ulimit type: bogus$/);
    refused(() => rl([{ Name: 'nofile', Soft: 10, Hard: 5 }]), 'BAD_ULIMIT', /^ulimit soft limit must be less than or equal to hard limit: 10 > 5$/);
    refused(() => rl([{ Name: 'nofile', Soft: -1, Hard: 5 }]), 'BAD_ULIMIT', /unlimited > 5/);
  });
  it('lowers a hard limit above the inherited one to it, soft with it, and warns — unless the engine may raise it', () => {
    const limits = { RLIMIT_NPROC: { soft: 96365, hard: 96365 }, RLIMIT_NOFILE: { soft: 1024, hard: 524288 } };
    const { out, warnings } = rl([{ Name: 'nproc', Soft: -1, Hard: -1 }, { Name: 'nofile', Soft: 1024, Hard: 2048 }], limits);
    assert.deepEqual(out, [{ type: 'RLIMIT_NPROC', soft: 96365, hard: 96365 }, { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
    assert.deepEqual(warnings, ["ulimit nproc: hard limit unlimited is above the engine's own (96365), which it cannot raise without CAP_SYS_RESOURCE; using 96365"]);
    const lowSoft = rl([{ Name: 'nproc', Soft: 10, Hard: 200000 }], limits).out;
    assert.deepEqual(lowSoft, [{ type: 'RLIMIT_NPROC', soft: 10, hard: 96365 }]);
    assert.deepEqual(rl([{ Name: 'nproc', Soft: -1, Hard: -1 }], limits, true).out, [{ type: 'RLIMIT_NPROC', soft: RLIMIT_UNLIMITED, hard: RLIMIT_UNLIMITED }]);
  });
});
