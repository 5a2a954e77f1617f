import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { describe, it } from 'node:test';
import type { CgroupLayout } from '../cgroups/layout.js';
import { emptyStats } from '../cgroups/stats.js';
import { initialState, type Container } from './container.js';
import type { EngineContext } from './context.js';
import { emptyStatsJson, statsJson, type StatsSample } from './stats.js';

const c = { ID: 'c'.repeat(64), Name: '/bth-stats', State: { ...initialState(), Running: true, Status: 'running' } } as Container;

const ctxWith = (layout: CgroupLayout): EngineContext => ({ runtime: { cgroupLayout: () => layout } }) as unknown as EngineContext;
const v1: CgroupLayout = { kind: 'v1', v1: [{ mountPoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], key: 'memory' }], unified: undefined };
const v2: CgroupLayout = { kind: 'v2', v1: [], unified: { mountPoint: '/sys/fs/cgroup', controllers: ['memory', 'cpu'] } };

function sample(read: string, total: number, system: number): StatsSample {
  const s = emptyStats();
  s.cpu.usage = { total, percpu: [total / 2, total / 2], kernel: 10, user: 20 };
  s.cpu.throttling = { periods: 3, throttled_periods: 1, throttled_time: 5 };
  s.memory.usage = { usage: 4096, limit: 64 * 1024 * 1024, max: 8192, failcnt: 2 };
  s.memory.raw = { total_inactive_file: 1024, cache: 5, active_anon: 7 };
  s.pids = { current: 2, limit: 0 };
  s.blkio.ioServiceBytesRecursive = [{ major: 8, minor: 0, op: 'Read', value: 512 }];
  return { read, cgroup: s, systemCpu: system, onlineCpus: 2 };
}

describe('docker stats: the StatsJSON shape', () => {
  it('a reading with the one before as precpu; v1 memory with max_usage and failcnt; keys sorted', () => {
    const j = statsJson(ctxWith(v1), c, sample('2026-01-01T00:00:01.000Z', 2000, 9000), sample('2026-01-01T00:00:00.000Z', 1000, 8000));
    assert.equal(j.read, '2026-01-01T00:00:01.000Z');
    assert.equal(j.preread, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(j.cpu_stats, { cpu_usage: { total_usage: 2000, percpu_usage: [1000, 1000], usage_in_kernelmode: 10, usage_in_usermode: 20 }, system_cpu_usage: 9000, online_cpus: 2, throttling_data: { periods: 3, throttled_periods: 1, throttled_time: 5 } });
    assert.equal(j.precpu_stats.cpu_usage.total_usage, 1000);
    assert.deepEqual(j.memory_stats, { usage: 4096, max_usage: 8192, stats: { active_anon: 7, cache: 5, total_inactive_file: 1024 }, failcnt: 2, limit: 64 * 1024 * 1024 });
    assert.deepEqual(Object.keys(j.memory_stats.stats!), ['active_anon', 'cache', 'total_inactive_file']);
    assert.deepEqual(j.pids_stats, { current: 2 });
    assert.deepEqual(j.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'Read', value: 512 }]);
    assert.deepEqual(j.blkio_stats.sectors_recursive, []);
    assert.equal(j.name, '/bth-stats');
    assert.equal(j.id, c.ID);
  });

  it('the first reading of a stream: zero precpu and time; v2 memory without v1 fields', () => {
    const j = statsJson(ctxWith(v2), c, sample('2026-01-01T00:00:01.000Z', 2000, 9000), undefined);
    assert.equal(j.preread, '0001-01-01T00:00:00Z');
    assert.deepEqual(j.precpu_stats, { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } });
    assert.equal('max_usage' in j.memory_stats, false);
    assert.equal('failcnt' in j.memory_stats, false);
  });

  it('no limit (or a larger one than the machine has) reads as the machine memory', () => {
    const s = sample('x', 1, 1);
    s.cgroup.memory.usage.limit = 9223372036854771712;
    assert.equal(statsJson(ctxWith(v1), c, s, undefined).memory_stats.limit, totalmem());
    s.cgroup.memory.usage.limit = 0;
    assert.equal(statsJson(ctxWith(v1), c, s, undefined).memory_stats.limit, totalmem());
  });

  it("a container that is not running: dockerd's zeros and nulls", () => {
    assert.equal(
      JSON.stringify(emptyStatsJson(c)),
      JSON.stringify({
        read: '0001-01-01T00:00:00Z',
        preread: '0001-01-01T00:00:00Z',
        pids_stats: {},
        blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
        num_procs: 0,
        storage_stats: {},
        cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
        precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
        memory_stats: {},
        name: '/bth-stats',
        id: c.ID,
      }),
    );
  });
});
