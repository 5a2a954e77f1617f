/**
 * SCMP_ACT_NOTIFY: berth-runtime hands the filter's listener fd and the
 * container process state to a seccomp agent at linux.seccomp.listenerPath,
 * as runc does. The agent (test/fixtures/seccomp-agent.py) answers each
 * notified call with an errno of its own choosing, so the container seeing
 * that errno shows the agent really decided.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cleanup, makeBundle, REPO, runIn, runtime, TMP, uniqueId, type Bundle, type RuntimeName } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root', 'busybox', 'python3');
const EXDEV = 18; // "Invalid cross-device link": nothing else in the test would answer it

interface Agent {
  path: string;
  entries(): Record<string, any>[];
  stop(): Promise<void>;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function startAgent(errno: number): Agent {
  const dir = join(TMP, 'agents');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, uniqueId('agent'));
  const path = `${base}.sock`;
  const log = `${base}.log`;
  const child: ChildProcess = spawn('python3', [join(REPO, 'test', 'fixtures', 'seccomp-agent.py'), path, log, String(errno)], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100 && !existsSync(path); i++) sleep(50);
  assert.ok(existsSync(path), 'the agent did not start listening');
  return {
    path,
    entries: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>) : []),
    stop: async () => {
      const gone = new Promise((res) => child.once('exit', res));
      if (child.exitCode === null) child.kill('SIGTERM');
      await gone;
      rmSync(path, { force: true });
      rmSync(log, { force: true });
    },
  };
}

const notify = (listenerPath: string, extra: Record<string, unknown> = {}) => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  listenerPath,
  syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  ...extra,
});

function withBundle<T>(script: string, seccomp: unknown, name: RuntimeName, fn: (b: Bundle) => T, noNewPrivileges = true): T {
  const b = makeBundle(['sh', '-c', `exec 2>&1; ${script}`], (c) => {
    c.linux.seccomp = seccomp;
    c.process.noNewPrivileges = noNewPrivileges;
  });
  try {
    return fn(b);
  } finally {
    cleanup(b, name);
  }
}

describe('seccomp agents (SCMP_ACT_NOTIFY)', { skip }, () => {
  for (const nnp of [true, false]) {
    it(`the agent gets the listener and the state, and answers the calls (no_new_privs ${nnp})`, async () => {
      const agent = startAgent(EXDEV);
      try {
        const r = withBundle('mkdir /tmp/x; echo "rc=$?"; ls -d /tmp/x', notify(agent.path, { listenerMetadata: 'from-the-test' }), 'berth', (b) => ({ ...runIn(b), id: b.id, dir: b.dir }), nnp);
        assert.equal(r.status, 1, r.stdout + r.stderr); // ls finds no /tmp/x
        assert.match(r.stdout, /Invalid cross-device link/);
        assert.match(r.stdout, /rc=1/);
        const entries = agent.entries();
        const states = entries.filter((e) => e['state']);
        assert.equal(states.length, 1);
        const msg = states[0]!['state'];
        assert.equal(states[0]!['fds'], 1);
        assert.deepEqual(msg.fds, ['seccompFd']);
        assert.equal(msg.metadata, 'from-the-test');
        assert.equal(msg.state.id, r.id);
        assert.equal(msg.state.status, 'creating');
        assert.equal(msg.state.bundle, r.dir);
        assert.equal(msg.state.pid, msg.pid);
        assert.ok(msg.pid > 1);
        const calls = entries.filter((e) => e['nr'] !== undefined).map((e) => e['nr'] as number);
        assert.ok(calls.some((nr) => nr === 83 || nr === 258), `mkdir or mkdirat reached the agent: ${calls.join(',')}`);
      } finally {
        await agent.stop();
      }
    });
  }

  it('exec: each new process hands its own listener to the agent', async () => {
    const agent = startAgent(EXDEV);
    try {
      withBundle('sleep 30', notify(agent.path), 'berth', (b) => {
        assert.equal(runtime(['run', '--detach', '--bundle', b.dir, b.id]).status, 0);
        const r = runtime(['exec', b.id, 'sh', '-c', 'mkdir /tmp/y 2>&1; echo "rc=$?"']);
        assert.match(r.stdout, /Invalid cross-device link/);
        const states = agent.entries().filter((e) => e['state']).map((e) => e['state']);
        assert.equal(states.length, 2);
        assert.equal(states[1].state.status, 'running');
        assert.notEqual(states[1].pid, states[1].state.pid, 'the exec process, not the container init');
      });
    } finally {
      await agent.stop();
    }
  });

  it('no agent listening: create fails before the container exists, and says where it looked', () => {
    const path = join(TMP, `${uniqueId('none')}.sock`);
    withBundle('true', notify(path), 'berth', (b) => {
      const r = runtime(['create', '--bundle', b.dir, b.id]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /connect seccomp agent ".*none.*\.sock": No such file or directory/);
      assert.notEqual(runtime(['state', b.id]).status, 0, 'no container left');
    });
  });

  it('agrees with runc on what the container sees and what the agent gets', { skip: missing('runc') }, async () => {
    const seen: Record<string, unknown>[] = [];
    for (const name of ['berth', 'runc'] as const) {
      const agent = startAgent(EXDEV);
      try {
        const r = withBundle('mkdir /tmp/x; echo "rc=$?"', notify(agent.path), name, (b) => runIn(b, { name }));
        const msg = agent.entries().find((e) => e['state'])?.['state'];
        seen.push({ status: r.status, out: r.stdout.trim(), keys: Object.keys(msg ?? {}).sort(), stateKeys: Object.keys(msg?.state ?? {}).sort(), fds: msg?.fds, stateStatus: msg?.state?.status });
      } finally {
        await agent.stop();
      }
    }
    assert.deepEqual(seen[0], seen[1]);
  });
});
