import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../errors/engine-error.js';
import { compileTemplate } from './format/template.js';
import { bytesSize, eventForTemplate, eventLine, goTimestamp, rfc3339NanoFixed, statsEntry, statsRow, tabwrite } from './monitor-format.js';

describe("Go's tabwriter", () => {
  it('docker top: min width 20, padding 3; the last cell is not padded', () => {
    assert.equal(tabwrite(['UID\tPID\tCMD', 'root\t4242\tsleep 1000'], 20, 3), `${'UID'.padEnd(20)}${'PID'.padEnd(20)}CMD\n${'root'.padEnd(20)}${'4242'.padEnd(20)}sleep 1000\n`);
  });
  it('a wide cell widens its column; lines without tabs end a block', () => {
    assert.equal(tabwrite(['a\tb', 'wider than that\tc', 'plain', 'x\ty'], 5, 1), 'a               b\nwider than that c\nplain\nx    y\n');
  });
});

describe('docker stats arithmetic', () => {
  const v = {
    name: '/bth-web',
    id: 'f'.repeat(64),
    cpu_stats: { cpu_usage: { total_usage: 3_000_000, percpu_usage: [1, 2] }, system_cpu_usage: 20_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 10_000_000 },
    memory_stats: { usage: 10 * 1024 * 1024, limit: 64 * 1024 * 1024, stats: { total_inactive_file: 2 * 1024 * 1024 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 8192 }, { op: 'Write', value: 1000 }, { op: 'Total', value: 9192 }, { op: 'read', value: 8 }] },
    pids_stats: { current: 3 },
    networks: { eth0: { rx_bytes: 1500, tx_bytes: 20 } },
  };

  it('CPU % against the machine, memory without inactive files, block and network sums', () => {
    const e = statsEntry('web', v);
    assert.equal(e.cpuPercent, 40);
    assert.equal(e.memory, 8 * 1024 * 1024);
    assert.equal(e.memoryPercent, 12.5);
    assert.deepEqual([e.blockRead, e.blockWrite, e.netRx, e.netTx, e.pids], [8200, 1000, 1500, 20, 3]);
  });

  it("the row docker's table and --format see", () => {
    assert.deepEqual(statsRow(statsEntry('web', v), true), {
      BlockIO: '8.2kB / 1kB',
      CPUPerc: '40.00%',
      Container: 'web',
      ID: 'ffffffffffff',
      MemPerc: '12.50%',
      MemUsage: '8MiB / 64MiB',
      Name: 'bth-web',
      NetIO: '1.5kB / 20B',
      PIDs: '3',
    });
  });

  it('a container that is not running, and one with no numbers', () => {
    const stopped = statsRow(statsEntry('c', { name: '/c', id: 'abc' }), true);
    assert.deepEqual([stopped.CPUPerc, stopped.MemUsage, stopped.MemPerc, stopped.BlockIO, stopped.PIDs], ['0.00%', '0B / 0B', '0.00%', '0B / 0B', '0']);
    const none = statsRow({ ...statsEntry('x', {}), invalid: true }, true);
    assert.deepEqual([none.Name, none.CPUPerc, none.MemUsage, none.PIDs], ['--', '--', '-- / --', '--']);
  });

  it('binary sizes, four significant digits', () => {
    assert.deepEqual([0, 512, 1024, 757760, 25276510208].map(bytesSize), ['0B', '512B', '1KiB', '740KiB', '23.54GiB']);
  });
});

describe('docker events printing', () => {
  const e = { status: 'die', id: 'abc', from: 'busybox', Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { name: 'x', exitCode: '0', image: 'busybox' } }, scope: 'local', time: 1795377499, timeNano: 1795377499852888146 };

  it('time to the nanosecond in the local zone, attributes sorted', () => {
    assert.equal(eventLine(e, 1795377499852888146n, 0), '2026-11-22T19:58:19.852888146Z container die abc (exitCode=0, image=busybox, name=x)\n');
    assert.equal(eventLine({ ...e, Actor: { ID: '', Attributes: {} } }, 1795377499000000001n, -90), '2026-11-22T21:28:19.000000001+01:30 container die \n');
    assert.equal(rfc3339NanoFixed(0n, 300), '1969-12-31T19:00:00.000000000-05:00');
  });

  it("templates see Go's field names; json keeps the API's", () => {
    const t = compileTemplate('{{.Status}} {{.ID}} {{.From}} {{.Scope}} {{.Actor.Attributes.name}}');
    assert.equal(t.execute(eventForTemplate(e)), 'die abc busybox local x');
    assert.equal(compileTemplate('{{json .}}').execute(eventForTemplate(e)), JSON.stringify(e));
  });
});

describe('--since/--until as the docker client sends them', () => {
  const now = Date.parse('2026-11-22T20:00:00Z');
  it('durations ago, dates in the zone they name or the local one, unix times as they are', () => {
    assert.equal(goTimestamp('10m', now), String(now / 1000 - 600));
    assert.equal(goTimestamp('1h30m', now), String(now / 1000 - 5400));
    assert.equal(goTimestamp('0', now), '0');
    assert.equal(goTimestamp('1795377499.5', now), '1795377499.5');
    assert.equal(goTimestamp('2026-11-22T19:58:19Z', now, 0), '1795377499.000000000');
    assert.equal(goTimestamp('2026-11-22T19:58:19.25+01:00', now, 0), '1795373899.250000000');
    assert.equal(goTimestamp('2026-11-22', now, -60), '1795302000.000000000');
    assert.equal(goTimestamp('2026-11-22T19', now, 0), '1795374000.000000000');
  });
  it('anything else is refused in the client', () => {
    assert.throws(() => goTimestamp('yesterday', now), (err: unknown) => err instanceof EngineError && err.message === 'failed to parse value as time or duration: "yesterday"');
    assert.throws(() => goTimestamp('2026-13-99x', now), EngineError);
  });
});
