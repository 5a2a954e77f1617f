import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { parseFilters } from '../api/query.js';
import { startTestServer, waitFor } from '../api/testing.js';
import { EngineError, isEngineError } from '../errors/engine-error.js';
import { demultiplex, frameWriter, StdStream } from '../lib/stdcopy.js';
import { EngineClient, jsonMessages } from './client.js';
import { kindOfStatus } from './errors.js';
import { encodeFilters, encodeQuery } from './query.js';

test('query encoding: booleans as 1/0, arrays repeated, filters in the map form dockerd reads back', () => {
  assert.equal(encodeQuery({ all: true, size: false, limit: 5, name: 'a b', x: undefined, y: null, label: ['a=1', 'b'] }), '?all=1&size=0&limit=5&name=a+b&label=a%3D1&label=b');
  assert.equal(encodeQuery({}), '');
  assert.equal(encodeQuery({}, { name: [] }), '', 'an empty filter is left out');
  const filters = { name: ['web', 'db'], status: ['running'] };
  assert.equal(encodeFilters(filters), '{"name":{"web":true,"db":true},"status":{"running":true}}');
  assert.deepEqual(parseFilters(encodeFilters(filters)), filters);
  assert.deepEqual(parseFilters(new URLSearchParams(encodeQuery({}, filters).slice(1)).get('filters')!), filters);
});

test('status → kind, as Docker\'s client maps them', () => {
  assert.deepEqual([400, 401, 403, 404, 409, 418, 500, 501, 502, 503].map(kindOfStatus), [
    'InvalidArgument', 'Unauthorized', 'Forbidden', 'NotFound', 'Conflict', 'InvalidArgument', 'Internal', 'NotImplemented', 'Internal', 'Unavailable',
  ]);
});

test('client: JSON both ways, query and filters, the API version negotiated once', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.get('/containers/json', (ctx) => ({ version: ctx.version, all: ctx.query.bool('all'), filters: ctx.query.filters() }));
  ts.server.router.post('/containers/create', async (ctx) => {
    ctx.json(201, { Id: 'abc', Name: ctx.query.string('name'), Got: await ctx.body() });
  });
  ts.server.router.delete('/containers/:id', (ctx) => ctx.noContent());
  ts.server.router.put('/containers/:id/archive', async (ctx) => ({ bytes: (await ctx.rawBody()).length, type: ctx.headers['content-type'] }));
  ts.server.router.head('/containers/:id/archive', (ctx) => {
    ctx.setHeader('X-Docker-Container-Path-Stat', 'e30=');
    ctx.text(200, '');
  });

  const c = new EngineClient({ socketPath: ts.socketPath });
  t.after(() => c.close());
  assert.deepEqual(await c.get('/containers/json', { query: { all: true }, filters: { name: ['web'] } }), { version: '1.47', all: true, filters: { name: ['web'] } });
  assert.deepEqual(await c.post('/containers/create', { Image: 'busybox' }, { query: { name: 'web' } }), { Id: 'abc', Name: 'web', Got: { Image: 'busybox' } });
  assert.equal(await c.delete('/containers/abc'), undefined);
  assert.deepEqual(await c.put('/containers/abc/archive', undefined, { query: { path: '/' }, upload: { data: Buffer.alloc(1000), contentType: 'application/x-tar' } }), { bytes: 1000, type: 'application/x-tar' });
  assert.deepEqual(await c.put('/containers/abc/archive', undefined, { upload: { data: Readable.from([Buffer.alloc(10), Buffer.alloc(20)]), contentType: 'application/x-tar' } }), { bytes: 30, type: 'application/x-tar' });
  const head = await c.head('/containers/abc/archive');
  assert.equal(head.headers['x-docker-container-path-stat'], 'e30=');
  assert.equal((await c.version()).Version, '0.1.0-test');
  assert.equal(await c.get('/_ping'), 'OK', 'a text answer comes back as text');
  const pings = ts.logger.lines.filter((l) => l.includes('GET /_ping ')).length;
  assert.equal(pings, 1, 'one /_ping negotiated the version for every request');
  assert.ok(ts.logger.lines.some((l) => l.includes('GET /v1.47/containers/json?all=1&filters=')));

  const ping = await c.ping();
  assert.deepEqual(ping, { apiVersion: '1.47', osType: 'linux', experimental: false, builderVersion: '1', swarm: 'inactive' });
});

test('client: an older daemon\'s API version is used; a pinned one is not negotiated', async (t) => {
  const ts = await startTestServer({ version: { version: '0.0.1', apiVersion: '1.41' } });
  t.after(() => ts.stop());
  ts.server.router.get('/v', (ctx) => ctx.version);
  ts.server.router.get('/j', (ctx) => ({ v: ctx.version }));
  const c = new EngineClient({ socketPath: ts.socketPath });
  t.after(() => c.close());
  assert.equal(await c.apiVersion(), '1.41');
  assert.deepEqual(await c.get('/j'), { v: '1.41' });
  const pinned = new EngineClient({ socketPath: ts.socketPath, apiVersion: '1.30' });
  t.after(() => pinned.close());
  assert.deepEqual(await pinned.get('/j'), { v: '1.30' });
  const before = ts.logger.lines.filter((l) => l.includes('/_ping')).length;
  assert.equal(before, 1, 'only the first client pinged');
});

test('client: daemon errors come back as EngineErrors with kind, code and message', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.get('/containers/:id/json', (ctx) => {
    throw new EngineError('NotFound', 'NO_SUCH_CONTAINER', `No such container: ${ctx.params['id']}`);
  });
  ts.server.router.delete('/images/:name*', () => {
    throw new EngineError('Conflict', 'IMAGE_IN_USE', 'conflict: unable to remove repository reference "busybox"', { hint: 'container abc is using its referenced image' });
  });
  ts.server.router.get('/bug', () => {
    throw new Error('boom');
  });
  const c = new EngineClient({ socketPath: ts.socketPath });
  t.after(() => c.close());
  await assert.rejects(c.get('/containers/nope/json'), (e) => {
    assert.ok(e instanceof EngineError);
    assert.deepEqual([e.kind, e.code, e.message], ['NotFound', 'NO_SUCH_CONTAINER', 'No such container: nope']);
    return true;
  });
  await assert.rejects(c.delete('/images/busybox'), (e) => isEngineError(e, 'IMAGE_IN_USE') && e.kind === 'Conflict' && e.message === 'conflict: unable to remove repository reference "busybox" (container abc is using its referenced image)');
  await assert.rejects(c.get('/bug'), (e) => isEngineError(e, 'DAEMON_ERROR') && e.kind === 'Internal' && e.message === 'boom');
  await assert.rejects(c.get('/no/such/route'), (e) => isEngineError(e, 'PAGE_NOT_FOUND') && e.message === 'page not found');
  await assert.rejects(c.head('/containers/x/archive'), (e) => isEngineError(e) && e.kind === 'NotFound' && e.message === '404 Not Found');
  const old = new EngineClient({ socketPath: ts.socketPath, apiVersion: '1.12' });
  t.after(() => old.close());
  await assert.rejects(old.get('/version'), (e) => isEngineError(e, 'API_VERSION_TOO_OLD') && e.message.startsWith('client version 1.12 is too old.') && !e.message.endsWith('\n'));
});

test('client: no daemon — a missing socket and a stale one are DAEMON_UNREACHABLE, with docker\'s sentence', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-client-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const missing = join(dir, 'berth.sock');
  const c = new EngineClient({ socketPath: missing });
  await assert.rejects(c.get('/containers/json'), (e) => {
    assert.ok(isEngineError(e, 'DAEMON_UNREACHABLE'));
    assert.equal(e.kind, 'Unavailable');
    assert.equal(e.message, `Cannot connect to the berth daemon at unix://${missing}. Is berthd running?`);
    return true;
  });
  await assert.rejects(c.hijack('/exec/x/start'), (e) => isEngineError(e, 'DAEMON_UNREACHABLE'));
  // a socket file nothing listens on
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(missing)}, () => process.kill(process.pid, 'SIGKILL'))`], { stdio: 'ignore' });
  await assert.rejects(c.ping(), (e) => isEngineError(e, 'DAEMON_UNREACHABLE'));
  assert.equal(new EngineClient().socketPath, '/run/berth/berth.sock');
});

test('client: stream() gives a Readable of the chunked answer; JSON messages; abort by signal; errors before the stream', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  let serverSawAbort = false;
  ts.server.router.get('/events', async (ctx) => {
    const s = ctx.stream();
    for (let i = 0; !s.closed; i++) {
      await s.writeJson({ Type: 'container', Action: 'start', seq: i });
      await new Promise((r) => setTimeout(r, 2));
    }
    serverSawAbort = ctx.signal.aborted;
  });
  ts.server.router.post('/images/create', async (ctx) => {
    const s = ctx.stream();
    // one message split across writes, two in one write
    await s.write('{"status":"Pulling from library/busybox",');
    await s.write('"id":"latest"}\n{"status":"Digest: sha256:abc"}\n{"status":"Downloaded"}\n');
  });
  ts.server.router.get('/containers/:id/logs', () => {
    throw new EngineError('NotFound', 'NO_SUCH_CONTAINER', 'No such container: x');
  });
  const c = new EngineClient({ socketPath: ts.socketPath });
  t.after(() => c.close());

  const pulled: unknown[] = [];
  for await (const m of jsonMessages(await c.stream('POST', '/images/create', undefined, { query: { fromImage: 'busybox' } }))) pulled.push(m);
  assert.deepEqual(pulled, [{ status: 'Pulling from library/busybox', id: 'latest' }, { status: 'Digest: sha256:abc' }, { status: 'Downloaded' }]);

  const ac = new AbortController();
  const events = await c.stream('GET', '/events', undefined, { signal: ac.signal });
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const m of jsonMessages<{ seq: number }>(events)) {
        seen.push(m.seq);
        if (seen.length === 3) ac.abort();
      }
    })(),
    (e) => (e as Error).name === 'AbortError',
  );
  assert.deepEqual(seen, [0, 1, 2]);
  await waitFor(() => serverSawAbort, 'the server to see the client go');

  await assert.rejects(c.stream('GET', '/containers/x/logs'), (e) => isEngineError(e, 'NO_SUCH_CONTAINER'));

  // aborted before the daemon answers: an AbortError, as fetch gives
  ts.server.router.post('/slow', async (ctx) => {
    await new Promise((r) => ctx.signal.addEventListener('abort', r));
  });
  const early = new AbortController();
  setTimeout(() => early.abort(), 20);
  await assert.rejects(c.post('/slow', undefined, { signal: early.signal }), (e) => (e as Error).name === 'AbortError');
  await assert.rejects(c.get('/version', { signal: AbortSignal.abort() }), (e) => (e as Error).name === 'AbortError');
});

test('client: hijack() upgrades, sends the JSON body, then stdin and stdout flow; errors arrive as EngineErrors', async (t) => {
  const ts = await startTestServer();
  t.after(() => ts.stop());
  ts.server.router.post(
    '/exec/:id/start',
    async (ctx) => {
      if (ctx.params['id'] === 'gone') throw new EngineError('NotFound', 'NO_SUCH_EXEC', 'No such exec instance: gone');
      const opts = (await ctx.body()) as { Tty: boolean };
      const { socket } = await ctx.hijack({ multiplexed: !opts.Tty });
      const out = frameWriter(socket, StdStream.Stdout);
      const err = frameWriter(socket, StdStream.Stderr);
      err.write('ready\n');
      socket.on('data', (d: Buffer) => out.write(d.toString().toUpperCase()));
      await once(socket, 'end');
      await new Promise<void>((r) => out.end(r));
    },
    { hijack: true },
  );
  const c = new EngineClient({ socketPath: ts.socketPath });
  t.after(() => c.close());
  const { socket, contentType } = await c.hijack('/exec/e1/start', { body: { Detach: false, Tty: false } });
  assert.equal(contentType, 'application/vnd.docker.multiplexed-stream');
  const stdout = new PassThrough();
  const stderrParts: string[] = [];
  const stderr = new Writable({
    write(chunk: Buffer, _e, cb) {
      stderrParts.push(chunk.toString());
      cb();
    },
  });
  const copied = demultiplex(socket, { stdout, stderr });
  socket.write('echo hi\n');
  socket.end(); // stdin closed
  const result = await copied;
  stdout.end();
  assert.equal(stdout.read()?.toString(), 'ECHO HI\n');
  assert.deepEqual(stderrParts, ['ready\n']);
  assert.deepEqual(result, { stdoutBytes: 8, stderrBytes: 6 });

  await assert.rejects(c.hijack('/exec/gone/start', { body: {} }), (e) => isEngineError(e, 'NO_SUCH_EXEC') && e.kind === 'NotFound' && e.message === 'No such exec instance: gone');
});
