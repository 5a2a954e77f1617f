import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineError, type ErrorKind, isEngineError } from '../errors/engine-error.js';
import { FrameDecoder, frameWriter, StdStream } from '../lib/stdcopy.js';
import { ApiServer, createApiServer } from './server.js';
import { httpRequest, rawExchange, startTestServer, waitFor } from './testing.js';

test('/_ping: GET and HEAD, with dockerd\'s headers', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  for (const path of ['/_ping', '/v1.41/_ping']) {
    const r = await httpRequest(ts.socketPath, 'GET', path);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'OK');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['api-version'], '1.47');
    assert.equal(r.headers['docker-experimental'], 'false');
    assert.equal(r.headers['ostype'], 'linux');
    assert.equal(r.headers['server'], 'berth/0.1.0-test (linux)');
    assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(r.headers['pragma'], 'no-cache');
    assert.equal(r.headers['builder-version'], '1');
    assert.equal(r.headers['swarm'], 'inactive');
  }
  const head = await httpRequest(ts.socketPath, 'HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(head.headers['content-length'], '0');
  assert.equal(head.headers['api-version'], '1.47');
});

test('/version: Docker\'s shape, fed by VersionInfo', async (t) => {
  const ts = await startTestServer({
    version: { version: '1.2.3', gitCommit: 'deadbee', buildTime: '2026-01-02T03:04:05.000000000+00:00', kernelVersion: '6.1.0-test', components: [{ Name: 'berth-runtime', Version: '1.2.3' }] },
  });
  t.after(() => ts.stop());
  const r = await httpRequest(ts.socketPath, 'GET', '/v1.41/version');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.ok(r.body.endsWith('}\n'));
  const v = JSON.parse(r.body);
  assert.equal(v.Platform.Name, 'berth');
  assert.equal(v.Version, '1.2.3');
  assert.equal(v.ApiVersion, '1.47');
  assert.equal(v.MinAPIVersion, '1.24');
  assert.equal(v.GitCommit, 'deadbee');
  assert.equal(v.GoVersion, `node ${process.version}`);
  assert.equal(v.Os, 'linux');
  assert.match(v.Arch, /^(amd64|arm64|arm|386|ppc64le|s390x|riscv64|loong64|mips|mipsle)$/);
  assert.equal(v.KernelVersion, '6.1.0-test');
  assert.equal(v.BuildTime, '2026-01-02T03:04:05.000000000+00:00');
  assert.equal('Experimental' in v, false, 'omitted when false, as dockerd');
  assert.deepEqual(v.Components.map((c: any) => c.Name), ['Engine', 'berth-runtime']);
  assert.deepEqual(v.Components[0].Details, {
    ApiVersion: '1.47', Arch: v.Arch, BuildTime: v.BuildTime, Experimental: 'false', GitCommit: 'deadbee', GoVersion: v.GoVersion, KernelVersion: '6.1.0-test', MinAPIVersion: '1.24', Os: 'linux',
  });
});

test('/info: served by the hook the daemon passes, absent without one', async (t) => {
  const ts = await startTestServer({ info: (ctx) => ({ ID: 'berth-test', ServerVersion: '0.1.0-test', AskedAt: ctx.version }) });
  t.after(() => ts.stop());
  assert.deepEqual(JSON.parse((await httpRequest(ts.socketPath, 'GET', '/v1.41/info')).body), { ID: 'berth-test', ServerVersion: '0.1.0-test', AskedAt: '1.41' });
  const bare = await startTestServer();
  t.after(() => bare.stop());
  assert.equal((await httpRequest(bare.socketPath, 'GET', '/info')).status, 404);
});

test('version prefix: stripped, handed to the handler, checked against the range', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.get('/echo/:id', (ctx) => ({ version: ctx.version, id: ctx.params['id'], path: ctx.path, all: ctx.query.bool('all') }));
  assert.deepEqual(JSON.parse((await httpRequest(ts.socketPath, 'GET', '/v1.41/echo/x%20y?all=1')).body), { version: '1.41', id: 'x y', path: '/echo/x%20y', all: true });
  assert.deepEqual(JSON.parse((await httpRequest(ts.socketPath, 'GET', '/echo/a')).body), { version: '1.47', id: 'a', path: '/echo/a', all: false });

  const tooNew = await httpRequest(ts.socketPath, 'GET', '/v1.99/echo/a');
  assert.equal(tooNew.status, 400);
  assert.equal(tooNew.body, '{"message":"client version 1.99 is too new. Maximum supported API version is 1.47"}\n');
  assert.equal(tooNew.headers['api-version'], '1.47');

  const tooOld = await httpRequest(ts.socketPath, 'GET', '/v1.12/_ping');
  assert.equal(tooOld.status, 400);
  assert.equal(tooOld.headers['content-type'], 'text/plain; charset=utf-8', 'dockerd answers clients below 1.24 in text');
  assert.equal(tooOld.body, 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n');

  assert.equal((await httpRequest(ts.socketPath, 'GET', '/v1.99/nothing-here')).status, 404, 'an unknown path is a 404 before the version is checked');
});

test('unknown paths and wrong methods: 404 "page not found", as dockerd', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  for (const [method, path] of [['GET', '/nope'], ['POST', '/_ping'], ['DELETE', '/version'], ['GET', '/v1.41/containers/json']]) {
    const r = await httpRequest(ts.socketPath, method!, path!);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.body, '{"message":"page not found"}\n');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['server'], 'berth/0.1.0-test (linux)');
  }
});

test('errors: EngineError kinds become dockerd\'s statuses, the message (with its hint) the body', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  const cases: [ErrorKind, number][] = [
    ['NotFound', 404], ['InvalidArgument', 400], ['Conflict', 409], ['Unauthorized', 401], ['Forbidden', 403], ['Unavailable', 503], ['NotImplemented', 501], ['Internal', 500],
  ];
  ts.server.router.get('/fail/:kind', (ctx) => {
    throw new EngineError(ctx.params['kind'] as ErrorKind, 'SOME_CODE', `no such container: "c1"`, { hint: 'list them with: berth ps -a' });
  });
  for (const [kind, status] of cases) {
    const r = await httpRequest(ts.socketPath, 'GET', `/v1.41/fail/${kind}`);
    assert.equal(r.status, status, kind);
    assert.equal(r.body, '{"message":"no such container: \\"c1\\" (list them with: berth ps -a)"}\n');
    assert.equal(r.headers['berth-error-code'], 'SOME_CODE');
  }
  assert.ok(ts.logger.lines.some((l) => l.startsWith('error: ') && l.includes('/fail/:kind') && l.includes('no such container')), 'a 5xx is logged');

  ts.server.router.get('/bug', async () => {
    await Promise.resolve();
    throw new TypeError('cannot read properties of undefined');
  });
  const bug = await httpRequest(ts.socketPath, 'GET', '/bug');
  assert.equal(bug.status, 500);
  assert.equal(bug.body, '{"message":"cannot read properties of undefined"}\n');
  assert.equal(bug.headers['berth-error-code'], undefined);
  assert.ok(ts.logger.lines.some((l) => l.startsWith('error: ') && l.includes('TypeError') && l.includes('server.test.ts')), 'logged with its stack');
});

test('request bodies: JSON, empty, malformed, wrong Content-Type', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.post('/echo', async (ctx) => ({ got: (await ctx.body()) ?? null }));
  const json = { 'Content-Type': 'application/json' };
  assert.equal((await httpRequest(ts.socketPath, 'POST', '/echo', { body: '{"Image":"busybox"}', headers: json })).body, '{"got":{"Image":"busybox"}}\n');
  assert.equal((await httpRequest(ts.socketPath, 'POST', '/echo', { body: '{"a":1}', headers: { 'Content-Type': 'application/json; charset=utf-8' } })).body, '{"got":{"a":1}}\n');
  assert.equal((await httpRequest(ts.socketPath, 'POST', '/echo')).body, '{"got":null}\n');
  const bad = await httpRequest(ts.socketPath, 'POST', '/echo', { body: '{"Image":', headers: json });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).message, /^invalid JSON: /);
  const wrongType = await httpRequest(ts.socketPath, 'POST', '/echo', { body: '{}', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(wrongType.status, 400);
  assert.equal(JSON.parse(wrongType.body).message, "unsupported Content-Type header (text/plain): must be 'application/json'");
});

test('answers: a returned value, nothing, noContent, text; answering twice is a bug', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.get('/value', () => [{ Id: 'abc' }]);
  ts.server.router.post('/nothing', () => undefined);
  ts.server.router.post('/start', (ctx) => ctx.noContent());
  ts.server.router.post('/created', (ctx) => ctx.json(201, { Id: 'x', Warnings: [] }));
  ts.server.router.get('/twice', (ctx) => {
    ctx.json(200, {});
    ctx.json(200, {});
  });
  assert.equal((await httpRequest(ts.socketPath, 'GET', '/value')).body, '[{"Id":"abc"}]\n');
  const nothing = await httpRequest(ts.socketPath, 'POST', '/nothing');
  assert.deepEqual([nothing.status, nothing.body, nothing.headers['content-length']], [200, '', '0']);
  const started = await httpRequest(ts.socketPath, 'POST', '/start');
  assert.deepEqual([started.status, started.body], [204, '']);
  const created = await httpRequest(ts.socketPath, 'POST', '/created');
  assert.deepEqual([created.status, created.body], [201, '{"Id":"x","Warnings":[]}\n']);
  const twice = await httpRequest(ts.socketPath, 'GET', '/twice');
  assert.equal(twice.status, 200, 'the first answer stands');
  assert.ok(ts.logger.lines.some((l) => l.includes('a response was already started')));
});

test('streams: chunked, one JSON document a line; the handler learns when the client goes away', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  let sawAbort = false;
  let sent = 0;
  ts.server.router.get('/events', async (ctx) => {
    const s = ctx.stream();
    while (!s.closed) {
      await s.writeJson({ seq: sent++ });
      await new Promise((r) => setTimeout(r, 5));
    }
    sawAbort = ctx.signal.aborted;
  });
  const lines = await new Promise<string[]>((resolve, reject) => {
    const req = request({ socketPath: ts.socketPath, path: '/v1.41/events', agent: false }, (res) => {
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      assert.equal(res.headers['content-type'], 'application/json');
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        const got = buf.split('\n').filter(Boolean);
        if (got.length >= 3) {
          req.destroy();
          resolve(got);
        }
      });
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end();
  });
  assert.deepEqual(JSON.parse(lines[0]!), { seq: 0 });
  await waitFor(() => sawAbort, 'the handler to see the client leave');
  await waitFor(() => ts.logger.lines.some((l) => l.includes('GET /v1.41/events 200') && l.includes('client went away')), 'the access log line');

  // a handler that returns ends its stream; one that fails after starting cuts it short
  ts.server.router.get('/logs', async (ctx) => {
    const s = ctx.stream({ contentType: 'application/vnd.docker.raw-stream' });
    await s.write('one\n');
    await s.write(Buffer.from('two\n'));
  });
  const logs = await httpRequest(ts.socketPath, 'GET', '/logs');
  assert.deepEqual([logs.status, logs.headers['content-type'], logs.body], [200, 'application/vnd.docker.raw-stream', 'one\ntwo\n']);
  ts.server.router.get('/broken', async (ctx) => {
    await ctx.stream().write('partial');
    throw new Error('disk on fire');
  });
  await assert.rejects(httpRequest(ts.socketPath, 'GET', '/broken'), /aborted|socket hang up|ECONNRESET/);
});

test('hijack with Upgrade: 101 UPGRADED, the bytes sent after the head first, then both ways until the client closes stdin', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  let handlerDone = false;
  ts.server.router.post('/containers/:id/attach', async (ctx) => {
    const { socket, upgraded, contentType } = await ctx.hijack({ multiplexed: ctx.query.bool('mux') });
    assert.equal(upgraded, true);
    socket.write(`[${ctx.params['id']} ${contentType}]`);
    // not `for await`: its end destroys the socket, and the output goes on after stdin ends
    socket.on('data', (chunk: Buffer) => socket.write(`<${chunk.toString().toUpperCase()}>`));
    await once(socket, 'end');
    socket.write('[stdin closed]');
    handlerDone = true;
  });
  const out = await rawExchange(ts.socketPath, async (s, received) => {
    s.write('POST /v1.41/containers/c1/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly');
    await waitFor(() => received().includes('<EARLY>'), 'the early bytes');
    s.write('later');
    await waitFor(() => received().includes('<LATER>'), 'the echo');
    s.end(); // stdin closed; the handler still writes
  });
  const [head, body] = out.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  assert.equal(lines[0], 'HTTP/1.1 101 UPGRADED');
  assert.ok(lines.includes('Content-Type: application/vnd.docker.raw-stream'), 'raw at 1.41 even for a multiplexed stream');
  assert.ok(lines.includes('Connection: Upgrade') && lines.includes('Upgrade: tcp'));
  assert.ok(lines.includes('Api-Version: 1.47') && lines.includes('Server: berth/0.1.0-test (linux)'));
  assert.equal(body, '[c1 application/vnd.docker.raw-stream]<EARLY><LATER>[stdin closed]');
  assert.equal(handlerDone, true);
  await waitFor(() => ts.logger.lines.some((l) => l.includes('/containers/c1/attach') && l.includes(' 101 ') && l.includes('(hijacked)')), 'the access log');
});

test('hijack at API 1.42+: a multiplexed stream says so, and carries stdcopy frames', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.post('/containers/:id/attach', async (ctx) => {
    const { socket, contentType } = await ctx.hijack({ multiplexed: true });
    assert.equal(contentType, 'application/vnd.docker.multiplexed-stream');
    const out = frameWriter(socket, StdStream.Stdout);
    const err = frameWriter(socket, StdStream.Stderr);
    out.write('hello\n');
    err.write('warning\n');
    await new Promise<void>((r) => out.end(r));
  });
  const raw = await rawExchange(ts.socketPath, (s) => {
    s.write('POST /v1.44/containers/c1/attach HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  });
  const split = raw.indexOf('\r\n\r\n');
  assert.match(raw.slice(0, split), /Content-Type: application\/vnd\.docker\.multiplexed-stream/);
  const frames = new FrameDecoder().push(Buffer.from(raw.slice(split + 4), 'latin1'));
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, 'hello\n'], [2, 'warning\n']]);
});

test('hijack without Upgrade on a { hijack: true } route: the JSON body is read, then stdin is raw', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.post(
    '/exec/:id/start',
    async (ctx) => {
      const opts = (await ctx.body()) as { Tty: boolean };
      const { socket, upgraded, contentType } = await ctx.hijack({ multiplexed: !opts.Tty });
      socket.write(`${upgraded} ${contentType} tty=${opts.Tty}|`);
      socket.on('data', (d: Buffer) => socket.write(d));
      await once(socket, 'end');
    },
    { hijack: true },
  );
  const body = '{"Detach":false,"Tty":true}';
  const out = await rawExchange(ts.socketPath, async (s, received) => {
    s.write(`POST /v1.44/exec/e1/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}ls -l\n`);
    await waitFor(() => received().includes('ls -l\n'), 'the echo');
    s.end();
  });
  const [head, rest] = out.split('\r\n\r\n');
  assert.equal(head!.split('\r\n')[0], 'HTTP/1.1 200 OK');
  assert.match(head!, /Content-Type: application\/vnd\.docker\.raw-stream/);
  assert.doesNotMatch(head!, /Content-Length|Transfer-Encoding/);
  assert.equal(rest, 'false application/vnd.docker.raw-stream tty=true|ls -l\n');

  // a body that arrives in pieces after the head is still read whole
  const slow = await rawExchange(ts.socketPath, async (s, received) => {
    s.write(`POST /exec/e1/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await new Promise((r) => setTimeout(r, 20));
    s.write(body.slice(5) + 'x');
    await waitFor(() => received().endsWith('|x'), 'the echo');
    s.end();
  });
  assert.ok(slow.endsWith('tty=true|x'));
});

test('hijack routes answer in HTTP when the handler fails first; plain routes cannot hijack without Upgrade', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.post('/containers/:id/attach', () => {
    throw new EngineError('NotFound', 'NO_SUCH_CONTAINER', 'No such container: c9');
  }, { hijack: true });
  ts.server.router.post('/plain', async (ctx) => {
    await ctx.hijack();
  });
  for (const upgrade of ['Connection: Upgrade\r\nUpgrade: tcp\r\n', '']) {
    const out = await rawExchange(ts.socketPath, (s) => {
      s.write(`POST /v1.41/containers/c9/attach HTTP/1.1\r\nHost: docker\r\n${upgrade}\r\n`);
    });
    assert.match(out, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(out, /Connection: close\r\n/);
    assert.ok(out.endsWith('\r\n\r\n{"message":"No such container: c9"}\n'), out);
  }
  const plain = await httpRequest(ts.socketPath, 'POST', '/plain');
  assert.equal(plain.status, 500);
  assert.match(JSON.parse(plain.body).message, /not registered with \{ hijack: true \}/);
  // with Upgrade, any route may
  const upgraded = await rawExchange(ts.socketPath, (s) => s.write('POST /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n'));
  assert.match(upgraded, /^HTTP\/1\.1 101 UPGRADED\r\n/);
});

test('keep-alive: requests on one connection around a hijack route served in HTTP', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  const out = await rawExchange(ts.socketPath, (s) => {
    s.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /v1.41/_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
  assert.equal(out.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
});

test('socket: created 0660 in a 0700 directory, a stale file replaced, a live one or a non-socket refused, removed on close', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-api-sock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'a', 'b', 'berth.sock');
  const version = { version: '0.1.0' };
  const s1 = await createApiServer({ socketPath, version });
  assert.equal((await stat(socketPath)).mode & 0o777, 0o660);
  assert.equal((await stat(join(dir, 'a', 'b'))).mode & 0o777, 0o700);
  assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o700);

  await assert.rejects(createApiServer({ socketPath, version }), (e) => isEngineError(e, 'DAEMON_ALREADY_RUNNING') && e.kind === 'Conflict');
  assert.equal((await httpRequest(socketPath, 'GET', '/_ping')).body, 'OK', 'the first server still serves');
  await s1.close();
  await assert.rejects(stat(socketPath), /ENOENT/);

  // a socket file whose server died without removing it
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`], { stdio: 'ignore' });
  assert.ok((await stat(socketPath)).isSocket());
  const s2 = new ApiServer({ socketPath, version, mode: 0o600 });
  await s2.listen();
  assert.equal((await stat(socketPath)).mode & 0o777, 0o600);
  assert.equal((await httpRequest(socketPath, 'GET', '/_ping')).status, 200);
  await s2.close();
  await s2.close(); // twice is harmless

  await writeFile(socketPath, 'not a socket');
  await assert.rejects(createApiServer({ socketPath, version }), (e) => isEngineError(e, 'SOCKET_PATH_TAKEN'));
});

test('close(): aborts streams in progress and hijacked connections', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  let aborted = 0;
  ts.server.router.get('/follow', async (ctx) => {
    const s = ctx.stream();
    await s.write('{}\n');
    await new Promise((r) => ctx.signal.addEventListener('abort', r));
    aborted++;
  });
  ts.server.router.post('/attach', async (ctx) => {
    const { signal } = await ctx.hijack();
    await new Promise((r) => signal.addEventListener('abort', r));
    aborted++;
  });
  const streaming = httpRequest(ts.socketPath, 'GET', '/follow').catch((e: Error) => e);
  const hijacked = rawExchange(ts.socketPath, (s) => s.write('POST /attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n'));
  await waitFor(() => (ts.server as any).active.size === 2, 'both requests to be in progress');
  await ts.server.close();
  await waitFor(() => aborted === 2, 'both handlers to see the abort');
  await streaming;
  assert.match(await hijacked, /^HTTP\/1\.1 101 UPGRADED/);
});

test('the access log records each request at debug level', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  await httpRequest(ts.socketPath, 'GET', '/v1.41/version');
  await httpRequest(ts.socketPath, 'GET', '/missing');
  await waitFor(() => ts.logger.lines.filter((l) => l.startsWith('debug: api: GET ')).length === 2, 'two lines');
  assert.match(ts.logger.lines.find((l) => l.includes('/version'))!, /^debug: api: GET \/v1\.41\/version 200 [\d.]+ms$/);
  assert.match(ts.logger.lines.find((l) => l.includes('/missing'))!, /^debug: api: GET \/missing 404 /);
});
