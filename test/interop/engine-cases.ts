/**
 * What every engine that drives berth-runtime must get right, as the same
 * cases under Docker and under Podman. Only how the client is called and two
 * documented differences vary per engine.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { run, runInPty, shown, type Result } from './harness.js';

export interface EngineUnderTest {
  /** The client's argv up to the subcommand: ['docker'], or ['podman', ...global flags]. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Flags every `run` gets (the runtime, or no network). */
  runFlags: string[];
  image: string;
  /** `rm` flags that remove a running container at once. */
  forceRemove: string[];
  /** `exec` of a missing command: docker 20.10 reports 126 (under runc as well), podman 127. */
  missingExecStatus: number;
  /** Whether `inspect` names berth-runtime as the container's runtime. */
  usesBerth(inspect: Record<string, any>): boolean;
  /** berth-runtime's own view of a container, if it keeps state for it. */
  berthState(id: string): { status: string; pid: number } | undefined;
}

export function ok(r: Result): string {
  assert.equal(r.status, 0, shown(r));
  return r.stdout;
}

/** Registers the shared cases in the current describe(). */
export function engineCases(e: EngineUnderTest): void {
  const client = (args: string[], timeoutMs = 60_000): Result => run(e.argv[0]!, [...e.argv.slice(1), ...args], { env: e.env, timeoutMs });
  const runIn = (flags: string[], command: string[]): Result => client(['run', ...e.runFlags, ...flags, e.image, ...command]);
  const remove = (name: string): Result => client(['rm', ...e.forceRemove, name]);

  it('runs a command in the foreground and relays its output', () => {
    const r = runIn(['--rm'], ['echo', 'hi']);
    assert.equal(r.stdout, 'hi\n', shown(r));
    assert.equal(r.status, 0, shown(r));
  });

  it('passes on the exit code of the app', () => {
    const r = runIn(['--rm'], ['sh', '-c', 'exit 7']);
    assert.equal(r.status, 7, shown(r));
  });

  it('reports a missing executable as 127, with the runtime\'s message', () => {
    const r = runIn(['--rm'], ['no-such-command']);
    assert.equal(r.status, 127, shown(r));
    assert.match(r.stderr, /exec: "no-such-command": executable file not found in \$PATH/);
  });

  it('reports a file that cannot be executed as 126', () => {
    const r = runIn(['--rm'], ['/etc/passwd']);
    assert.equal(r.status, 126, shown(r));
    assert.match(r.stderr, /exec: "\/etc\/passwd": permission denied/);
  });

  it('applies the user, working directory, environment and hostname it sets', () => {
    const r = runIn(['--rm', '-u', '1000:1000', '-w', '/tmp', '-e', 'FOO=bar', '-h', 'boxname'], ['sh', '-c', 'id -u; id -g; pwd; echo $FOO; hostname']);
    assert.equal(r.stdout, '1000\n1000\n/tmp\nbar\nboxname\n', shown(r));
  });

  it('runs detached, execs into the container, and stops it with SIGTERM', () => {
    const name = 'berth-detached';
    // PID 1 ignores SIGTERM unless it handles it: this one does, and exits 0
    const id = ok(runIn(['-d', '--name', name], ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'])).trim();
    try {
      const inspect = JSON.parse(ok(client(['inspect', id])))[0];
      assert.ok(e.usesBerth(inspect), 'not run by berth-runtime');
      assert.equal(inspect.State.Status, 'running');
      // the shim (containerd's, or conmon) drives berth-runtime: its state agrees with the engine's
      const berth = e.berthState(id);
      assert.deepEqual(berth && { status: berth.status, pid: berth.pid }, { status: 'running', pid: inspect.State.Pid });

      const x = client(['exec', name, 'sh', '-c', 'echo from exec; cat /proc/1/cmdline | tr "\\0" " "; echo; exit 3']);
      assert.equal(x.stdout, 'from exec\nsh -c trap "exit 0" TERM; while :; do sleep 0.1; done \n', shown(x));
      assert.equal(x.status, 3, shown(x));
      const missingExec = client(['exec', name, 'no-such-command']);
      assert.equal(missingExec.status, e.missingExecStatus, shown(missingExec));
      assert.match(missingExec.stdout + missingExec.stderr, /executable file not found/);

      const started = Date.now();
      ok(client(['stop', '-t', '20', name]));
      assert.ok(Date.now() - started < 10_000, 'stop waited for the timeout: SIGTERM did not reach the app');
      assert.equal(ok(client(['wait', name])).trim(), '0');
      const state = JSON.parse(ok(client(['inspect', '--format', '{{json .State}}', name])));
      assert.deepEqual([state.Status, state.Running, state.ExitCode], ['exited', false, 0]);
    } finally {
      remove(name);
    }
    assert.equal(e.berthState(id), undefined, 'berth-runtime kept the state of a removed container');
  });

  it('stops an app that ignores SIGTERM with SIGKILL after the timeout', () => {
    const name = 'berth-stubborn';
    ok(runIn(['-d', '--name', name], ['sleep', '1000']));
    try {
      const started = Date.now();
      ok(client(['stop', '-t', '1', name]));
      assert.ok(Date.now() - started >= 1_000, 'stopped before the timeout');
      assert.equal(ok(client(['wait', name])).trim(), '137');
      const state = JSON.parse(ok(client(['inspect', '--format', '{{json .State}}', name])));
      assert.deepEqual([state.Status, state.ExitCode, state.OOMKilled], ['exited', 137, false]);
    } finally {
      remove(name);
    }
  });

  it('limits memory (-m), and the container sees its own cgroup at /sys/fs/cgroup', () => {
    const r = runIn(['--rm', '-m', '48m'], ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
    assert.equal(r.stdout, `${48 * 1024 * 1024}\n`, shown(r));
  });

  it('pauses and unpauses a container (the freezer)', () => {
    const name = 'berth-pause';
    ok(runIn(['-d', '--name', name], ['sh', '-c', 'while :; do sleep 0.1; done']));
    try {
      ok(client(['pause', name]));
      assert.equal(ok(client(['inspect', '--format', '{{.State.Status}}', name])).trim(), 'paused');
      ok(client(['unpause', name]));
      assert.equal(ok(client(['inspect', '--format', '{{.State.Status}}', name])).trim(), 'running');
    } finally {
      remove(name);
    }
  });

  it('runs with a terminal (-it): the app gets a pty, reads what is typed, and its code comes back', async () => {
    const r = await runInPty([...e.argv, 'run', ...e.runFlags, '-it', '--rm', e.image, 'sh'], { env: e.env, input: 'tty; echo $((6*7)); exit 3\r' });
    assert.match(r.stdout, /^\/dev\/pts\/0\r$/m, shown(r));
    assert.match(r.stdout, /^42\r$/m, shown(r));
    assert.equal(r.status, 3, shown(r));
  });

  it('execs with a terminal (exec -it) into a detached container', async () => {
    const name = 'berth-exec-tty';
    ok(runIn(['-d', '--name', name], ['sleep', '1000']));
    try {
      const r = await runInPty([...e.argv, 'exec', '-it', name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin is a tty; exit 4'], { env: e.env });
      assert.match(r.stdout, /^\/dev\/pts\/\d+\r$/m, shown(r));
      assert.match(r.stdout, /^stdin is a tty\r$/m, shown(r));
      assert.equal(r.status, 4, shown(r));
    } finally {
      remove(name);
    }
  });
}
