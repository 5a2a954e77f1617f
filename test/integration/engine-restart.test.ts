/**
 * The daemon-restart fault test of the engine issue: berthd is killed with
 * SIGKILL while 20 containers start in parallel, then started again. Every
 * container must then be running and tracked, or exited with its exit code
 * recorded, or (its start cut short) created with nothing of it left
 * running or mounted; a create cut short leaves nothing. After everything
 * is removed no mount, cgroup or monitor is left.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { readMountInfo } from '../../src/sys/mountinfo.js';
import { busyboxRootfs, uniqueId } from '../helpers/bundle.js';
import { BERTH, processesUnder, startBerthd, type TestDaemon } from '../helpers/berthd.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root');

function berthdPids(dir: string): number[] {
  return processesUnder(dir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('berthd');
    } catch {
      return false;
    }
  });
}

function run(env: NodeJS.ProcessEnv, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BERTH, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function cgroupsOf(id: string): string[] {
  const found: string[] = [];
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    if (existsSync(`/sys/fs/cgroup/${controller}/berth/${id}`)) found.push(`${controller}/berth/${id}`);
  }
  return found;
}

describe('engine: berthd killed while containers start', { skip }, () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startBerthd('restart');
    work = mkdtempSync(join(tmpdir(), 'berth-restart-'));
    execFileSync('tar', ['-C', busyboxRootfs(), '-cf', join(work, 'busybox.tar'), '.']);
    assert.equal(d.berth(['import', join(work, 'busybox.tar'), 'bth-busybox']).status, 0);
  });

  after(async () => {
    await d.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const logs = (): string => `${d.log().slice(-3000)}\n--- started by berth:\n${existsSync(join(d.execRoot, 'berthd.log')) ? readFileSync(join(d.execRoot, 'berthd.log'), 'utf8').slice(-3000) : 'none'}`;

  it('leaves every container running and tracked, exited with its code, or cleanly not started', async () => {
    const prefix = uniqueId('bth-rst');
    const names = Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
    // even: long-running; odd: end after a second with exit code i
    const runs = names.map((n, i) => run(d.env, ['run', '-d', '--name', n, 'bth-busybox', 'sh', '-c', i % 2 === 0 ? 'sleep 60' : `sleep 1; exit ${i}`]));
    // the kill lands while starts are under way: once the first few containers run (20 CLIs
    // starting at once on a loaded machine may take a while to reach berthd at all)
    const runningNow = (): number => d.berth(['ps', '-q']).stdout.split('\n').filter(Boolean).length;
    for (let waited = 0; waited < 10_000 && runningNow() < 3; waited += 50) await sleep(50);
    const killedAt = new Date().toISOString();
    const first = berthdPids(d.dir);
    assert.equal(first.length, 1);
    process.kill(first[0]!, 'SIGKILL');
    await Promise.all(runs);

    // berth brings berthd back (root, no daemon answering): the clients cut off by the kill, or this ps
    const killed = new Set(first);
    assert.equal(d.berth(['ps']).status, 0, 'berthd is back');
    const now = berthdPids(d.dir);
    assert.equal(now.length, 1, 'one berthd serves the data root');
    assert.ok(!killed.has(now[0]!), 'it is a new one');
    await sleep(2000); // the odd ones that started have ended by now

    const ps = d.berth(['ps', '-a', '--no-trunc', '--format', '{{.Names}}']);
    assert.equal(ps.status, 0, ps.stderr);
    const present = new Set(ps.stdout.split('\n').filter(Boolean));
    let running = 0;
    let exited = 0;
    let created = 0;
    for (const [i, n] of names.entries()) {
      if (!present.has(n)) continue; // its create never happened, or was undone
      const c = JSON.parse(d.berth(['container', 'inspect', n]).stdout)[0];
      const runDir = join(d.execRoot, 'c', c.Id);
      if (c.State.Running) {
        running++;
        assert.equal(i % 2, 0, `${n} runs, so it must be a long one`);
        assert.ok(existsSync(`/proc/${c.State.Pid}`), `${n}: its process ${c.State.Pid} is alive`);
      } else if (c.State.Status === 'exited') {
        exited++;
        assert.equal(i % 2, 1, `${n} exited, so it must be a short one: ${JSON.stringify(c.State)}\n${logs()}`);
        assert.equal(c.State.ExitCode, i, `${n}: its exit code is recorded (killed at ${killedAt}): ${JSON.stringify(c.State)}\n${d.log().slice(-3000)}\n--- auto-started:\n${existsSync(join(d.execRoot, "berthd.log")) ? readFileSync(join(d.execRoot, "berthd.log"), "utf8").slice(-3000) : "none"}`);
        assert.ok(!existsSync(runDir), `${n}: its monitor's directory is gone`);
      } else {
        created++;
        assert.equal(c.State.Status, 'created', `${n}: ${JSON.stringify(c.State)}`);
        assert.ok(!existsSync(runDir), `${n}: nothing of a cut-short start is left`);
        assert.deepEqual(cgroupsOf(c.Id), [], `${n}: no cgroups`);
      }
    }
    assert.ok(running + exited > 0, `some containers ran (running ${running}, exited ${exited}, created ${created})`);

    // then everything goes, and nothing of any of them may stay
    const allIds = readdirSync(join(d.dataRoot, 'containers')).filter((x) => /^[0-9a-f]{64}$/.test(x));
    for (const n of names) if (present.has(n)) assert.equal(d.berth(['rm', '-f', n]).status, 0);
    const ids = readdirSync(join(d.dataRoot, 'containers')).filter((x) => /^[0-9a-f]{64}$/.test(x));
    assert.deepEqual(ids, [], 'no container directory is left');
    const mounts = readMountInfo('self').filter((m) => m.mountPoint.startsWith(`${d.dir}/`));
    assert.deepEqual(mounts.map((m) => m.mountPoint), [], 'nothing is mounted');
    const shims = processesUnder(d.dir).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('berth-shim'));
    assert.deepEqual(shims, [], 'no monitor is left');
    assert.deepEqual(allIds.flatMap(cgroupsOf), [], 'no cgroup is left');
  });
});
