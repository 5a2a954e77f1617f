import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { connect, socketPathOf } from './daemon-start.js';

/**
 * connect() with stand-ins for berthd (no root needed): a script that
 * serves /_ping on the -H socket and records how it was started, one that
 * fails at once, and one that never answers.
 */

const dir = mkdtempSync(join(tmpdir(), 'berth-daemon-start-'));
const started = join(dir, 'started');
const pids: number[] = [];

function fake(name: string, body: string): string {
  const path = join(dir, 'bin', name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(path, `#!${process.execPath}\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const serving = fake(
  'serving',
  `const fs = require('node:fs');
const http = require('node:http');
const argv = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(started)}, JSON.stringify({ pid: process.pid, argv }) + '\\n');
const socket = argv[argv.indexOf('-H') + 1].slice('unix://'.length);
// a moment before listening, as a real daemon opens its stores first
const dataRoot = argv.includes('--data-root') ? argv[argv.indexOf('--data-root') + 1] : '/var/lib/berth';
setTimeout(() => http.createServer((req, res) => {
  res.setHeader('Api-Version', '1.47');
  if (req.url.endsWith('/info')) { res.setHeader('Content-Type', 'application/json'); res.end(JSON.stringify({ DockerRootDir: dataRoot })); }
  else res.end('OK');
}).listen(socket, () => console.error('fake: listening')), 150);`,
);
const failing = fake('failing', `console.error('berthd: open data root: it is not there'); process.exit(1);`);
const silent = fake('silent', `setTimeout(() => {}, 60000);`);

after(() => {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Processes whose command line names path. */
function processesRunning(path: string): number[] {
  return readdirSync('/proc').flatMap((e) => {
    if (!/^\d+$/.test(e)) return [];
    try {
      return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(path) ? [Number(e)] : [];
    } catch {
      return [];
    }
  });
}

function startedDaemons(): { pid: number; argv: string[] }[] {
  if (!existsSync(started)) return [];
  const list = readFileSync(started, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { pid: number; argv: string[] });
  for (const d of list) if (!pids.includes(d.pid)) pids.push(d.pid);
  return list;
}

describe('connect', () => {
  it('reads unix:// hosts, and refuses others', () => {
    assert.equal(socketPathOf('unix:///run/berth/berth.sock'), '/run/berth/berth.sock');
    assert.throws(() => socketPathOf('tcp://127.0.0.1:2375'), (err: unknown) => isEngineError(err, 'BAD_HOST'));
  });

  it('without auto-start: the client\'s DAEMON_UNREACHABLE, and nothing started', async () => {
    const host = `unix://${join(dir, 'none', 'berth.sock')}`;
    await assert.rejects(connect({ host, autoStart: false, berthdPath: serving }), (err: unknown) => isEngineError(err, 'DAEMON_UNREACHABLE'));
    assert.deepEqual(startedDaemons(), []);
  });

  it('starts berthd on the socket, with the exec root beside it and the data root given; then uses the one that answers', async () => {
    const execRoot = join(dir, 'one');
    const host = `unix://${join(execRoot, 'berth.sock')}`;
    const client = await connect({ host, autoStart: true, berthdPath: serving, dataRoot: '/srv/berth-data' });
    try {
      assert.equal((await client.ping()).apiVersion, '1.47');
    } finally {
      client.close();
    }
    const [d] = startedDaemons();
    assert.deepEqual(d!.argv, ['--exec-root', execRoot, '-H', host, '--data-root', '/srv/berth-data']);
    assert.equal(readFileSync(join(execRoot, 'berthd.log'), 'utf8'), 'fake: listening\n');
    assert.equal(existsSync(join(execRoot, 'berthd.start.lock')), false, 'the lock is gone');
    const again = await connect({ host, autoStart: true, berthdPath: serving });
    again.close();
    assert.equal(startedDaemons().length, 1);
  });

  it('warns when the daemon already there serves another data root than the one named', async () => {
    const host = `unix://${join(dir, 'one', 'berth.sock')}`;
    const warnings: string[] = [];
    const warn = (m: string): number => warnings.push(m);
    (await connect({ host, berthdPath: serving, dataRoot: '/srv/berth-data', warn })).close();
    assert.deepEqual(warnings, []);
    (await connect({ host, berthdPath: serving, dataRoot: '/srv/elsewhere', warn })).close();
    assert.deepEqual(warnings, [
      `the berthd at ${host} uses the data root /srv/berth-data, not /srv/elsewhere: --data-root and BERTH_DATA_ROOT only name the data root of a berthd that berth starts`,
    ]);
  });

  it('two berths at once start one berthd', async () => {
    const host = `unix://${join(dir, 'two', 'berth.sock')}`;
    const before = startedDaemons().length;
    const clients = await Promise.all([1, 2, 3].map(() => connect({ host, autoStart: true, berthdPath: serving })));
    for (const c of clients) c.close();
    assert.equal(startedDaemons().length, before + 1);
  });

  it('a berthd that exits: why, from its log, and where the log is', async () => {
    const execRoot = join(dir, 'failing');
    const host = `unix://${join(execRoot, 'berth.sock')}`;
    await assert.rejects(connect({ host, autoStart: true, berthdPath: failing }), (err: unknown) => {
      assert.ok(isEngineError(err, 'DAEMON_START_FAILED'));
      assert.equal(err.message, `start berthd on ${host}: it exited with status 1: berthd: open data root: it is not there`);
      assert.equal(err.hint, `see ${join(execRoot, 'berthd.log')}`);
      return true;
    });
  });

  it('a berthd that never answers: a timeout', async () => {
    const host = `unix://${join(dir, 'silent', 'berth.sock')}`;
    const t0 = Date.now();
    await assert.rejects(connect({ host, autoStart: true, berthdPath: silent, timeoutMs: 300 }), (err: unknown) => isEngineError(err, 'DAEMON_START_TIMEOUT'));
    assert.ok(Date.now() - t0 < 3000);
    // the stand-in is detached and sleeps on: end it
    pids.push(...processesRunning(silent));
  });
});
