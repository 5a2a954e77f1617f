import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Container } from './container.js';
import { goDuration, HealthMonitors, probeCommand, type ProbeResult } from './health.js';

const MS = 1e6;

function container(healthcheck: Record<string, unknown> | undefined, startedAgoMs = 0): Container {
  return {
    ID: 'a'.repeat(64),
    Config: { Healthcheck: healthcheck, Shell: null },
    State: { Running: true, StartedAt: new Date(Date.now() - startedAgoMs).toISOString() },
  } as unknown as Container;
}

/** Monitors whose probe answers from a script of results; what they report is recorded. */
function monitors(results: ProbeResult[]) {
  const statuses: string[] = [];
  const probes: string[][] = [];
  let saves = 0;
  const m = new HealthMonitors(
    async (_c, cmd) => {
      probes.push(cmd);
      return results.shift() ?? { exitCode: 0, output: '' };
    },
    (_c, s) => statuses.push(s),
    () => saves++,
  );
  return { m, statuses, probes, saves: () => saves };
}

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await sleep(5);
  assert.ok(f(), 'timed out');
}

describe('health checks', () => {
  it('runs CMD as given and CMD-SHELL through the shell; NONE or nothing is no check', () => {
    assert.deepEqual(probeCommand(container({ Test: ['CMD', 'curl', '-f', 'x'] })), ['curl', '-f', 'x']);
    assert.deepEqual(probeCommand(container({ Test: ['CMD-SHELL', 'test -f /ok'] })), ['/bin/sh', '-c', 'test -f /ok']);
    const withShell = container({ Test: ['CMD-SHELL', 'x'] });
    withShell.Config.Shell = ['/bin/bash', '-ec'];
    assert.deepEqual(probeCommand(withShell), ['/bin/bash', '-ec', 'x']);
    assert.equal(probeCommand(container({ Test: ['NONE'] })), undefined);
    assert.equal(probeCommand(container(undefined)), undefined);
  });

  it('starts as starting, turns unhealthy after `retries` failures in a row and healthy at a success', async () => {
    const fail = { exitCode: 1, output: 'no\n' };
    const { m, statuses, probes } = monitors([fail, fail, { exitCode: 0, output: 'yes\n' }]);
    const c = container({ Test: ['CMD', 'check'], Interval: 10 * MS, Retries: 2 });
    m.watch(c, true);
    assert.equal(c.State.Health?.Status, 'starting');
    assert.equal(probes.length, 0, 'the first probe comes an interval after the start');
    await until(() => statuses.length === 2);
    m.stop(c.ID);
    assert.deepEqual(statuses, ['unhealthy', 'healthy']);
    const h = c.State.Health!;
    assert.equal(h.FailingStreak, 0);
    assert.deepEqual(h.Log.map((e) => [e.ExitCode, e.Output]), [[1, 'no\n'], [1, 'no\n'], [0, 'yes\n']]);
    assert.ok(Date.parse(h.Log[0]!.End) >= Date.parse(h.Log[0]!.Start));
  });

  it('does not count failures in the start period before a success, keeps five results, cuts output to 4096 bytes', async () => {
    const long = { exitCode: 1, output: 'x'.repeat(5000) };
    const { m, statuses } = monitors(Array.from({ length: 1000 }, () => long));
    const c = container({ Test: ['CMD', 'check'], Interval: 5 * MS, Retries: 1, StartPeriod: 60_000 * MS });
    m.watch(c, true);
    await until(() => c.State.Health!.Log.length === 5 && Date.parse(c.State.Health!.Log[4]!.Start) > 0);
    await sleep(40);
    m.stop(c.ID);
    assert.deepEqual(statuses, [], 'still starting: its failures do not count yet');
    assert.equal(c.State.Health!.FailingStreak, 0);
    assert.equal(c.State.Health!.Log.length, 5);
    assert.equal(c.State.Health!.Log[0]!.Output.length, 4096);
  });

  it('a stopped container is unhealthy; a new start begins again, a daemon restart keeps the status', () => {
    const { m } = monitors([]);
    const c = container({ Test: ['CMD', 'check'], Interval: 1000 * MS });
    m.watch(c, true);
    c.State.Health = { Status: 'healthy', FailingStreak: 0, Log: [] };
    m.stopped(c);
    assert.deepEqual(c.State.Health, { Status: 'unhealthy', FailingStreak: 0, Log: [] });
    c.State.Health = { Status: 'healthy', FailingStreak: 0, Log: [] };
    m.watch(c, false);
    assert.equal(c.State.Health.Status, 'healthy');
    m.watch(c, true);
    assert.equal(c.State.Health!.Status, 'starting');
    m.stopAll();
  });

  it("words durations as Go's time.Duration", () => {
    assert.equal(goDuration(30e9), '30s');
    assert.equal(goDuration(90e9), '1m30s');
    assert.equal(goDuration(3600e9 + 1.5e9), '1h0m1.5s');
    assert.equal(goDuration(500e6), '500ms');
  });
});
