/**
 * Watching and tidying containers, as a user does it: bin/berth against a
 * private berthd (root) — pause/unpause (the cgroup frozen, exec refused),
 * top, stats, events, system df, container prune, info and version — and
 * the docker CLIs against the same daemon where they are installed. Every
 * container, volume and image has a unique bth prefix and goes at the end
 * with the daemon; nothing may stay running, mounted or frozen.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { EngineClient } from '../../src/client/client.js';
import { busyboxRootfs, uniqueId } from '../helpers/bundle.js';
import { BERTH, startBerthd, type Run, type TestDaemon } from '../helpers/berthd.js';
import { runInPty } from '../helpers/pty.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root', 'busybox');

/** The docker CLIs of this machine: the one on PATH and Debian's 20.10 one. */
const dockerClis = ['/usr/local/bin/docker', '/usr/bin/docker'].filter((p) => existsSync(p));

/** The freezer state of a process's cgroup: FROZEN/THAWED (v1), or 1/0 from cgroup.freeze (v2). */
function freezerState(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('freezer'));
  if (v1) return readFileSync(`/sys/fs/cgroup/freezer${v1.split(':')[2]}/freezer.state`, 'utf8').trim();
  const v2 = lines.find((l) => l.startsWith('0::'))!;
  return readFileSync(`/sys/fs/cgroup${v2.slice(3)}/cgroup.freeze`, 'utf8').trim() === '1' ? 'FROZEN' : 'THAWED';
}

/** The state letter of /proc/<pid>/stat (a frozen task shows D on a v1 freezer, T on v2's). */
function procState(pid: number): string {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[0]!;
}

describe('engine monitoring: berth against berthd', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  const names: string[] = [];
  const volumes: string[] = [];
  const name = (): string => {
    const n = uniqueId('bth-mon');
    names.push(n);
    return n;
  };
  const berth = (...args: string[]): Run => d.berth(args);
  const ok = (...args: string[]): string => {
    const r = d.berth(args);
    assert.equal(r.status, 0, `berth ${args.join(' ')} failed (${r.status}): ${r.stderr}\n${d.log().slice(-2000)}`);
    return r.stdout;
  };
  /** One API request on a connection of its own (a kept-alive one may have been closed by the daemon meanwhile). */
  const api = async <T>(path: string, options: { query?: Record<string, string | number> } = {}): Promise<T> => {
    const client = new EngineClient({ socketPath: d.socketPath });
    try {
      return await client.get<T>(path, options);
    } finally {
      client.close();
    }
  };
  const inspect = (ref: string): Record<string, any> => JSON.parse(ok('container', 'inspect', ref))[0];
  const runDetached = (...args: string[]): { name: string; id: string; pid: number } => {
    const n = name();
    const id = ok('run', '-d', '--name', n, ...args).trim();
    return { name: n, id, pid: inspect(n).State.Pid as number };
  };

  before(async () => {
    d = await startBerthd('monitor');
    work = mkdtempSync(join(tmpdir(), 'berth-monitor-'));
    execFileSync('tar', ['-C', busyboxRootfs(), '-cf', join(work, 'busybox.tar'), '.']);
    ok('import', '-c', 'CMD ["sh"]', join(work, 'busybox.tar'), 'bth-mon-busybox');
  });

  after(async () => {
    for (const n of names) d.berth(['rm', '-f', '-v', n]);
    for (const v of volumes) d.berth(['volume', 'rm', '-f', v]);
    await d.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('pause freezes every process of the container and refuses exec; unpause thaws them', async () => {
    const c = runDetached('bth-mon-busybox', 'sh', '-c', 'sleep 1000 & exec sleep 1001');
    assert.equal(freezerState(c.pid), 'THAWED');
    assert.equal(ok('pause', c.name), `${c.name}\n`);
    assert.equal(freezerState(c.pid), 'FROZEN');
    assert.match(procState(c.pid), /^[DT]$/);
    const state = inspect(c.name).State;
    assert.deepEqual([state.Status, state.Running, state.Paused], ['paused', true, true]);
    assert.match(ok('ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.Status}}'), new RegExp(`^${c.name} Up .* \\(Paused\\)\\n$`));

    const exec = berth('exec', c.name, 'true');
    assert.equal(exec.status, 1);
    // dockerd names the container as it was given, and berth exec does not yet say the refusal is the daemon's
    assert.match(exec.stderr, /^Error(?: response from daemon)?: Container \S+ is paused, unpause the container before exec\n$/);
    const again = berth('pause', c.name);
    assert.deepEqual([again.status, again.stderr], [1, `Error response from daemon: Container ${c.id} is already paused\n`]);

    assert.equal(ok('unpause', c.name), `${c.name}\n`);
    assert.equal(freezerState(c.pid), 'THAWED');
    assert.equal(inspect(c.name).State.Paused, false);
    assert.equal(ok('exec', c.name, 'echo', 'thawed'), 'thawed\n');
    const notPaused = berth('unpause', c.name);
    assert.deepEqual([notPaused.status, notPaused.stderr], [1, `Error response from daemon: Container ${c.id} is not paused\n`]);

    // a paused container still stops (its PID 1 ignores SIGTERM: SIGKILL after 1 s): it is thawed after the signal, as dockerd does
    ok('pause', c.name);
    const started = Date.now();
    ok('stop', '-t', '1', c.name);
    assert.ok(Date.now() - started < 4000, 'the SIGKILL after the timeout took effect');
    assert.equal(inspect(c.name).State.Status, 'exited');
    const stopped = berth('pause', c.name);
    assert.deepEqual([stopped.status, stopped.stderr], [1, `Error response from daemon: Container ${c.id} is not running\n`]);

    const k = runDetached('bth-mon-busybox', 'sleep', '1000');
    ok('pause', k.name);
    ok('kill', k.name);
    assert.equal(ok('wait', k.name), '137\n');
  });

  it('pause, top and stats for a container under runc (--runtime runc)', { skip: missing('runc') }, () => {
    const c = runDetached('--runtime', 'runc', '-m', '48m', 'bth-mon-busybox', 'sleep', '1000');
    assert.match(ok('top', c.name).split('\n')[1]!, new RegExp(`^root\\s+${c.pid}\\s.*sleep 1000$`));
    assert.match(ok('stats', '--no-stream', '--format', '{{.MemUsage}} {{.PIDs}}', c.name), /^\S+ \/ 48MiB 1\n$/);
    ok('pause', c.name);
    assert.equal(freezerState(c.pid), 'FROZEN');
    assert.equal(inspect(c.name).State.Status, 'paused');
    ok('unpause', c.name);
    assert.equal(freezerState(c.pid), 'THAWED');
    ok('pause', c.name);
    ok('stop', '-t', '1', c.name);
    assert.equal(inspect(c.name).State.Status, 'exited');
  });

  it('top lists the processes of the container, with ps options', () => {
    const c = runDetached('bth-mon-busybox', 'sleep', '1000');
    ok('exec', '-d', c.name, 'sleep', '999');
    const lines = ok('top', c.name).trimEnd().split('\n');
    assert.match(lines[0]!, /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
    const rows = lines.slice(1);
    assert.equal(rows.length, 2, lines.join('\n'));
    assert.ok(rows.some((r) => new RegExp(`^root\\s+${c.pid}\\s.*\\ssleep 1000$`).test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /\ssleep 999$/.test(r)), rows.join('\n'));

    const custom = ok('top', c.name, '-o', 'pid,comm').trimEnd().split('\n');
    assert.match(custom[0]!, /^PID {17}COMMAND$/);
    assert.ok(custom.includes(`${String(c.pid).padEnd(20)}sleep`), custom.join('\n'));

    ok('pause', c.name);
    assert.equal(ok('top', c.name).trimEnd().split('\n').length, 3, 'a paused container is listed too');
    ok('unpause', c.name);

    ok('stop', '-t', '0', c.name);
    const r = berth('top', c.name);
    assert.deepEqual([r.status, r.stderr], [1, `Error response from daemon: Container ${c.id} is not running\n`]);
    const bad = berth('container', 'top', 'bth-mon-no-such');
    assert.deepEqual([bad.status, bad.stderr], [1, 'Error response from daemon: No such container: bth-mon-no-such\n']);
  });

  it('stats --no-stream: the memory limit set with -m, pids, and zeros for a stopped container', async () => {
    const c = runDetached('-m', '64m', 'bth-mon-busybox', 'sleep', '1000');
    const table = ok('stats', '--no-stream', c.name).split('\n');
    assert.match(table[0]!, /^CONTAINER ID {3}NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    assert.match(table[1]!, new RegExp(`^${c.id.slice(0, 12)} {3}${c.name} +\\d+\\.\\d\\d% +[\\d.]+[KMG]?i?B / 64MiB +\\d+\\.\\d\\d% +0B / 0B +\\S+ / \\S+ +1$`));
    const row = JSON.parse(ok('container', 'stats', '--no-stream', '--format', 'json', c.name));
    assert.equal(row.Name, c.name);
    assert.equal(row.Container, c.name);
    assert.equal(row.PIDs, '1');
    assert.match(row.MemUsage, / \/ 64MiB$/);

    const raw = await api<Record<string, any>>(`/containers/${c.name}/stats`, { query: { stream: 0 } });
    assert.equal(raw.memory_stats.limit, 64 * 1024 * 1024);
    assert.equal(raw.pids_stats.current, 1);
    assert.notEqual(raw.preread, '0001-01-01T00:00:00Z', 'without stream, the second reading (precpu filled)');
    assert.ok(raw.cpu_stats.system_cpu_usage > raw.precpu_stats.system_cpu_usage);
    const once = await api<Record<string, any>>(`/containers/${c.name}/stats`, { query: { stream: 0, 'one-shot': 1 } });
    assert.equal(once.preread, '0001-01-01T00:00:00Z');

    const created = name();
    ok('create', '--name', created, 'bth-mon-busybox', 'true');
    const all = ok('stats', '--no-stream', '--all', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}');
    assert.ok(all.split('\n').includes(`${created} 0.00% 0B / 0B 0`), all);
    assert.ok(all.split('\n').some((l) => l.startsWith(`${c.name} `)), all);
    const running = ok('stats', '--no-stream', '--format', '{{.Name}}');
    assert.ok(!running.split('\n').includes(created), 'without --all, running containers only');

    const missingOne = berth('stats', '--no-stream', 'bth-mon-no-such');
    assert.deepEqual([missingOne.status, missingOne.stdout, missingOne.stderr], [1, '', 'Error response from daemon: No such container: bth-mon-no-such\n']);
  });

  it('stats streams: plain tables through a pipe, redrawn in place on a terminal', async () => {
    const c = runDetached('bth-mon-busybox', 'sleep', '1000');
    const child = spawn(BERTH, ['stats', '--format', '{{.Name}} {{.PIDs}}', c.name], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    for (let i = 0; i < 50 && out.split(`${c.name} 1\n`).length < 3; i++) await sleep(100);
    child.kill('SIGINT');
    await new Promise((r) => child.once('close', r));
    assert.ok(out.split(`${c.name} 1\n`).length >= 3, `two tables or more: ${JSON.stringify(out)}`);
    assert.equal(out.includes('\x1b'), false);

    const tty = await runInPty(['timeout', '-s', 'INT', '2', BERTH, 'stats', c.name], { env: d.env, timeoutMs: 20_000 });
    assert.ok(tty.stdout.startsWith('\x1b[2J\x1b[H'), JSON.stringify(tty.stdout.slice(0, 40)));
    assert.match(tty.stdout, new RegExp(`\\x1b\\[H(CONTAINER ID[^\\n]*\\x1b\\[K\\r?\\n)${c.id.slice(0, 12)} {3}${c.name}`));
  });

  it('events: create, start, die and destroy of a container run meanwhile; since/until, filters, formats; a live stream', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const n = name();
    ok('run', '--rm', '--name', n, '--label', 'bth-mon=1', 'bth-mon-busybox', 'true');
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const actions = ok('events', '--since', String(since), '--until', until, '--filter', `container=${n}`, '--format', '{{.Action}}');
    assert.equal(actions, 'create\nstart\ndie\ndestroy\n');
    const lines = ok('events', '--since', String(since), '--until', until, '--filter', `container=${n}`).trimEnd().split('\n');
    assert.match(lines[2]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}(Z|[+-]\\d\\d:\\d\\d) container die [0-9a-f]{64} \\(bth-mon=1, exitCode=0, image=bth-mon-busybox, name=${n}\\)$`));
    const json = ok('events', '--since', '1m', '--until', '0s', '--filter', `container=${n}`, '--filter', 'event=die', '--format', 'json').trim();
    const die = JSON.parse(json);
    assert.deepEqual([die.status, die.from, die.Type, die.Action, die.Actor.Attributes.exitCode, die.scope], ['die', 'bth-mon-busybox', 'container', 'die', '0', 'local']);
    assert.equal(ok('events', '--since', '1m', '--until', '0s', '--filter', 'label=bth-mon=1', '--filter', 'event=start', '--format', '{{.Status}} {{.From}}'), 'start bth-mon-busybox\n');
    const bad = berth('events', '--since', 'yesterday');
    assert.equal(bad.status, 1);

    const live = name();
    const child = spawn(BERTH, ['events', '--filter', `container=${live}`, '--format', '{{.Action}}'], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    for (let i = 0; i < 50 && Number(ok('info', '--format', '{{.NEventsListener}}').trim()) < 1; i++) await sleep(50);
    ok('run', '--name', live, 'bth-mon-busybox', 'true');
    ok('rm', live);
    for (let i = 0; i < 50 && !out.includes('destroy'); i++) await sleep(100);
    child.kill('SIGINT');
    await new Promise((r) => child.once('close', r));
    assert.equal(out, 'create\nstart\ndie\ndestroy\n');
  });

  it('system df: images, containers with their read-write size, volumes with their size and users', async () => {
    const volume = uniqueId('bth-mon-vol');
    volumes.push(volume);
    const c = runDetached('-v', `${volume}:/data`, 'bth-mon-busybox', 'sh', '-c', 'printf abc > /data/x; dd if=/dev/zero of=/big bs=1024 count=100 2>/dev/null; sleep 1000');
    for (let i = 0; i < 50 && !ok('exec', c.name, 'ls', '/').includes('big'); i++) await sleep(100);
    await sleep(200);
    const df = await api<Record<string, any>>('/system/df');
    const image = df.Images.find((i: { RepoTags: string[] }) => i.RepoTags?.includes('bth-mon-busybox:latest'));
    assert.ok(image.Size > 500_000 && image.Containers >= 1, JSON.stringify(image));
    assert.ok(df.LayersSize >= image.Size);
    const mine = df.Containers.find((x: { Id: string }) => x.Id === c.id);
    assert.ok(mine.SizeRw >= 102_400 && mine.SizeRw < 200_000, JSON.stringify(mine));
    assert.ok(mine.SizeRootFs >= mine.SizeRw + image.Size);
    const vol = df.Volumes.find((v: { Name: string }) => v.Name === volume);
    assert.deepEqual(vol.UsageData, { RefCount: 1, Size: 3 });
    assert.deepEqual(df.BuildCache, []);

    const rows = ok('system', 'df', '--format', 'json').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.Type), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
    assert.equal(rows[1].TotalCount, String(df.Containers.length));
    assert.equal(rows[2].TotalCount, String(df.Volumes.length));
    const table = ok('system', 'df').split('\n');
    assert.match(table[0]!, /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE$/);
    assert.match(table[4]!, /^Build Cache {5}0 {9}0 {9}0B {8}0B$/);
    const verbose = ok('system', 'df', '-v');
    assert.match(verbose, new RegExp(`\\n${c.id.slice(0, 12)} {3}bth-mon-busybox {3}"sh -c [^"]+" +1 {15}\\d+kB `));
    assert.match(verbose, new RegExp(`\\n${volume} +1 {9}3B\\n`));
  });

  it('container prune removes stopped containers only, after asking; filters by label', () => {
    const running = runDetached('bth-mon-busybox', 'sleep', '1000');
    const paused = runDetached('bth-mon-busybox', 'sleep', '1000');
    ok('pause', paused.name);
    const exited = name();
    ok('run', '--name', exited, 'bth-mon-busybox', 'sh', '-c', 'echo x > /file');
    const created = name();
    const createdId = ok('create', '--name', created, 'bth-mon-busybox', 'true').trim();
    const kept = name();
    ok('create', '--name', kept, '--label', 'bth-keep=1', 'bth-mon-busybox', 'true');

    const no = d.berth(['container', 'prune'], { input: 'n\n' });
    assert.deepEqual([no.status, no.stdout], [0, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ']);
    assert.equal(inspect(exited).State.Status, 'exited', 'no answer, nothing removed');

    const exitedId = inspect(exited).Id as string;
    const r = ok('container', 'prune', '-f', '--filter', 'label!=bth-keep=1');
    const ids = r.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l));
    assert.ok(r.startsWith('Deleted Containers:\n'), r);
    assert.match(r, /\n\nTotal reclaimed space: \d+(\.\d+)?k?B\n$/);
    assert.ok(ids.includes(exitedId) && ids.includes(createdId), r);
    assert.ok(!ids.includes(running.id) && !ids.includes(paused.id), r);
    for (const gone of [exited, created]) assert.equal(berth('container', 'inspect', gone).status, 1);
    assert.equal(inspect(kept).State.Status, 'created', 'the label! filter kept it');
    assert.equal(inspect(running.name).State.Running, true);
    assert.equal(inspect(paused.name).State.Paused, true);
    ok('unpause', paused.name);

    const y = d.berth(['container', 'prune', '--filter', 'label=bth-keep'], { input: 'y\n' });
    assert.equal(y.status, 0);
    assert.match(y.stdout, /Are you sure you want to continue\? \[y\/N\] Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
    assert.equal(berth('container', 'inspect', kept).status, 1);
    const bad = berth('container', 'prune', '-f', '--filter', 'colour=red');
    assert.deepEqual([bad.status, bad.stderr], [1, "Error response from daemon: Invalid filter 'colour'\n"]);
  });

  it('info and version: the server part as docker prints it, --format over the answers', () => {
    const info = ok('info');
    assert.match(info, /^Client:\n Version: {4}\d+\.\d+\.\d+\n Context: {4}default\n Debug Mode: false\n\nServer:\n Containers: \d+\n {2}Running: \d+\n {2}Paused: \d+\n {2}Stopped: \d+\n Images: \d+\n Server Version: /);
    assert.match(info, /\n Storage Driver: (overlay2\n {2}Backing Filesystem: \S+|vfs)\n/);
    assert.match(info, new RegExp(`\\n Docker Root Dir: ${d.dataRoot}\\n`));
    const id = ok('info', '--format', '{{.ID}}').trim();
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(ok('system', 'info', '--format', '{{.ID}}').trim(), id, 'the ID stays');
    assert.equal(ok('info', '--format', '{{.OSType}} {{.ClientInfo.Context}}'), 'linux default\n');

    const version = ok('version');
    assert.match(version, /^Client:\n Version: {11}\d+\.\d+\.\d+\n API version: {7}1\.\d+\n/);
    assert.match(version, /\n\nServer: berth\n Engine:\n {2}Version: {10}\d+\.\d+\.\d+\n {2}API version: {6}1\.\d+ \(minimum version 1\.\d+\)\n/);
    assert.equal(ok('version', '--format', '{{.Server.Os}}/{{.Client.Os}} {{.Server.APIVersion}}'), `linux/linux ${JSON.parse(ok('version', '--format', '{{json .Server}}')).ApiVersion}\n`);
  });

  it('the docker CLIs drive the same commands against berthd', { skip: dockerClis.length ? false : 'no docker CLI here' }, () => {
    const c = runDetached('-m', '32m', 'bth-mon-busybox', 'sleep', '1000');
    for (const cli of dockerClis) {
      const docker = (...args: string[]): string => {
        const r = spawnSync(cli, ['-H', d.host, ...args], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 0, `${cli} ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      assert.equal(docker('pause', c.name), `${c.name}\n`);
      assert.equal(inspect(c.name).State.Paused, true);
      const exec = spawnSync(cli, ['-H', d.host, 'exec', c.name, 'true'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(exec.status, 1);
      assert.match(exec.stderr, /^Error response from daemon: Container \S+ is paused, unpause the container before exec\n$/);
      assert.equal(docker('unpause', c.name), `${c.name}\n`);
      assert.match(docker('top', c.name).split('\n')[1]!, new RegExp(`^root\\s+${c.pid}\\s.*sleep 1000$`));
      assert.match(docker('stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', c.name), new RegExp(`^${c.name} \\S+ / 32MiB 1\\n$`));
      assert.match(docker('system', 'df'), /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\nImages /);
      assert.match(docker('info', '--format', '{{.OperatingSystem}}'), /\S/);
      assert.match(docker('events', '--since', '30s', '--until', '0s', '--filter', `container=${c.name}`, '--format', '{{.Action}}'), /^create\nstart\n(.*\n)*pause\nunpause\n/);
    }
  });
});
