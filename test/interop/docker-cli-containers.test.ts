/**
 * The real docker CLI against berthd (DOCKER_HOST), and berth's own
 * --runtime runc: the container commands people type, answered by berth.
 * Root, docker's CLI and runc; a private berthd; unique bth names.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfs, uniqueId } from '../helpers/bundle.js';
import { startBerthd, type TestDaemon } from '../helpers/berthd.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root', 'docker', 'runc');

describe('docker CLI and --runtime runc against berthd', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  const names: string[] = [];
  const docker = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: d.host }, input: input ?? '', encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const name = (): string => {
    const n = uniqueId('bth-dcli');
    names.push(n);
    return n;
  };

  before(async () => {
    d = await startBerthd('dcli');
    work = mkdtempSync(join(tmpdir(), 'berth-dcli-'));
    execFileSync('tar', ['-C', busyboxRootfs(), '-cf', join(work, 'busybox.tar'), '.']);
    assert.equal(d.berth(['import', join(work, 'busybox.tar'), 'bth-busybox']).status, 0);
  });

  after(async () => {
    for (const n of names) d.berth(['rm', '-f', n]);
    await d.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('docker run, with output, exit code and --rm', () => {
    const r = docker(['run', '--rm', 'bth-busybox', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    assert.equal(r.status, 5, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(docker(['run', '--rm', '-i', 'bth-busybox', 'cat'], 'piped\n').stdout, 'piped\n');
    const missingCmd = docker(['run', '--rm', 'bth-busybox', 'bth-none']);
    assert.equal(missingCmd.status, 127);
  });

  it('docker run -d, ps, logs, exec, stop, inspect, rm', () => {
    const n = name();
    const id = docker(['run', '-d', '--name', n, 'bth-busybox', 'sh', '-c', 'echo started; trap "exit 0" TERM; while :; do sleep 0.1; done']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match(docker(['ps', '--format', '{{.Names}} {{.Status}}']).stdout, new RegExp(`${n} Up`));
    const ex = docker(['exec', n, 'sh', '-c', 'echo in exec; exit 7']);
    assert.equal(ex.status, 7);
    assert.equal(ex.stdout, 'in exec\n');
    const missing = docker(['exec', n, 'no-such-program']);
    assert.equal(missing.status, 126, missing.stderr);
    assert.match(missing.stdout, /OCI runtime exec failed: .*executable file not found in \$PATH/);
    assert.equal(docker(['logs', n]).stdout, 'started\n');
    assert.equal(docker(['stop', n]).status, 0);
    assert.equal(docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', n]).stdout, 'exited 0\n');
    assert.equal(docker(['rm', n]).status, 0);
    assert.match(docker(['inspect', n]).stderr, /No such (object|container)/);
  });

  it('runs containers and execs under runc with --runtime runc', () => {
    const n = name();
    assert.equal(d.berth(['run', '--rm', '--runtime', 'runc', 'bth-busybox', 'sh', '-c', 'echo under runc']).stdout, 'under runc\n');
    assert.equal(d.berth(['run', '-d', '--name', n, '--runtime', 'runc', 'bth-busybox', 'sleep', '100']).status, 0);
    const ex = d.berth(['exec', n, 'sh', '-c', 'exit 4']);
    assert.equal(ex.status, 4);
    const state = JSON.parse(execFileSync('runc', ['--root', join(d.execRoot, 'runtimes', 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' }) || '[]') as { id: string; status: string }[];
    assert.ok(state.some((s) => s.status === 'running'), 'runc knows the container');
    const id = JSON.parse(d.berth(['container', 'inspect', n]).stdout)[0].Id as string;
    assert.equal(d.berth(['rm', '-f', n]).status, 0);
    assert.ok(!existsSync(`/sys/fs/cgroup/pids/berth/${id}`), 'runc removed the container\'s cgroup');
    if (existsSync('/sys/fs/cgroup/pids/berth')) {
      const others = readdirSync('/sys/fs/cgroup/pids/berth', { withFileTypes: true }).filter((e) => e.isDirectory());
      assert.ok(others.length > 0, 'berth\'s /berth parent is not left empty after the last container');
    }
    const after = JSON.parse(execFileSync('runc', ['--root', join(d.execRoot, 'runtimes', 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' }) || 'null') as unknown[] | null;
    assert.equal(after?.length ?? 0, 0, 'runc\'s state is gone with the container');
    const bad = d.berth(['run', '--rm', '--runtime', 'bth-nope', 'bth-busybox', 'true']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /unknown or invalid runtime name: bth-nope/);
  });
});
