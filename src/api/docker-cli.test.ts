import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineError } from '../errors/engine-error.js';
import { frameWriter, StdStream } from '../lib/stdcopy.js';
import { startTestServer, type TestServer } from './testing.js';

/**
 * The real docker CLI against this server: docker.io 20.10's (API 1.41,
 * /usr/bin/docker on Debian) and whichever `docker` is first on PATH. No
 * dockerd is involved: the container routes here are stand-ins, enough for
 * the CLI's requests.
 */
function dockerClis(): { path: string; label: string }[] {
  const found = new Map<string, string>();
  const onPath = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim();
  for (const p of ['/usr/bin/docker', onPath]) {
    if (!p || !existsSync(p)) continue;
    const real = realpathSync(p);
    if (found.has(real)) continue;
    const v = spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout.trim();
    found.set(real, `${p} (${v})`);
  }
  return [...found.entries()].map(([path, label]) => ({ path, label }));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process, which serves its requests. */
function docker(bin: string, ts: TestServer, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DOCKER_HOST: `unix://${ts.socketPath}`, DOCKER_CONFIG: join(ts.dir, 'docker-config'), HOME: ts.dir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

/** A stand-in container "web" without a TTY: attach writes to both streams, echoes stdin, and it exits 3. */
function registerFakeContainer(ts: TestServer): void {
  let exited!: (code: number) => void;
  const exit = new Promise<number>((r) => (exited = r));
  const inspect = {
    Id: 'c0ffee',
    Name: '/web',
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, ExitCode: 0 },
    Config: { Tty: false, OpenStdin: true, AttachStdin: false },
    HostConfig: {},
  };
  const r = ts.server.router;
  r.get('/containers/:id/json', (ctx) => {
    if (ctx.params['id'] !== 'web') throw new EngineError('NotFound', 'NO_SUCH_CONTAINER', `No such container: ${ctx.params['id']}`);
    return inspect;
  });
  r.post('/containers/:id/stop', (ctx) => {
    throw new EngineError('NotFound', 'NO_SUCH_CONTAINER', `No such container: ${ctx.params['id']}`);
  });
  r.post('/containers/:id/wait', async (ctx) => {
    const s = ctx.stream();
    await s.writeJson({ StatusCode: await exit, Error: null });
  });
  r.post(
    '/containers/:id/attach',
    async (ctx) => {
      const { socket } = await ctx.hijack({ multiplexed: true });
      const out = frameWriter(socket, StdStream.Stdout);
      const err = frameWriter(socket, StdStream.Stderr);
      out.write('hello from stdout\n');
      err.write('hello from stderr\n');
      let input = '';
      socket.on('data', (d: Buffer) => (input += d.toString()));
      // the CLI sends stdin and closes its side; the container "reads" it and exits
      await new Promise((resolve) => socket.once('end', resolve));
      out.write(`got: ${input}`);
      exited(3);
      await new Promise<void>((resolve) => out.end(resolve));
    },
    { hijack: true },
  );
}

const clis = dockerClis();
if (clis.length === 0) test('docker CLI against berth\'s API server', { skip: 'no docker CLI installed (Debian: apt-get install docker.io)' }, () => {});

for (const cli of clis) {
  test(`docker CLI ${cli.label}: version, errors, attach through a hijacked connection`, async (t) => {
    const ts = await startTestServer({ version: { version: '0.1.0-test', gitCommit: 'abc1234' } });
    t.after(() => ts.stop());
    registerFakeContainer(ts);

    const v = await docker(cli.path, ts, ['version', '--format', '{{.Server.Version}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '0.1.0-test');
    const api = await docker(cli.path, ts, ['version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}']);
    assert.equal(api.stdout.trim(), '1.47 1.24 linux');

    const full = await docker(cli.path, ts, ['version']);
    assert.equal(full.code, 0, full.stderr);
    assert.match(full.stdout, /Server: berth\n Engine:\n {2}Version:\s+0\.1\.0-test\n {2}API version:\s+1\.47 \(minimum version 1\.24\)/);

    const stop = await docker(cli.path, ts, ['stop', 'nope']);
    assert.equal(stop.code, 1);
    assert.equal(stop.stderr.trim(), 'Error response from daemon: No such container: nope');

    const attach = await docker(cli.path, ts, ['attach', 'web'], 'typed\n');
    assert.equal(attach.stdout, 'hello from stdout\ngot: typed\n');
    assert.equal(attach.stderr, 'hello from stderr\n');
    assert.equal(attach.code, 3, 'the exit code from wait');
    // the CLI negotiated: 20.10 stays at its 1.41, newer ones come down to 1.47
    assert.ok(ts.logger.lines.some((l) => /POST \/v1\.4[17]\/containers\/web\/attach\?.* 101 .*\(hijacked\)/.test(l)), ts.logger.lines.join('\n'));
  });
}
