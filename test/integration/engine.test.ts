/**
 * The engine end to end, as a user drives it: bin/berth against a private
 * berthd (root), with a busybox image imported from the host's static
 * busybox. Each test names its containers with a unique bth prefix and
 * removes them; the daemon and its directories go at the end, and nothing
 * may stay mounted or running.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { busyboxRootfs, uniqueId } from '../helpers/bundle.js';
import { startBerthd, type TestDaemon } from '../helpers/berthd.js';
import { runInPty } from '../helpers/pty.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root');

describe('engine: berth against berthd', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  const names: string[] = [];
  const name = (): string => {
    const n = uniqueId('bth-eng');
    names.push(n);
    return n;
  };
  const ok = (args: string[], input?: string): string => {
    const r = d.berth(args, input === undefined ? {} : { input });
    assert.equal(r.status, 0, `berth ${args.join(' ')} failed (${r.status}): ${r.stderr}\n${d.log().slice(-2000)}`);
    return r.stdout;
  };
  const inspect = (ref: string): Record<string, any> => JSON.parse(ok(['container', 'inspect', ref]))[0];

  before(async () => {
    d = await startBerthd('engine');
    work = mkdtempSync(join(tmpdir(), 'berth-engine-'));
    execFileSync('tar', ['-C', busyboxRootfs(), '-cf', join(work, 'busybox.tar'), '.']);
    ok(['import', '-c', 'CMD ["sh"]', join(work, 'busybox.tar'), 'bth-busybox']);
    ok(['import', '-c', 'ENTRYPOINT ["echo", "ep"]', '-c', 'CMD ["default"]', join(work, 'busybox.tar'), 'bth-entry']);
    ok(['import', '-c', 'CMD echo shell $0 form', join(work, 'busybox.tar'), 'bth-shellform']);
  });

  after(async () => {
    for (const n of names) d.berth(['rm', '-f', '-v', n]);
    await d.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs a command, passes its output and exit code, and --rm removes the container', () => {
    const n = name();
    const r = d.berth(['run', '--rm', '--name', n, 'bth-busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.status, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(d.berth(['container', 'inspect', n]).status, 1, 'the container is gone');
  });

  it('exits 125 for an engine error, 127 for a missing command, 126 for one not executable', () => {
    const noImage = d.berth(['run', '--rm', 'bth-no-such-image', 'true']);
    assert.equal(noImage.status, 125);
    assert.match(noImage.stderr, /No such image: bth-no-such-image/);
    const missingCmd = d.berth(['run', '--rm', 'bth-busybox', 'bth-no-such-command']);
    assert.equal(missingCmd.status, 127);
    assert.match(missingCmd.stderr, /executable file not found in \$PATH/);
    const notExec = d.berth(['run', '--rm', 'bth-busybox', '/etc/passwd']);
    assert.equal(notExec.status, 126);
    assert.match(notExec.stderr, /permission denied/);
  });

  it('joins ENTRYPOINT and CMD as Docker does, shell form through /bin/sh -c', () => {
    assert.equal(ok(['run', '--rm', 'bth-entry']), 'ep default\n');
    assert.equal(ok(['run', '--rm', 'bth-entry', 'given']), 'ep given\n');
    assert.equal(ok(['run', '--rm', '--entrypoint', 'sh', 'bth-entry', '-c', 'echo replaced']), 'replaced\n');
    assert.equal(ok(['run', '--rm', 'bth-shellform']), 'shell /bin/sh form\n');
  });

  it('gives the short ID as hostname, and the run flags: -e, -w, -u, --hostname, -l', () => {
    const n = name();
    const out = ok(['run', '--name', n, '-e', 'A=1', '-w', '/made/here', '-u', '1000:1000', '-l', 'k=v', 'bth-busybox', 'sh', '-c', 'echo $A $(pwd) $(id -u):$(id -g) $(hostname)']);
    const c = inspect(n);
    assert.equal(out, `1 /made/here 1000:1000 ${c.Id.slice(0, 12)}\n`);
    assert.equal(c.Config.Labels.k, 'v');
    assert.equal(ok(['run', '--rm', '--hostname', 'bth-host', 'bth-busybox', 'hostname']), 'bth-host\n');
  });

  it('runs detached: ps, logs with --tail and -t, stop with the stop signal, start again with its files kept', async () => {
    const n = name();
    const id = ok(['run', '-d', '--name', n, 'bth-busybox', 'sh', '-c', 'trap "echo got TERM; exit 0" TERM; echo one; echo two; touch /tmp/mark; while :; do sleep 0.1; done']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const line = ok(['ps', '--no-trunc']).split('\n').find((l) => l.startsWith(id));
    assert.ok(line?.includes(n) && line.includes('Up '), `ps shows ${n} running`);
    await sleep(300);
    assert.equal(ok(['logs', '--tail', '1', n]), 'two\n');
    assert.match(ok(['logs', '-t', n]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z one\n/);
    assert.equal(ok(['stop', n]), `${n}\n`);
    const c = inspect(n);
    assert.equal(c.State.Status, 'exited');
    assert.equal(c.State.ExitCode, 0);
    assert.match(ok(['logs', n]), /got TERM/);
    ok(['start', n]);
    await sleep(200);
    assert.equal(ok(['exec', n, 'ls', '/tmp/mark']), '/tmp/mark\n');
    ok(['rm', '-f', n]);
  });

  it('kills with a signal, refuses to remove a running container unless forced, and reports name conflicts', () => {
    const n = name();
    // --init: a signal the process has no handler for is dropped when it is PID 1, so berth-reaper is PID 1 and forwards it
    ok(['run', '-d', '--init', '--name', n, 'bth-busybox', 'sleep', '100']);
    const conflict = d.berth(['run', '-d', '--name', n, 'bth-busybox', 'true']);
    assert.equal(conflict.status, 125);
    assert.match(conflict.stderr, new RegExp(`The container name "/${n}" is already in use`));
    const refused = d.berth(['rm', n]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /You cannot remove a running container .* Stop the container before attempting removal or force remove/);
    ok(['kill', '-s', 'USR1', n]);
    assert.equal(ok(['wait', n]), '138\n');
    assert.equal(inspect(n).State.ExitCode, 138);
    ok(['rm', n]);
  });

  it('fills a new named volume from the image, keeps it past the container, and removes anonymous volumes with --rm', () => {
    const vol = `${name()}-vol`;
    assert.equal(ok(['run', '--rm', '-v', `${vol}:/etc`, 'bth-busybox', 'cat', '/etc/group']), readFileSync(join(busyboxRootfs(), 'etc', 'group'), 'utf8'));
    ok(['run', '--rm', '-v', `${vol}:/data`, 'bth-busybox', 'sh', '-c', 'echo kept > /data/f']);
    assert.equal(ok(['run', '--rm', '-v', `${vol}:/data:ro`, 'bth-busybox', 'cat', '/data/f']), 'kept\n');
    const ro = d.berth(['run', '--rm', '-v', `${vol}:/data:ro`, 'bth-busybox', 'touch', '/data/g']);
    assert.notEqual(ro.status, 0);
    const before = ok(['volume', 'ls', '-q']).split('\n').filter(Boolean).length;
    ok(['run', '--rm', '-v', '/anon', 'bth-busybox', 'true']);
    assert.equal(ok(['volume', 'ls', '-q']).split('\n').filter(Boolean).length, before, 'the anonymous volume went with --rm');
    ok(['volume', 'rm', vol]);
  });

  it('bind-mounts host paths, tmpfs, and --volumes-from', () => {
    const host = mkdtempSync(join(work, 'bind-'));
    writeFileSync(join(host, 'in'), 'from host\n');
    assert.equal(ok(['run', '--rm', '-v', `${host}:/mnt/h`, 'bth-busybox', 'sh', '-c', 'cat /mnt/h/in; echo back > /mnt/h/out']), 'from host\n');
    assert.equal(readFileSync(join(host, 'out'), 'utf8'), 'back\n');
    assert.match(ok(['run', '--rm', '--tmpfs', '/scratch:size=1m', 'bth-busybox', 'sh', '-c', 'grep /scratch /proc/mounts']), /tmpfs \/scratch tmpfs .*size=1024k/);
    const src = name();
    ok(['create', '--name', src, '-v', `${host}:/shared`, 'bth-busybox', 'true']);
    assert.equal(ok(['run', '--rm', '--volumes-from', src, 'bth-busybox', 'cat', '/shared/in']), 'from host\n');
  });

  it('execs in a running container: output, exit code, -e, -u, -w, -i', async () => {
    const n = name();
    ok(['run', '-d', '--name', n, 'bth-busybox', 'sleep', '100']);
    assert.equal(ok(['exec', '-e', 'X=y', '-u', '1000', '-w', '/tmp', n, 'sh', '-c', 'echo $X $(id -u) $(pwd)']), 'y 1000 /tmp\n');
    assert.equal(d.berth(['exec', n, 'sh', '-c', 'exit 42']).status, 42);
    assert.equal(ok(['exec', '-i', n, 'cat'], 'through stdin\n'), 'through stdin\n');
    // as dockerd: a process that cannot start is told on the stream, and the exec's exit code is 126
    const missing = d.berth(['exec', n, 'no-such-program']);
    assert.equal(missing.status, 126);
    assert.match(missing.stdout, /OCI runtime exec failed: .*exec: "no-such-program": executable file not found in \$PATH/);
    ok(['stop', '-t', '0', n]);
    const stopped = d.berth(['exec', n, 'true']);
    assert.equal(stopped.status, 1);
    assert.match(stopped.stderr, /is not running/);
  });

  it('gives -it a terminal', async () => {
    const r = await runInPty([join(process.cwd(), 'bin', 'berth'), 'run', '-it', '--rm', 'bth-busybox', 'sh', '-c', 'tty; echo $TERM'], { env: d.env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+\r\nxterm\r\n/);
  });

  it('leaves -it sessions at the detach keys (run, attach, exec), the container running on', async () => {
    const n = name();
    const berth = join(process.cwd(), 'bin', 'berth');
    const run = await runInPty([berth, 'run', '-it', '--name', n, 'bth-busybox', 'sh'], { env: d.env, steps: [[/# /, 'echo first\r'], [/first\r\n[^]*# /, '\x10\x11']], timeoutMs: 20_000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(inspect(n).State.Running, true, 'running on after run -it is left');
    const attach = await runInPty([berth, 'attach', '--detach-keys', 'ctrl-a,x', n], { env: d.env, steps: [[/^/, 'echo second\r'], [/second\r\n/, '\x01a\x01x']], timeoutMs: 20_000 });
    assert.equal(attach.status, 1);
    assert.match(attach.stdout + attach.stderr, /read escape sequence/);
    const exec = await runInPty([berth, 'exec', '-it', n, 'sh'], { env: d.env, steps: [[/# /, 'echo third\r'], [/third\r\n[^]*# /, '\x10\x11']], timeoutMs: 20_000 });
    assert.equal(exec.status, 1, exec.stdout + exec.stderr);
    assert.equal(inspect(n).State.Running, true, 'running on after attach and exec are left');
    // the daemon watches for them too (docker's CLI and API clients count on it): the session ends, the shell goes on
    const conn = await d.client.hijack(`/containers/${n}/attach`, { query: { stream: 1, stdin: 1, stdout: 1, detachKeys: 'ctrl-x' } });
    let seen = '';
    conn.socket.on('data', (b: Buffer) => (seen += b.toString()));
    conn.socket.write('echo fourth\r');
    for (let i = 0; i < 100 && !seen.includes('fourth\r\n'); i++) await sleep(50);
    conn.socket.write('\x18');
    await new Promise<void>((resolve) => conn.socket.once('close', () => resolve()));
    assert.equal(inspect(n).State.Running, true);
    const bad = d.berth(['attach', '--detach-keys', 'ctrl-1', n]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /Invalid detach keys \(ctrl-1\) provided/);
    ok(['rm', '-f', n]);
  });

  it('restarts a --rm container in place, and removes it when it stops', () => {
    const n = name();
    ok(['run', '-d', '--rm', '--name', n, 'bth-busybox', 'sh', '-c', 'touch /kept; exec sleep 100']);
    ok(['restart', '-t', '0', n]);
    assert.equal(ok(['inspect', '-f', '{{.State.Running}} {{.RestartCount}}', n]), 'true 0\n');
    assert.equal(ok(['exec', n, 'ls', '/kept']), '/kept\n');
    ok(['stop', '-t', '0', n]);
    for (let i = 0; i < 100 && d.berth(['inspect', n]).status === 0; i++) execFileSync('sleep', ['0.05']);
    assert.notEqual(d.berth(['inspect', n]).status, 0, 'removed once stopped');
  });

  it('restarts on failure up to the count, and always until stopped', async () => {
    const n = name();
    ok(['run', '-d', '--name', n, '--restart', 'on-failure:2', 'bth-busybox', 'sh', '-c', 'exit 1']);
    for (let i = 0; i < 50 && inspect(n).RestartCount < 2; i++) await sleep(100);
    await sleep(500);
    const c = inspect(n);
    assert.equal(c.RestartCount, 2);
    assert.equal(c.State.Status, 'exited');
    const a = name();
    ok(['run', '-d', '--name', a, '--restart', 'always', 'bth-busybox', 'sh', '-c', 'sleep 0.1']);
    for (let i = 0; i < 50 && inspect(a).RestartCount < 1; i++) await sleep(100);
    assert.ok(inspect(a).RestartCount >= 1);
    ok(['stop', a]);
    const count = inspect(a).RestartCount;
    await sleep(500);
    assert.equal(inspect(a).RestartCount, count, 'a stopped container stays stopped');
    assert.equal(inspect(a).State.Running, false);
  });

  it('applies limits and security options', () => {
    const out = ok(['run', '--rm', '-m', '64m', '--pids-limit', '50', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', 'bth-busybox', 'sh', '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; touch /x 2>&1 || true']);
    assert.match(out, /^67108864\n50\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\ntouch: \/x: Read-only file system\n$/);
    assert.equal(ok(['run', '--rm', '--init', 'bth-busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']).trim(), '/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr "\\0" " "');
  });

  it('renames, filters ps, follows logs, attaches, and manages volumes', async () => {
    const n = name();
    const renamed = `${n}-new`;
    names.push(renamed);
    ok(['run', '-d', '--name', n, '-l', 'bth-role=web', 'bth-busybox', 'sh', '-c', 'trap "exit 0" TERM; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
    ok(['rename', n, renamed]);
    assert.equal(ok(['ps', '--filter', 'label=bth-role=web', '--format', '{{.Names}}']), `${renamed}\n`);
    assert.equal(ok(['ps', '-a', '--filter', `name=${renamed}`, '-q']).trim().length, 12);
    // logs -f ends when the container does; attach sees the output as it comes
    const follow = spawn(join(process.cwd(), 'bin', 'berth'), ['logs', '-f', renamed], { env: d.env });
    let followed = '';
    follow.stdout.on('data', (c: Buffer) => (followed += c.toString()));
    const attach = spawn(join(process.cwd(), 'bin', 'berth'), ['attach', '--no-stdin', renamed], { env: d.env });
    let attached = '';
    attach.stdout.on('data', (c: Buffer) => (attached += c.toString()));
    await sleep(800);
    ok(['stop', renamed]);
    const [followCode, attachCode] = await Promise.all([new Promise((r) => follow.on('close', r)), new Promise((r) => attach.on('close', r))]);
    assert.equal(followCode, 0);
    assert.match(followed, /^tick 0\ntick 1\n/);
    assert.equal(attachCode, 0);
    assert.match(attached, /tick \d+\n/);
    assert.ok(!attached.includes('tick 0\n'), 'attach shows what comes after it, not the past');
    const vol = `${name()}-v`;
    ok(['volume', 'create', '--label', 'bth=1', vol]);
    const v = JSON.parse(ok(['volume', 'inspect', vol]))[0];
    assert.equal(v.Name, vol);
    assert.equal(v.Labels.bth, '1');
    assert.match(v.Mountpoint, /\/volumes\/.*\/_data$/);
    const user = name();
    ok(['create', '--name', user, '-v', `${vol}:/data`, 'bth-busybox', 'true']);
    const inUse = d.berth(['volume', 'rm', vol]);
    assert.equal(inUse.status, 1);
    assert.match(inUse.stderr, /volume is in use/);
    ok(['rm', user]);
    ok(['volume', 'rm', vol]);
  });

  it('records an OOM kill, and reports it as an oom event before die', () => {
    const n = name();
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const r = d.berth(['run', '--name', n, '-m', '16m', '--memory-swap', '16m', 'bth-busybox', 'sh', '-c', 'head -c 100m /dev/zero | tail']);
    assert.equal(r.status, 137);
    assert.equal(ok(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', n]), 'true 137\n');
    const until = String(Math.floor(Date.now() / 1000) + 1);
    // an oom event for each kill (the kernel may take more than one process before the memory is back)
    assert.match(ok(['events', '--since', since, '--until', until, '--filter', `container=${n}`, '--format', '{{.Action}}']), /^create\nstart\n(oom\n)+die\n$/);
  });

  it('runs health checks: starting, unhealthy after the retries, healthy once the probe passes, unhealthy when stopped', async () => {
    const n = name();
    const since = String(Math.floor(Date.now() / 1000) - 1);
    ok(['run', '-d', '--name', n, '--health-cmd', 'test -f /tmp/ok && echo fine', '--health-interval', '300ms', '--health-retries', '2', '--health-timeout', '5s', 'bth-busybox', 'sleep', '100']);
    const health = (): { Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] } => inspect(n).State.Health;
    assert.equal(health().Status, 'starting');
    assert.match(ok(['ps', '--filter', `name=${n}`, '--format', '{{.Status}}']), /^Up .* \(health: starting\)\n$/);
    for (let i = 0; i < 100 && health().Status !== 'unhealthy'; i++) await sleep(100);
    assert.equal(health().Status, 'unhealthy');
    assert.ok(health().FailingStreak >= 2);
    assert.equal(ok(['ps', '-q', '--no-trunc', '--filter', 'health=unhealthy', '--filter', `name=${n}`]).trim(), inspect(n).Id);
    ok(['exec', n, 'touch', '/tmp/ok']);
    for (let i = 0; i < 100 && health().Status !== 'healthy'; i++) await sleep(100);
    assert.equal(health().Status, 'healthy');
    const last = health().Log.at(-1)!;
    assert.deepEqual([last.ExitCode, last.Output], [0, 'fine\n']);
    assert.match(ok(['ps', '--filter', `name=${n}`, '--format', '{{.Status}}']), /^Up .* \(healthy\)\n$/);
    ok(['stop', '-t', '0', n]);
    assert.equal(health().Status, 'unhealthy');
    const actions = ok(['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${n}`, '--format', '{{.Action}}']);
    assert.match(actions, /health_status: unhealthy\n(.*\n)*health_status: healthy\n/);
    assert.match(actions, /exec_start: \/bin\/sh -c test -f \/tmp\/ok && echo fine\n/);
    // probes' exec instances are not kept
    assert.equal(d.log().includes('No such exec'), false);
  });

  it('tells of an OOM kill as it happens, in a container that outlives it', async () => {
    const n = name();
    const since = String(Math.floor(Date.now() / 1000) - 1);
    // the hog is the kernel's first choice (oom_score_adj 1000), with room to spare for the shell
    ok(['run', '-d', '--name', n, '-m', '64m', '--memory-swap', '64m', 'bth-busybox', 'sh', '-c', '(echo 1000 > /proc/self/oom_score_adj; exec tail /dev/zero); echo survived; exec sleep 100']);
    const actions = (): string => ok(['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${n}`, '--format', '{{.Action}}']);
    for (let i = 0; i < 100 && !actions().includes('oom'); i++) await sleep(100);
    assert.match(actions(), /^create\nstart\n(oom\n)+$/, 'the oom event while it runs');
    assert.equal(ok(['inspect', '-f', '{{.State.Running}}', n]), 'true\n');
    assert.equal(ok(['logs', n]), 'survived\n');
    ok(['stop', '-t', '0', n]);
    // as dockerd: OOMKilled says a kill happened in this run; the oom event is not told twice
    assert.equal(ok(['inspect', '-f', '{{.State.OOMKilled}}', n]), 'true\n');
    assert.match(actions(), /^create\nstart\n(oom\n)+(kill\n)*die\nstop\n$/);
  });

  it('joins another container\'s network or the host\'s, and applies --sysctl, --shm-size, --ulimit, --device, --stop-signal', async () => {
    const src = name();
    ok(['run', '-d', '--name', src, 'bth-busybox', 'sleep', '100']);
    const pid = Number(ok(['inspect', '-f', '{{.State.Pid}}', src]).trim());
    const theirs = execFileSync('readlink', [`/proc/${pid}/ns/net`], { encoding: 'utf8' });
    assert.equal(ok(['run', '--rm', '--network', `container:${src}`, 'bth-busybox', 'readlink', '/proc/self/ns/net']), theirs);
    assert.equal(ok(['run', '--rm', '--network', 'host', 'bth-busybox', 'readlink', '/proc/self/ns/net']), execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }));
    const out = ok(['run', '--rm', '--sysctl', 'net.ipv4.ip_forward=1', '--shm-size', '8m', '--ulimit', 'nofile=512:1024', '--device', '/dev/null:/dev/bth-null', 'bth-busybox', 'sh', '-c',
      'cat /proc/sys/net/ipv4/ip_forward; df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2; ulimit -n; ulimit -Hn; echo x > /dev/bth-null && echo device']);
    assert.equal(out, '1\n8192\n512\n1024\ndevice\n');
    const sig = name();
    ok(['run', '-d', '--name', sig, '--stop-signal', 'USR1', '--stop-timeout', '5', 'bth-busybox', 'sh', '-c', 'trap "echo got usr1; exit 5" USR1; while :; do sleep 0.1; done']);
    await sleep(300);
    ok(['stop', sig]);
    assert.equal(ok(['logs', sig]), 'got usr1\n');
    assert.equal(ok(['inspect', '-f', '{{.State.ExitCode}}', sig]), '5\n');
  });

  it('inspects in Docker\'s shape', () => {
    const n = name();
    ok(['create', '--name', n, '-v', '/anon', 'bth-busybox', 'true']);
    const c = inspect(n);
    assert.equal(c.Name, `/${n}`);
    assert.equal(c.State.Status, 'created');
    assert.equal(c.Path, 'true');
    assert.equal(c.Config.Image, 'bth-busybox');
    assert.equal(c.HostConfig.NetworkMode, 'none');
    assert.equal(c.Mounts[0].Type, 'volume');
    assert.equal(c.Mounts[0].Destination, '/anon');
    assert.ok(['overlay2', 'vfs'].includes(c.GraphDriver.Name));
    if (c.GraphDriver.Name === 'overlay2') assert.ok(existsSync(c.GraphDriver.Data.UpperDir));
  });
});
