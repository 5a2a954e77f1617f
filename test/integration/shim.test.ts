/**
 * berth-shim and berth-reaper, the real binaries with real processes. Most
 * cases run a shell as COMMAND (no container needed); the last ones run
 * berth-init under the shim as berthd will: an exec in wait mode through the
 * sync socket, and a container created by berth-runtime with --reparent.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, describe, it } from 'node:test';
import { FrameDecoder } from '../../src/lib/stdcopy.js';
import { compileExec } from '../../src/runtime/plan/compile-exec.js';
import { nativeBinary } from '../../src/sys/native-paths.js';
import { Msg } from '../../src/sys/native-protocol.generated.js';
import { readShimExit, readShimPid, ShimControl, shimPaths, startShim, type ShimExit, type ShimOptions } from '../../src/sys/shim.js';
import { BERTH_ROOT, makeBundle, RUNTIME_BIN, runtime, TMP, uniqueId } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';

const SHIM = nativeBinary('berth-shim');
const REAPER = nativeBinary('berth-reaper');
const INIT = nativeBinary('berth-init');
const built = existsSync(SHIM) && existsSync(REAPER) && existsSync(INIT) ? false : 'needs the native build (npm run build)';
const skip = missing('root') || built;

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie is not alive
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Pids whose parent is `pid`, with their state letter. */
function childrenOf(pid: number): { pid: number; state: string; comm: string }[] {
  const out: { pid: number; state: string; comm: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    if (Number(fields[1]) === pid) out.push({ pid: Number(name), state: fields[0]!, comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return out;
}

/** One shim run: its directory, cleaned up (processes of its group killed) at the end. */
class Run {
  readonly root = join(TMP, 'shim', uniqueId('bth-shim'));
  readonly dir: string;
  readonly log: string;
  monitor = 0;
  child: ChildProcess | undefined;

  constructor(subdir?: string) {
    this.dir = subdir ? join(this.root, subdir) : this.root;
    mkdirSync(this.dir, { recursive: true });
    this.log = join(this.dir, 'ctr-json.log');
    runs.push(this);
  }

  async start(opts: Omit<ShimOptions, 'dir'>, extraFds: Parameters<typeof startShim>[1] = []): Promise<number> {
    const { child, started } = startShim({ dir: this.dir, ...opts }, extraFds);
    this.child = child;
    this.monitor = await started;
    return this.monitor;
  }

  exit(timeoutMs = 15_000): Promise<ShimExit> {
    return waitFor(`the exit file in ${this.dir}`, () => readShimExit(this.dir), timeoutMs);
  }

  entries(path = this.log): { log: string; stream: string; time: string }[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
  }

  text(stream = 'stdout'): string {
    return this.entries()
      .filter((e) => e.stream === stream)
      .map((e) => e.log)
      .join('');
  }

  cleanup(): void {
    if (this.monitor) {
      try {
        process.kill(-this.monitor, 'SIGKILL'); // the monitor leads its own session and group
      } catch {
        // gone already
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

const runs: Run[] = [];
after(() => {
  for (const r of runs) r.cleanup();
  try {
    rmdirSync(join(TMP, 'shim'));
  } catch {
    // not empty: another run of these tests is going on
  }
});

async function withRun<T>(fn: (r: Run) => Promise<T>, subdir?: string): Promise<T> {
  const r = new Run(subdir);
  try {
    return await fn(r);
  } finally {
    r.cleanup();
  }
}

const RFC3339NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/;

/** An attach connection collecting what it receives; `ended` when the shim closes it. */
function attach(dir: string): Promise<{ sock: Socket; data: () => Buffer; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = createConnection(shimPaths(dir).attach);
    const ended = new Promise<void>((res) => sock.on('close', () => res()));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.once('error', reject);
    sock.once('connect', () => resolve({ sock, data: () => Buffer.concat(chunks), ended }));
  });
}

function frames(buf: Buffer): string[] {
  return new FrameDecoder().push(buf).map((f) => `${f.stream}:${f.payload.toString()}`);
}

describe('berth-shim', { skip }, () => {
  it('refuses bad usage, a missing directory and a command that does not exist, with one line on stderr', async () => {
    const usage = spawnSync(SHIM, ['--', 'true'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^berth-shim: --dir is required\nusage: /);
    const unknown = spawnSync(SHIM, ['--dir', '/tmp', '--bogus', '--', 'true'], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown option --bogus/);
    const nodir = spawnSync(SHIM, ['--dir', '/nonexistent/bth-shim', '--', 'true'], { encoding: 'utf8' });
    assert.equal(nodir.status, 1);
    assert.equal(nodir.stderr, 'berth-shim: resolve --dir "/nonexistent/bth-shim": No such file or directory\n');
    await withRun(async (r) => {
      await assert.rejects(r.start({ command: ['/nonexistent/bth-cmd'] }), (err: unknown) => {
        assert.equal((err as Error).message, 'start the container monitor: exec "/nonexistent/bth-cmd": No such file or directory');
        return true;
      });
      assert.deepEqual(readdirSync(r.dir), [], 'a failed start leaves the directory as it was');
    });
  });

  it('writes stdout and stderr lines to the json log, with times, and the exit file after them', async () => {
    await withRun(async (r) => {
      const before = Date.now();
      const pid = await r.start({ command: ['/bin/sh', '-c', 'echo out1; echo err1 >&2; echo out2; printf "no newline"; sleep 0.2'], logPath: r.log });
      assert.equal(await readShimPid(r.dir), pid);
      assert.ok(existsSync(shimPaths(r.dir).attach) && existsSync(shimPaths(r.dir).control));
      assert.equal(statSync(shimPaths(r.dir).attach).mode & 0o777, 0o600);
      assert.equal(statSync(shimPaths(r.dir).control).mode & 0o777, 0o600);
      assert.equal(existsSync(shimPaths(r.dir).console), false, 'no console socket without --tty');
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      assert.match(status, /^PPid:\s+1$/m, 'the monitor is nobody\'s child but init\'s');
      const exit = await r.exit();
      const afterMs = Date.now();
      assert.deepEqual({ ...exit, finishedAt: '' }, { status: 0, exitCode: 0, signal: 0, finishedAt: '' });
      assert.match(exit.finishedAt, RFC3339NANO);
      const entries = r.entries();
      assert.deepEqual(
        entries.filter((e) => e.stream === 'stdout').map((e) => e.log),
        ['out1\n', 'out2\n', 'no newline'],
      );
      assert.deepEqual(
        entries.filter((e) => e.stream === 'stderr').map((e) => e.log),
        ['err1\n'],
      );
      for (const e of entries) {
        assert.deepEqual(Object.keys(e), ['log', 'stream', 'time']);
        assert.match(e.time, RFC3339NANO);
        const t = Date.parse(e.time);
        assert.ok(t >= before - 1000 && t <= afterMs + 1000, e.time);
      }
      // the sockets go with the monitor; the monitor is gone
      await waitFor('the monitor to exit', () => !alive(pid));
      assert.deepEqual(readdirSync(r.dir).sort(), ['ctr-json.log', 'exit', 'shim.pid']);
    });
  });

  it('escapes log text as Docker does (Go\'s encoding/json), invalid UTF-8 included', async () => {
    await withRun(async (r) => {
      const input = Buffer.concat([
        Buffer.from('a<b>&"\\ \t\r'),
        Buffer.from([0x01, 0x1f, 0x7f, 0xff]),
        Buffer.from('é€😀'),
        Buffer.from([0xe2, 0x80, 0xa8, 0xe2, 0x80, 0xa9]), // U+2028, U+2029
        Buffer.from([0xe2, 0x82, 0x78]), // a cut 3-byte sequence, then "x"
        Buffer.from([0xed, 0xa0, 0x80]), // a surrogate
        Buffer.from([0xc0, 0xaf]), // overlong "/"
        Buffer.from('\n'),
      ]);
      const file = join(r.dir, 'input');
      writeFileSync(file, input);
      await r.start({ command: ['cat', file], logPath: r.log });
      await r.exit();
      const raw = readFileSync(r.log, 'utf8').split('\n')[0]!;
      const expected = '{"log":"a\\u003cb\\u003e\\u0026\\"\\\\ \\t\\r\\u0001\\u001f\x7f\\ufffdé€😀\\u2028\\u2029\\ufffd\\ufffdx\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\n","stream":"stdout","time":"';
      assert.equal(raw.slice(0, expected.length), expected);
    });
  });

  it('splits lines longer than 16 KiB into entries, as Docker', async () => {
    await withRun(async (r) => {
      const K16 = 16384;
      const file = join(r.dir, 'input');
      writeFileSync(file, `${'a'.repeat(2 * K16)}${'b'.repeat(10)}\n${'c'.repeat(K16)}\nshort\ntail`);
      await r.start({ command: ['cat', file], logPath: r.log });
      await r.exit();
      assert.deepEqual(
        r.entries().map((e) => e.log),
        ['a'.repeat(K16), 'a'.repeat(K16), `${'b'.repeat(10)}\n`, 'c'.repeat(K16), '\n', 'short\n', 'tail'],
      );
    });
  });

  for (const maxFile of [3, 1]) {
    it(`rotates the log at --log-max-size, keeping --log-max-file ${maxFile} file(s)`, async () => {
      await withRun(async (r) => {
        await r.start({ command: ['/bin/sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo "line-$i"; i=$((i+1)); done'], logPath: r.log, logMaxSize: 2000, logMaxFile: maxFile });
        await r.exit();
        const files = [...Array.from({ length: maxFile - 1 }, (_, i) => `${r.log}.${maxFile - 1 - i}`), r.log];
        const lines: string[] = [];
        for (const f of files) {
          assert.ok(existsSync(f), `${f} exists`);
          assert.ok(statSync(f).size <= 2000, `${f} is ${statSync(f).size} bytes`);
          lines.push(...r.entries(f).map((e) => e.log.trim()));
        }
        assert.equal(existsSync(`${r.log}.${maxFile}`), false, 'no more files than --log-max-file');
        // what is kept is the end of the output, in order, without gaps
        assert.equal(lines.at(-1), 'line-299');
        const first = Number(lines[0]!.slice(5));
        assert.deepEqual(
          lines,
          Array.from({ length: 300 - first }, (_, i) => `line-${first + i}`),
        );
        assert.ok(first > 0, 'something was rotated away');
      });
    });
  }

  it('records exit codes and signals in the exit file', async () => {
    const cases: [string, Omit<ShimExit, 'finishedAt'>][] = [
      ['exit 0', { status: 0, exitCode: 0, signal: 0 }],
      ['exit 3', { status: 3 << 8, exitCode: 3, signal: 0 }],
      ['exit 255', { status: 255 << 8, exitCode: 255, signal: 0 }],
      ['kill -TERM $$', { status: 15, exitCode: 143, signal: 15 }],
      ['kill -KILL $$', { status: 9, exitCode: 137, signal: 9 }],
    ];
    await Promise.all(
      cases.map(([script, want]) =>
        withRun(async (r) => {
          await r.start({ command: ['/bin/sh', '-c', script] });
          const { finishedAt, ...got } = await r.exit();
          assert.deepEqual(got, want, script);
          assert.match(finishedAt, RFC3339NANO);
        }),
      ),
    );
  });

  it('serves attach clients: stdcopy frames of what comes after they connect, their input to stdin; a half-close keeps stdin open', async () => {
    await withRun(async (r) => {
      await r.start({ command: ['/bin/sh', '-c', 'read a; echo "got:$a"; echo "err:$a" >&2; read b; echo "b:[$b]"; exit 5'], logPath: r.log, stdin: true });
      const control = await ShimControl.connect(r.dir);
      const a = await attach(r.dir);
      a.sock.write('one\n');
      await waitFor('the answer to A', () => frames(a.data()).length === 2 || undefined);
      assert.deepEqual(frames(a.data()).sort(), ['1:got:one\n', '2:err:one\n']);
      a.sock.end(); // its input ends, not the container's
      const b = await attach(r.dir);
      await control.ping(); // B is accepted by now (it connected before the ping)
      await sleep(200);
      assert.equal(await readShimExit(r.dir), undefined, 'the container still waits on its stdin');
      await control.closeStdin();
      await Promise.all([a.ended, b.ended]);
      // at EOF the exit file is there already
      assert.equal((await readShimExit(r.dir))?.exitCode, 5);
      assert.deepEqual(frames(a.data()).slice(2), ['1:b:[]\n']);
      assert.deepEqual(frames(b.data()), ['1:b:[]\n']);
      assert.equal(r.text(), 'got:one\nb:[]\n');
      assert.equal(r.text('stderr'), 'err:one\n');
      await control.closed; // the control connection ends with the monitor
    });
  });

  it('never lets a client hold the container up: one that does not read is dropped, input nobody reads waits', async () => {
    await withRun(async (r) => {
      await r.start({ command: ['/bin/sh', '-c', 'read go; head -c 16777216 /dev/zero; echo done >&2'], logPath: r.log, stdin: true });
      const slow = await attach(r.dir);
      slow.sock.pause(); // reads nothing
      const feeder = await attach(r.dir);
      feeder.sock.write('go\n');
      // 8 MiB for a stdin nobody reads any more: the shim takes what the pipe takes, then waits
      feeder.sock.write(Buffer.alloc(8 << 20, 0x41));
      const exit = await r.exit(30_000);
      assert.equal(exit.exitCode, 0);
      assert.equal(r.text('stderr'), 'done\n');
      slow.sock.resume();
      await slow.ended;
      const got = slow.data().length;
      assert.ok(got < 16 << 20, `the slow client was dropped (got ${got} bytes)`);
      feeder.sock.destroy();
    });
  });

  it('answers control requests, and a held connection ends when the monitor exits', async () => {
    await withRun(async (r) => {
      await r.start({ command: ['/bin/sh', '-c', 'read x || exit 9; exit 0'], stdin: true });
      const c = await ShimControl.connect(r.dir);
      await c.ping();
      await assert.rejects(c.resize(24, 80), /resize 24 80: the container has no terminal/);
      await assert.rejects(c.request('bogus 1'), /bogus 1: unknown request "bogus"/);
      await assert.rejects(c.request('resize 24'), /usage: resize <rows> <cols>/);
      await assert.rejects(c.request('oom-watch'), /usage: oom-watch <absolute cgroup directory>/);
      await assert.rejects(c.request(`oom-watch ${r.dir}`), /watch .* for OOM kills: No such file or directory/);
      // a client that asks and half-closes gets its answer, then EOF
      const once = await new Promise<string>((resolve, reject) => {
        const s = createConnection(shimPaths(r.dir).control);
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('end', () => resolve(got));
        s.on('error', reject);
        s.end('ping\n');
      });
      assert.equal(once, 'ok\n');
      await c.closeStdin(); // `read x` gets EOF: the shell exits
      await c.closed;
      assert.equal((await readShimExit(r.dir))?.exitCode, 9);
    });
  });

  it('relays a terminal: the master from console.sock, resize before and after it arrives, input and output', { skip: missing('python3') }, async () => {
    await withRun(async (r) => {
      const helper = join(r.dir, 'console-client.py');
      // what berth-init's SETUP_TTY does: open a pty, send the master to the console socket, run on the slave
      writeFileSync(
        helper,
        [
          'import fcntl, os, socket, sys, termios',
          'master, slave = os.openpty()',
          's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
          's.connect(sys.argv[1])',
          "socket.send_fds(s, [b'/dev/ptmx'], [master])",
          's.close(); os.close(master)',
          'os.setsid()',
          'fcntl.ioctl(slave, termios.TIOCSCTTY, 0)',
          'for fd in (0, 1, 2): os.dup2(slave, fd)',
          'os.close(slave)',
          'os.execvp(sys.argv[2], sys.argv[2:])',
        ].join('\n'),
      );
      const script = 'read x; echo "size:$(stty size)"; read y; echo "size:$(stty size)"; echo "got:$x,$y"; exit 2';
      const c0 = r.start({ command: ['python3', helper, shimPaths(r.dir).console, '/bin/sh', '-c', script], logPath: r.log, stdin: true, tty: true });
      await c0;
      const control = await ShimControl.connect(r.dir);
      await control.resize(30, 100); // kept until the master arrives, if it has not yet
      const a = await attach(r.dir);
      await control.ping();
      a.sock.write('hello\n');
      await waitFor('the first size', () => a.data().toString().includes('size:30 100') || undefined);
      assert.equal(existsSync(shimPaths(r.dir).console), false, 'the console socket is gone once the master came');
      await control.resize(40, 120);
      a.sock.write('world\n');
      await a.ended;
      const out = a.data().toString();
      assert.match(out, /hello\r\n/, 'the terminal echoes (raw bytes, no frames)');
      assert.match(out, /size:40 120\r\n/);
      assert.match(out, /got:hello,world\r\n/);
      assert.equal((await readShimExit(r.dir))?.exitCode, 2);
      const entries = r.entries();
      assert.ok(entries.every((e) => e.stream === 'stdout'));
      assert.match(r.text(), /got:hello,world\r\n/);
    });
  });

  it('with --reparent records the re-parented child (the container), not COMMAND, which exits 0 after creating it', async () => {
    await withRun(async (r) => {
      const go = join(r.dir, 'go');
      const pid = await r.start({ command: ['/bin/sh', '-c', `(while [ ! -e ${go} ]; do sleep 0.02; done; echo from-grandchild; exit 7) & exit 0`], logPath: r.log, reparent: true });
      // COMMAND is gone, its child is the monitor's now, and nothing is recorded while it runs
      await waitFor('COMMAND to exit', () => childrenOf(pid).length === 1 || undefined);
      await sleep(100);
      assert.equal(await readShimExit(r.dir), undefined);
      writeFileSync(go, '');
      const exit = await r.exit();
      assert.equal(exit.exitCode, 7);
      assert.equal(r.text(), 'from-grandchild\n');
    });
    await withRun(async (r) => {
      // creation failed: COMMAND's own status, at once
      await r.start({ command: ['/bin/sh', '-c', '(exec sleep 30 >/dev/null 2>&1) & exit 4'], reparent: true });
      assert.equal((await r.exit()).exitCode, 4);
    });
  });

  it('reaps every re-parented orphan: no zombies', async () => {
    await withRun(async (r) => {
      const pid = await r.start({ command: ['/bin/sh', '-c', '(sleep 30 >/dev/null &); (sleep 30 >/dev/null &); read x; exit 0'], stdin: true });
      const orphans = await waitFor('the orphans to go to the monitor (a subreaper)', () => {
        const kids = childrenOf(pid).filter((c) => c.comm === 'sleep');
        return kids.length === 2 ? kids : undefined;
      });
      for (const o of orphans) process.kill(o.pid, 'SIGKILL');
      await waitFor('the orphans to be reaped', () => childrenOf(pid).every((c) => c.comm === 'sh' && c.state !== 'Z') || undefined);
      const control = await ShimControl.connect(r.dir);
      await control.closeStdin();
      assert.equal((await r.exit()).exitCode, 0);
    });
  });

  it('outlives the process that started it, and keeps logging', async () => {
    await withRun(async (r) => {
      const script = `${SHIM} --dir ${r.dir} --log-path ${r.log} -- /bin/sh -c 'for i in 1 2 3 4 5; do echo tick$i; sleep 0.2; done'; echo started; exec sleep 60`;
      const spawner = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((res) => spawner.stdout.once('data', res));
      r.monitor = (await readShimPid(r.dir))!;
      process.kill(-spawner.pid!, 'SIGKILL'); // the spawner and its whole process group
      await new Promise((res) => spawner.once('exit', res));
      assert.ok(alive(r.monitor));
      assert.equal((await r.exit()).exitCode, 0);
      assert.equal(r.text(), 'tick1\ntick2\ntick3\ntick4\ntick5\n');
    });
  });

  it('passes fds from 3 on to COMMAND under the same numbers and keeps no copy of them', async () => {
    await withRun(async (r) => {
      const script = 'ls -l /proc/$$/fd; echo three >&3; exec 3>&-; echo four >&4; read x <&4; echo "four-again:$x" >&4; exec 4>&-';
      const pending = r.start({ command: ['/bin/sh', '-c', script], logPath: r.log }, ['pipe', 'pipe']);
      const fd3 = r.child!.stdio[3] as Duplex;
      const fd4 = r.child!.stdio[4] as Duplex;
      const read = (s: Duplex) =>
        new Promise<string>((resolve) => {
          let got = '';
          s.on('data', (d: Buffer) => (got += d.toString()));
          s.on('end', () => resolve(got));
          s.on('error', () => resolve(got));
        });
      const [three, four] = [read(fd3), read(fd4)];
      const monitor = await pending;
      // EOF on fd 3 while COMMAND still runs (it waits on fd 4): nobody else holds it
      assert.equal(await three, 'three\n');
      assert.equal(await readShimExit(r.dir), undefined);
      const monitorFds = new Map(readdirSync(`/proc/${monitor}/fd`).map((n) => [Number(n), readlinkSync(`/proc/${monitor}/fd/${n}`)]));
      fd4.write('go\n');
      assert.equal(await four, 'four\nfour-again:go\n');
      await r.exit();
      const commandFds = new Map(
        [...r.text().matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [Number(m[1]), m[2]!]),
      );
      assert.deepEqual([0, 1, 2, 3, 4].map((n) => commandFds.has(n)), [true, true, true, true, true]);
      assert.match(commandFds.get(3)!, /^socket:/);
      assert.match(commandFds.get(4)!, /^socket:/);
      assert.deepEqual([...monitorFds.keys()].filter((n) => n >= 3 && (monitorFds.get(n) === commandFds.get(3) || monitorFds.get(n) === commandFds.get(4))), [], 'the monitor holds no copy of fds 3 and 4');
      // whatever else COMMAND has came from the test process (inherited by all), never from the monitor
      const leaked = [...commandFds].filter(([n, target]) => n > 4 && [...monitorFds].some(([m, t]) => m > 2 && t === target));
      assert.deepEqual(leaked, [], 'no fd of the monitor reaches COMMAND');
    });
  });

  it('binds its sockets through the directory fd when the path is too long for sun_path', async () => {
    await withRun(
      async (r) => {
        assert.ok(shimPaths(r.dir).attach.length > 108);
        await r.start({ command: ['/bin/sh', '-c', 'read a; echo "got:$a"'], stdin: true });
        // a client cannot name it either: it goes through a shorter path to the same directory
        const short = join(r.root, 'l');
        symlinkSync(r.dir, short);
        const a = await attach(short);
        a.sock.write('x\n');
        await a.ended;
        assert.deepEqual(frames(a.data()), ['1:got:x\n']);
      },
      `${'x'.repeat(60)}/${'y'.repeat(60)}`,
    );
  });

  it('stays small when idle (VmRSS)', async () => {
    await withRun(async (r) => {
      const pid = await r.start({ command: ['/bin/sh', '-c', 'echo hello; exec sleep 60'], logPath: r.log, stdin: true });
      const a = await attach(r.dir);
      const c = await ShimControl.connect(r.dir);
      await c.ping();
      await waitFor('the first log line', () => r.text() === 'hello\n' || undefined);
      const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      console.log(`# idle berth-shim monitor: VmRSS ${rss} kB (one attach and one control client)`);
      assert.ok(rss > 0 && rss < 8192, `VmRSS ${rss} kB`);
      const sleeper = childrenOf(pid).find((k) => k.comm === 'sleep')!;
      process.kill(sleeper.pid, 'SIGKILL');
      await Promise.all([a.ended, c.closed]);
      assert.deepEqual({ ...(await r.exit()), finishedAt: '' }, { status: 9, exitCode: 137, signal: 9, finishedAt: '' });
    });
  });
});

describe('berth-shim with berth-init', { skip: skip || missing('busybox') }, () => {
  /** Talks berth-init's sync protocol as Node's InitProcess does, over the fd the shim passed on. */
  function syncPeer(sock: Duplex, plan: Buffer): { messages: number[]; exitStatus: Promise<number | undefined> } {
    const messages: number[] = [];
    let buf = Buffer.alloc(0);
    let status: number | undefined;
    const exitStatus = new Promise<number | undefined>((resolve) => {
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 8 && buf.length >= 8 + buf.readUInt32LE(4)) {
          const type = buf.readUInt32LE(0);
          const payload = buf.subarray(8, 8 + buf.readUInt32LE(4));
          buf = buf.subarray(8 + payload.length);
          messages.push(type);
          if (type === Msg.ERROR) console.log(`# berth-init error: ${payload.subarray(8).toString()}`);
          if (type === Msg.EXIT) status = Number(payload.readBigUInt64LE(0));
        }
      });
      sock.on('close', () => resolve(status));
      sock.on('error', () => undefined);
    });
    sock.write(plan);
    return { messages, exitStatus };
  }

  for (const tty of [false, true]) {
    it(`runs an exec: berth-init in wait mode under the shim exits with the app's code${tty ? ' (with a terminal)' : ''}`, async () => {
      await withRun(async (r) => {
        const plan = compileExec({
          pid: process.pid, // the host itself: an exec needs no container to join here
          process: { args: ['/bin/sh', '-c', 'echo "exec out"; if test -t 1; then echo tty:yes; else echo tty:no; fi; exit 6'], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], cwd: '/', user: { uid: 0, gid: 0 }, terminal: tty },
          consoleSocket: tty ? shimPaths(r.dir).console : undefined,
          detach: false,
          preserveFds: 0,
          joinCgroup: false,
        }).encode();
        const pending = r.start({ command: [INIT, '3'], logPath: r.log, tty }, ['pipe']);
        const peer = syncPeer(r.child!.stdio[3] as Duplex, plan);
        await pending;
        const exit = await r.exit();
        assert.equal(await peer.exitStatus, 6 << 8, 'EXIT still goes over the sync socket');
        assert.deepEqual(peer.messages, [Msg.PID, Msg.READY, Msg.EXIT]);
        assert.equal(exit.exitCode, 6, 'berth-init exits with the app\'s code');
        const nl = tty ? '\r\n' : '\n';
        assert.equal(r.text(), `exec out${nl}tty:${tty ? 'yes' : 'no'}${nl}`);
      });
    });
  }

  for (const tty of [false, true]) {
    it(`monitors a container berth-runtime creates (--reparent), through start to its exit${tty ? ' (with a terminal)' : ''}`, async () => {
      const b = makeBundle(['sh', '-c', 'echo "pid:$$"; echo oops >&2; exit 3'], (c) => (c.process.terminal = tty));
      try {
        await withRun(async (r) => {
          const create = ['--root', BERTH_ROOT, 'create', '--bundle', b.dir, ...(tty ? ['--console-socket', shimPaths(r.dir).console] : []), b.id];
          const monitor = await r.start({ command: [RUNTIME_BIN, ...create], logPath: r.log, tty, reparent: true });
          // the shim returns once COMMAND runs; berthd learns of the creation from berth-init (READY),
          // here it is enough that berth-runtime is done: the container is then the monitor's child
          const pid = await waitFor('the container to be created', () => {
            const st = runtime(['state', b.id]);
            if (st.status !== 0) return undefined;
            const state = JSON.parse(st.stdout) as { status: string; pid: number };
            const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${state.pid}/status`, 'utf8'))?.[1]);
            return state.status === 'created' && ppid === monitor ? state.pid : undefined;
          });
          assert.ok(pid > 0);
          const start = runtime(['start', b.id]);
          assert.equal(start.status, 0, start.stderr);
          const exit = await r.exit();
          assert.equal(exit.exitCode, 3);
          if (tty) {
            assert.equal(r.text(), 'pid:1\r\noops\r\n');
          } else {
            assert.equal(r.text(), 'pid:1\n');
            assert.equal(r.text('stderr'), 'oops\n');
          }
        });
      } finally {
        runtime(['delete', '--force', b.id]);
        b.remove();
      }
    });
  }
});

/** Whether an ELF file asks for a program interpreter (is dynamically linked). */
function hasInterpreter(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return true;
    return false;
  } finally {
    closeSync(fd);
  }
}

describe('berth-reaper', { skip }, () => {
  it('is static, as is the shim', () => {
    assert.equal(hasInterpreter(REAPER), false);
    assert.equal(hasInterpreter(SHIM), false);
  });

  it('exits with the command\'s code, or 128+signal', () => {
    assert.equal(spawnSync(REAPER, ['--', '/bin/sh', '-c', 'exit 7']).status, 7);
    assert.equal(spawnSync(REAPER, ['/bin/sh', '-c', 'exit 0']).status, 0);
    assert.equal(spawnSync(REAPER, ['/bin/sh', '-c', 'kill -KILL $$']).status, 137);
    const missingCmd = spawnSync(REAPER, ['/nonexistent/bth-cmd'], { encoding: 'utf8' });
    assert.equal(missingCmd.status, 127);
    assert.match(missingCmd.stderr, /exec "\/nonexistent\/bth-cmd": No such file or directory/);
    assert.equal(spawnSync(REAPER, []).status, 2);
  });

  it('forwards SIGTERM to the command', async () => {
    const child = spawn(REAPER, ['--', '/bin/sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor('ready', () => out.includes('ready') || undefined);
      const code = new Promise((res) => child.on('exit', (c) => res(c)));
      child.kill('SIGTERM');
      assert.equal(await code, 3);
      assert.match(out, /got-term/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reaps orphans while the command runs', async () => {
    const child = spawn(REAPER, ['/bin/sh', '-c', '(sleep 30 &); (sleep 30 &); read x; exit 4'], { stdio: ['pipe', 'ignore', 'inherit'] });
    try {
      const code = new Promise((res) => child.on('exit', (c) => res(c)));
      const orphans = await waitFor('the orphans to go to the reaper', () => {
        const kids = childrenOf(child.pid!).filter((c) => c.comm === 'sleep');
        return kids.length === 2 ? kids : undefined;
      });
      for (const o of orphans) process.kill(o.pid, 'SIGKILL');
      await waitFor('the orphans to be reaped', () => {
        const kids = childrenOf(child.pid!).map((c) => `${c.comm}:${c.state}`);
        return kids.length === 1 && kids[0] === 'sh:S' ? true : undefined;
      });
      child.stdin!.end();
      assert.equal(await code, 4);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is PID 1 of a container, bind-mounted from the host', { skip: missing('busybox') }, () => {
    const b = makeBundle(['/dev/init', '--', 'sh', '-c', 'echo "pid:$$"; (sleep 0.1 &); sleep 0.4; ps -o pid,stat,comm | grep -c " Z " ; exit 6'], (c) => {
      c.mounts.push({ destination: '/dev/init', type: 'bind', source: REAPER, options: ['bind', 'ro'] });
    });
    try {
      const r = spawnSync(RUNTIME_BIN, ['--root', BERTH_ROOT, 'run', '--bundle', b.dir, b.id], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 6, r.stderr);
      assert.equal(r.stdout, 'pid:2\n0\n', 'the command is PID 2, and no zombie stays');
    } finally {
      runtime(['delete', '--force', b.id]);
      b.remove();
    }
  });
});
