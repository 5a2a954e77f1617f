import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EngineError } from '../errors/engine-error.js';
import { parseShimExit, readShimExit, readShimPid, ShimControl, shimArgs, shimPaths } from './shim.js';

const isCode = (code: string) => (err: unknown) => err instanceof EngineError && err.code === code;

describe('shimArgs', () => {
  it('puts the options before "--" and the command after it', () => {
    assert.deepEqual(shimArgs({ dir: '/run/berth/c1', command: ['/bin/berth-init', '3'] }), ['--dir', '/run/berth/c1', '--', '/bin/berth-init', '3']);
    assert.deepEqual(
      shimArgs({ dir: '/d', command: ['x', '--tty'], logPath: '/d/c-json.log', logMaxSize: 10 << 20, logMaxFile: 3, stdin: true, tty: true, reparent: true }),
      ['--dir', '/d', '--log-path', '/d/c-json.log', '--log-max-size', String(10 << 20), '--log-max-file', '3', '--stdin', '--tty', '--reparent', '--', 'x', '--tty'],
    );
  });

  it('leaves out the defaults (no rotation, one file)', () => {
    assert.deepEqual(shimArgs({ dir: '/d', command: ['x'], logPath: '/l', logMaxSize: 0, logMaxFile: 1, stdin: false }), ['--dir', '/d', '--log-path', '/l', '--', 'x']);
  });

  it('refuses what the shim would refuse', () => {
    assert.throws(() => shimArgs({ dir: '', command: ['x'] }), isCode('BAD_SHIM_OPTIONS'));
    assert.throws(() => shimArgs({ dir: '/d', command: [] }), isCode('BAD_SHIM_OPTIONS'));
    assert.throws(() => shimArgs({ dir: '/d', command: ['x'], logPath: '/l', logMaxSize: -1 }), /not a byte count/);
    assert.throws(() => shimArgs({ dir: '/d', command: ['x'], logPath: '/l', logMaxSize: 1.5 }), /not a byte count/);
    assert.throws(() => shimArgs({ dir: '/d', command: ['x'], logPath: '/l', logMaxFile: 0 }), /at least 1/);
    assert.throws(() => shimArgs({ dir: '/d', command: ['x'], logMaxSize: 100 }), /needs a log path/);
  });

  it('names the files of the directory', () => {
    assert.deepEqual(shimPaths('/d'), { pid: '/d/shim.pid', exit: '/d/exit', attach: '/d/attach.sock', control: '/d/control.sock', console: '/d/console.sock' });
  });
});

describe('the exit file', () => {
  it('parses what the shim writes', () => {
    assert.deepEqual(parseShimExit('{"status":768,"exitCode":3,"signal":0,"finishedAt":"2026-11-22T19:17:11.123456789Z"}\n'), {
      status: 768,
      exitCode: 3,
      signal: 0,
      finishedAt: '2026-11-22T19:17:11.123456789Z',
    });
    assert.equal(parseShimExit('{"status":9,"exitCode":137,"signal":9,"finishedAt":"2026-11-22T19:17:11Z"}').exitCode, 137);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '{', 'null', '[]', '{"status":0,"exitCode":0,"signal":0}', '{"status":-1,"exitCode":0,"signal":0,"finishedAt":"2026-11-22T19:17:11Z"}', '{"status":0,"exitCode":0,"signal":0,"finishedAt":"yesterday"}', '{"status":"0","exitCode":0,"signal":0,"finishedAt":"2026-11-22T19:17:11Z"}']) {
      assert.throws(() => parseShimExit(bad), isCode('BAD_SHIM_EXIT'), bad);
    }
  });

  it('reads the exit and pid files, and says when there are none yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-shim-unit-'));
    try {
      assert.equal(await readShimExit(dir), undefined);
      assert.equal(await readShimPid(dir), undefined);
      writeFileSync(join(dir, 'exit'), '{"status":0,"exitCode":0,"signal":0,"finishedAt":"2026-11-22T19:17:11.5Z"}\n');
      writeFileSync(join(dir, 'shim.pid'), '4242\n');
      assert.equal((await readShimExit(dir))?.finishedAt, '2026-11-22T19:17:11.5Z');
      assert.equal(await readShimPid(dir), 4242);
      writeFileSync(join(dir, 'shim.pid'), 'x\n');
      await assert.rejects(readShimPid(dir), isCode('BAD_SHIM_PID'));
      writeFileSync(join(dir, 'exit'), 'garbage');
      await assert.rejects(readShimExit(dir), isCode('BAD_SHIM_EXIT'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ShimControl', () => {
  /** A stand-in for the shim: answers each line with what `reply` says. */
  async function withServer(reply: (line: string) => string, fn: (dir: string, conns: Socket[]) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-shim-unit-'));
    const conns: Socket[] = [];
    const server = createServer((s) => {
      conns.push(s);
      let buf = '';
      s.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          s.write(`${reply(buf.slice(0, nl))}\n`);
          buf = buf.slice(nl + 1);
        }
      });
    });
    await new Promise<void>((res) => server.listen(shimPaths(dir).control, res));
    try {
      await fn(dir, conns);
    } finally {
      for (const c of conns) c.destroy();
      await new Promise((res) => server.close(res));
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('sends requests and matches the answers in order', async () => {
    const seen: string[] = [];
    await withServer(
      (line) => {
        seen.push(line);
        return line.startsWith('resize') ? 'error the container has no terminal' : 'ok';
      },
      async (dir) => {
        const c = await ShimControl.connect(dir);
        const results = await Promise.allSettled([c.ping(), c.resize(24, 80), c.closeStdin()]);
        assert.equal(results[0].status, 'fulfilled');
        assert.equal(results[1].status, 'rejected');
        assert.match(String((results[1] as PromiseRejectedResult).reason), /resize 24 80: the container has no terminal/);
        assert.equal(results[2].status, 'fulfilled');
        assert.deepEqual(seen, ['ping', 'resize 24 80', 'close-stdin']);
        await assert.rejects(c.resize(-1, 80), isCode('BAD_SHIM_OPTIONS'));
        await assert.rejects(c.request('ping\nping'), isCode('BAD_SHIM_OPTIONS'));
        c.close();
        await c.closed;
      },
    );
  });

  it('settles `closed` and fails waiting requests when the shim goes away', async () => {
    await withServer(
      () => 'ok',
      async (dir, conns) => {
        const c = await ShimControl.connect(dir);
        await c.ping();
        conns[0]!.destroy();
        await c.closed;
        await assert.rejects(c.ping(), isCode('SHIM_GONE'));
      },
    );
  });

  it('says the shim is gone when its socket is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-shim-unit-'));
    try {
      await assert.rejects(ShimControl.connect(dir), (err: unknown) => err instanceof EngineError && err.code === 'SHIM_GONE' && err.kind === 'NotFound');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
