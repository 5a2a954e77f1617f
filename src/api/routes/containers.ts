import type { Socket } from 'node:net';
import { EngineError } from '../../errors/engine-error.js';
import type { Engine } from '../../engine/engine.js';
import { parseLogTime, type LogEntry } from '../../engine/logs.js';
import { connectSocket } from '../../engine/monitor.js';
import type { ContainerConfig, HostConfig } from '../../engine/spec/types.js';
import { DEFAULT_DETACH_KEYS, DetachKeyScanner, parseDetachKeys } from '../../lib/detach-keys.js';
import { encodeFrame, StdStream } from '../../lib/stdcopy.js';
import type { RequestContext } from '../context.js';
import type { Router } from '../router.js';

/** The create body: the Config's fields at the top, HostConfig and NetworkingConfig beside them. */
type CreateBody = ContainerConfig & { HostConfig?: HostConfig; NetworkingConfig?: unknown };

function timeoutOf(ctx: RequestContext): number | undefined {
  return ctx.query.int('t') ?? ctx.query.int('timeout');
}

/** One log entry as the logs endpoint sends it: framed unless the container has a TTY; with its time when asked. */
function logChunk(e: LogEntry, tty: boolean, timestamps: boolean): Buffer {
  const text = timestamps ? `${e.time} ${e.log}` : e.log;
  return tty ? Buffer.from(text) : encodeFrame(e.stream === 'stderr' ? StdStream.Stderr : StdStream.Stdout, text);
}

export function registerContainerRoutes(router: Router, engine: Engine): void {
  router.post('/containers/create', async (ctx) => {
    const body = ((await ctx.body()) ?? {}) as CreateBody;
    const { HostConfig: hostConfig, ...rest } = body;
    // NetworkingConfig names bridge networks, which berth does not have yet
    const config: ContainerConfig = Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'NetworkingConfig'));
    const result = await engine.create({ name: ctx.query.string('name') || undefined, config, hostConfig });
    ctx.json(201, result);
  });

  router.get('/containers/json', (ctx) =>
    engine.list({ all: ctx.query.bool('all'), size: ctx.query.bool('size'), filters: ctx.query.filters(), ...(ctx.query.int('limit') !== undefined ? { limit: ctx.query.int('limit')! } : {}) }),
  );

  router.get('/containers/:id/json', (ctx) => engine.inspect(ctx.params['id']!));

  router.post('/containers/:id/start', async (ctx) => {
    const done = await engine.start(ctx.params['id']!);
    if (done === 'already') ctx.text(304, '');
    else ctx.noContent();
  });

  router.post('/containers/:id/stop', async (ctx) => {
    const done = await engine.stop(ctx.params['id']!, timeoutOf(ctx));
    if (done === 'already') ctx.text(304, '');
    else ctx.noContent();
  });

  router.post('/containers/:id/restart', async (ctx) => {
    await engine.restart(ctx.params['id']!, timeoutOf(ctx));
    ctx.noContent();
  });

  router.post('/containers/:id/kill', async (ctx) => {
    await engine.kill(ctx.params['id']!, ctx.query.string('signal') || 'SIGKILL');
    ctx.noContent();
  });

  router.post('/containers/:id/wait', async (ctx) => {
    const condition = (ctx.query.string('condition') || 'not-running') as 'not-running' | 'next-exit' | 'removed';
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new EngineError('InvalidArgument', 'BAD_CONDITION', `invalid condition: "${condition}"`);
    // registered before the head goes out: a client that has the head may start the container
    const result = engine.wait(ctx.params['id']!, condition);
    result.catch(() => undefined);
    const stream = ctx.stream();
    await stream.write(`${JSON.stringify(await result)}\n`);
    await stream.end();
  });

  router.delete('/containers/:id', async (ctx) => {
    await engine.remove(ctx.params['id']!, { force: ctx.query.bool('force'), volumes: ctx.query.bool('v') });
    ctx.noContent();
  });

  router.post('/containers/:id/rename', (ctx) => {
    const name = ctx.query.string('name');
    if (!name) throw new EngineError('InvalidArgument', 'NO_NAME', 'Neither old nor new names may be empty');
    engine.rename(ctx.params['id']!, name);
    ctx.noContent();
  });

  router.get('/containers/:id/logs', async (ctx) => {
    const q = ctx.query;
    const stdout = q.bool('stdout');
    const stderr = q.bool('stderr');
    if (!stdout && !stderr) throw new EngineError('InvalidArgument', 'NO_STREAMS', 'Bad parameters: you must choose at least one stream');
    const tailText = q.string('tail');
    const tail = tailText === undefined || tailText === 'all' || tailText === '' ? undefined : Number(tailText);
    const since = q.string('since');
    const until = q.string('until');
    const { tty, entries } = engine.logs(
      ctx.params['id']!,
      {
        stdout,
        stderr,
        follow: q.bool('follow'),
        ...(tail !== undefined && Number.isFinite(tail) ? { tail } : {}),
        ...(since && since !== '0' ? { since: parseLogTime(since) } : {}),
        ...(until && until !== '0' ? { until: parseLogTime(until) } : {}),
      },
      ctx.signal,
    );
    const stream = ctx.stream({ contentType: tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    const timestamps = q.bool('timestamps');
    for await (const e of entries) {
      if (stream.closed) break;
      await stream.write(logChunk(e, tty, timestamps));
    }
    await stream.end();
  });

  router.post(
    '/containers/:id/attach',
    async (ctx) => {
      const c = engine.get(ctx.params['id']!);
      const q = ctx.query;
      const tty = c.Config.Tty === true;
      const wantStdin = q.bool('stdin');
      const wantOutput = q.bool('stdout') || q.bool('stderr');
      const detachKeys = parseDetachKeys(q.string('detachKeys') || DEFAULT_DETACH_KEYS);
      const conn = await ctx.hijack({ multiplexed: !tty });
      if (q.bool('logs')) {
        const { entries } = engine.logs(c.ID, { stdout: q.bool('stdout'), stderr: q.bool('stderr'), follow: false });
        for await (const e of entries) conn.socket.write(logChunk(e, tty, false));
      }
      if (!q.bool('stream')) return;
      const shimSocket = await engine.attachSocket(c.ID);
      await relay(conn.socket, shimSocket, { stdin: wantStdin, output: wantOutput, ...(tty ? { detachKeys } : {}) });
    },
    { hijack: true },
  );

  router.post('/containers/:id/resize', async (ctx) => {
    await engine.resize(ctx.params['id']!, ctx.query.int('h') ?? 0, ctx.query.int('w') ?? 0);
    ctx.text(200, '');
  });

  router.post('/containers/:id/exec', async (ctx) => {
    const body = (await ctx.body()) as Parameters<Engine['execCreate']>[1];
    ctx.json(201, { Id: engine.execCreate(ctx.params['id']!, body) });
  });

  router.post(
    '/exec/:id/start',
    async (ctx) => {
      const body = ((await ctx.body().catch(() => undefined)) ?? {}) as { Detach?: boolean; Tty?: boolean };
      const exec = engine.execs.get(ctx.params['id']!);
      const detachKeys = parseDetachKeys(exec.Config.DetachKeys || DEFAULT_DETACH_KEYS);
      if (body.Detach) {
        await engine.execStart(exec.ID, true);
        ctx.text(200, '');
        return;
      }
      // as dockerd answers: the upgrade first, then a start that fails is told down the stream (the client
      // prints it; the exec's exit code says 126). A started process's output waits in the shim meanwhile.
      const tty = exec.Config.Tty === true;
      const conn = await ctx.hijack({ multiplexed: !tty });
      try {
        await engine.execStart(exec.ID);
      } catch (err) {
        const text = `OCI runtime exec failed: ${err instanceof Error ? err.message : String(err)}\r\n`;
        conn.socket.end(tty ? text : encodeFrame(StdStream.Stdout, text));
        return;
      }
      const shimSocket = await connectSocket(`${exec.dir}/attach.sock`);
      // the client's end of stdin is the process's (docker exec -i: `echo x | docker exec -i c cat` ends): the shim, started with --stdin-once, sees it
      await relay(conn.socket, shimSocket, { stdin: exec.Config.AttachStdin === true, output: true, ...(tty ? { detachKeys } : {}) });
      await exec.done;
    },
    { hijack: true },
  );

  router.get('/exec/:id/json', (ctx) => engine.execs.inspect(engine.execs.get(ctx.params['id']!)));

  router.post('/exec/:id/resize', async (ctx) => {
    await engine.execResize(ctx.params['id']!, ctx.query.int('h') ?? 0, ctx.query.int('w') ?? 0);
    ctx.text(200, '');
  });
}

/**
 * Client ⇄ shim: the shim's output (already framed for a container without
 * a TTY) to the client until the shim closes (the process ended); the
 * client's bytes to the shim as stdin. The client ending its side is
 * stdin's end: passed on as a half-close, which a --stdin-once shim
 * (StdinOnce containers, execs) turns into the end of the process's stdin.
 */
function relay(client: Socket, shim: Socket, opts: { stdin: boolean; output: boolean; detachKeys?: Buffer }): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      shim.destroy();
      resolve();
    };
    shim.on('data', (chunk: Buffer) => {
      if (opts.output) client.write(chunk);
    });
    shim.on('close', () => {
      // the process ended: what was written reaches the client, then the handler ends (closing it)
      if (client.writableNeedDrain) client.once('drain', finish);
      else finish();
    });
    shim.on('error', () => undefined);
    client.on('error', () => finish());
    client.on('close', () => finish());
    if (opts.stdin) {
      // with a TTY, as dockerd: the detach keys end the session, the process goes on (its input stays open)
      const scanner = opts.detachKeys ? new DetachKeyScanner(opts.detachKeys) : undefined;
      client.on('data', (chunk: Buffer) => {
        const pass = scanner ? scanner.feed(chunk) : chunk;
        if (pass.length) shim.write(pass);
        if (scanner?.detached) {
          client.destroy();
          finish();
        }
      });
      // the end of the client's input, passed on as a half-close (a --stdin-once shim closes the container's stdin then)
      client.on('end', () => shim.end());
    } else {
      client.resume();
    }
  });
}
