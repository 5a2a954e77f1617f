import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { EngineClient } from '../../client/client.js';
import { EngineError } from '../../errors/engine-error.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../lib/detach-keys.js';
import { demultiplex } from '../../lib/stdcopy.js';
import { eachContainer, inspectContainers, path, ps, type LogsFlags, type PsFlags } from './containers.js';
import { actions, type Actions } from './actions.js';
import { errorLine } from './context.js';
import { renderInspect, renderList } from './format/render.js';
import { addRunOptions, describeRunError } from './run-options.js';
import { buildRunRequest, type RunFlags, type RunRequest } from './run-request.js';
import { runSession, type SessionIo } from './session.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export interface CommandEnv {
  io: SessionIo & { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream };
  client: () => Promise<EngineClient>;
  setExitCode: (code: number) => void;
  /** Whether to add the top-level command of this name (and its subcommands): buildProgram adds only those a command line needs. */
  want: (name: string) => boolean;
}

/** docker's exit code for a start that failed: 127 not found, 126 not executable, 125 otherwise. */
function startExitCode(err: unknown): number {
  const text = err instanceof Error ? err.message : String(err);
  if (/executable file not found|no such file or directory/i.test(text)) return 127;
  if (/permission denied/i.test(text)) return 126;
  return 125;
}

/** Forwards the signals berth gets to the container (docker run's --sig-proxy). */
function proxySignals(client: EngineClient, id: string): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handler = (signal: NodeJS.Signals): void => void client.post(path(id, '/kill'), undefined, { query: { signal } }).catch(() => undefined);
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

async function createContainer(env: CommandEnv, client: EngineClient, req: RunRequest): Promise<string> {
  for (const w of req.client.warnings) env.io.stderr.write(`${w}\n`);
  const created = await client.post<{ Id: string; Warnings?: string[] | null }>('/containers/create', req.body, { query: req.query });
  for (const w of created.Warnings ?? []) env.io.stderr.write(`WARNING: ${w}\n`);
  if (req.client.cidfile) writeFileSync(req.client.cidfile, created.Id, { flag: 'wx' });
  return created.Id;
}

/**
 * `berth run`: docker's sequence — create; unless detached, attach (before
 * the start, so no output is missed) and a wait registered before the
 * start; start; relay the session; the exit code is the container's.
 */
async function run(env: CommandEnv, image: string, args: string[], flags: RunFlags): Promise<number> {
  const req = buildRunRequest(flags, image, args, { command: 'run', env: process.env });
  const client = await env.client();
  const id = await createContainer(env, client, req);
  if (req.client.detach) {
    try {
      await client.post(path(id, '/start'));
    } catch (err) {
      throw Object.assign(err as Error, { exitCode: startExitCode(err) });
    }
    env.io.stdout.write(`${id}\n`);
    return 0;
  }
  const tty = req.client.tty;
  const wantStdin = req.client.attach.includes('stdin');
  const detachKeys = parseDetachKeys(req.client.detachKeys ?? DEFAULT_DETACH_KEYS);
  const conn = req.client.attach.length
    ? await client.hijack(path(id, '/attach'), { query: { stream: 1, stdin: wantStdin ? 1 : undefined, stdout: req.client.attach.includes('stdout') ? 1 : undefined, stderr: req.client.attach.includes('stderr') ? 1 : undefined, detachKeys: req.client.detachKeys } })
    : undefined;
  const waitRes = await client.stream('POST', path(id, '/wait'), undefined, { query: { condition: req.client.rm ? 'removed' : 'next-exit' } });
  const waitBody = readAll(waitRes);
  try {
    await client.post(path(id, '/start'));
  } catch (err) {
    conn?.socket.destroy();
    throw Object.assign(err as Error, { exitCode: startExitCode(err) });
  }
  const stopProxy = req.client.sigProxy && !tty ? proxySignals(client, id) : () => undefined;
  try {
    if (conn) {
      const session = await runSession(conn.socket, env.io, {
        tty,
        stdin: wantStdin,
        detachKeys,
        onResize: (rows, cols) => void client.post(path(id, '/resize'), undefined, { query: { h: rows, w: cols } }).catch(() => undefined),
      });
      // detached, as docker run: the container goes on, and so does the shell
      if (session.detached) {
        waitBody.catch(() => undefined);
        waitRes.destroy();
        return 0;
      }
    }
    const status = JSON.parse((await waitBody).toString() || '{}') as { StatusCode?: number; Error?: { Message?: string } | null };
    if (status.Error?.Message) env.io.stderr.write(`berth: ${status.Error.Message}\n`);
    return status.StatusCode ?? 125;
  } finally {
    stopProxy();
  }
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function logs(env: CommandEnv, ref: string, o: LogsFlags): Promise<void> {
  const client = await env.client();
  const c = await client.get<{ Config: { Tty?: boolean } }>(path(ref, '/json'));
  const res = await client.stream('GET', path(ref, '/logs'), undefined, {
    query: { stdout: 1, stderr: 1, follow: o.follow ? 1 : undefined, tail: o.tail ?? 'all', since: o.since, until: o.until, timestamps: o.timestamps ? 1 : undefined },
  });
  if (c.Config.Tty) {
    for await (const chunk of res) env.io.stdout.write(chunk);
    return;
  }
  await demultiplex(res, { stdout: env.io.stdout, stderr: env.io.stderr });
}

async function exec(env: CommandEnv, ref: string, cmd: string[], o: { interactive?: boolean; tty?: boolean; detach?: boolean; detachKeys?: string; env: string[]; user?: string; workdir?: string; privileged?: boolean }): Promise<number> {
  const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
  const client = await env.client();
  const { Id } = await client.post<{ Id: string }>(path(ref, '/exec'), {
    Cmd: cmd,
    Env: o.env,
    ...(o.user ? { User: o.user } : {}),
    ...(o.workdir ? { WorkingDir: o.workdir } : {}),
    Tty: o.tty === true,
    AttachStdin: o.interactive === true && !o.detach,
    AttachStdout: !o.detach,
    AttachStderr: !o.detach,
    Privileged: o.privileged === true,
    ...(o.detachKeys ? { DetachKeys: o.detachKeys } : {}),
  });
  if (o.detach) {
    await client.post(`/exec/${Id}/start`, { Detach: true, Tty: o.tty === true });
    return 0;
  }
  const conn = await client.hijack(`/exec/${Id}/start`, { body: { Detach: false, Tty: o.tty === true } });
  const session = await runSession(conn.socket, env.io, {
    tty: o.tty === true,
    stdin: o.interactive === true,
    detachKeys,
    onResize: (rows, cols) => void client.post(`/exec/${Id}/resize`, undefined, { query: { h: rows, w: cols } }).catch(() => undefined),
  });
  if (session.detached) return detachedSession(env);
  const info = await client.get<{ ExitCode: number | null; Running: boolean }>(`/exec/${Id}/json`);
  return info.ExitCode ?? 0;
}

/** docker attach and exec -it, left by the detach keys: docker's words for it, and its exit code. */
function detachedSession(env: CommandEnv): number {
  env.io.stderr.write('read escape sequence\n');
  return 1;
}

async function attach(env: CommandEnv, ref: string, o: { stdin?: boolean; sigProxy?: boolean; detachKeys?: string }): Promise<number> {
  const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
  const client = await env.client();
  const c = await client.get<{ Id: string; Config: { Tty?: boolean; OpenStdin?: boolean }; State: { Running: boolean } }>(path(ref, '/json'));
  if (!c.State.Running) throw new EngineError('Conflict', 'NOT_RUNNING', 'You cannot attach to a stopped container, start it first');
  const stdin = o.stdin !== false && c.Config.OpenStdin === true;
  const conn = await client.hijack(path(c.Id, '/attach'), { query: { stream: 1, stdin: stdin ? 1 : undefined, stdout: 1, stderr: 1, detachKeys: o.detachKeys } });
  const waitRes = await client.stream('POST', path(c.Id, '/wait'), undefined, { query: { condition: 'not-running' } });
  const stopProxy = o.sigProxy !== false && !c.Config.Tty ? proxySignals(client, c.Id) : () => undefined;
  try {
    const session = await runSession(conn.socket, env.io, { tty: c.Config.Tty === true, stdin, detachKeys, onResize: (h, w) => void client.post(path(c.Id, '/resize'), undefined, { query: { h, w } }).catch(() => undefined) });
    if (session.detached) {
      waitRes.destroy();
      return detachedSession(env);
    }
    const status = JSON.parse((await readAll(waitRes)).toString() || '{}') as { StatusCode?: number };
    return status.StatusCode ?? 0;
  } finally {
    stopProxy();
  }
}

/** Adds docker's container and volume commands to the program. */
export function addContainerCommands(program: Command, env: CommandEnv): void {
  const { io, setExitCode, want } = env;
  const { print, act, report } = actions(env);
  /** run and create print their errors docker's way, with docker's exit codes */
  const runAct = (command: 'run' | 'create', fn: (image: string, args: string[], flags: RunFlags) => Promise<number>) => async (image: string, args: string[], flags: RunFlags): Promise<void> => {
    try {
      const code = await fn(image, args, flags);
      if (code !== 0) setExitCode(code);
    } catch (err) {
      const exitCode = (err as { exitCode?: number }).exitCode;
      const { text, exitCode: code } = describeRunError(err, command);
      // the daemon's refusals read as docker prints them: "docker: Error response from daemon: …"
      const fromDaemon = err instanceof EngineError && !err.code.startsWith('RUN_') && !['DAEMON_UNREACHABLE', 'DAEMON_PERMISSION_DENIED'].includes(err.code);
      const daemonText = fromDaemon ? `berth: Error response from daemon: ${(err as EngineError).describe().replace(/\.$/, '')}.\nSee 'berth ${command} --help'.\n` : text;
      io.stderr.write(daemonText);
      setExitCode(exitCode ?? code);
    }
  };

  if (want('run')) addRunOptions(program.command('run'), 'run').action(runAct('run', (image, args, flags) => run(env, image, args, flags)));
  if (want('create')) {
    addRunOptions(program.command('create'), 'create').action(
      runAct('create', async (image, args, flags) => {
        const req = buildRunRequest(flags, image, args, { command: 'create', env: process.env });
        print(`${await createContainer(env, await env.client(), req)}\n`);
        return 0;
      }),
    );
  }

  const psCmd = (cmd: Command): Command =>
    cmd
      .option('-a, --all', 'show all containers (default shows just running)')
      .option('-f, --filter <filter>', 'filter output based on conditions provided', collect, [])
      .option('--format <format>', 'pretty-print containers using a Go template')
      .option('-n, --last <n>', 'show n last created containers (includes all states)', (v) => Number(v))
      .option('-l, --latest', 'show the latest created container (includes all states)')
      .option('--no-trunc', "don't truncate output")
      .option('-q, --quiet', 'only display container IDs')
      .option('-s, --size', 'display total file sizes')
      .action(act(async (o: PsFlags & { trunc?: boolean }) => print(await ps(await env.client(), { ...o, noTrunc: o.trunc === false }))));
  if (want('ps')) psCmd(program.command('ps').description('list containers'));

  const startCmd = (cmd: Command): Command =>
    cmd
      .argument('<container...>')
      .option('-a, --attach', 'attach STDOUT/STDERR and forward signals')
      .option('-i, --interactive', "attach container's STDIN")
      .option('--detach-keys <keys>', 'override the key sequence for detaching a container')
      .action(
        act(async (refs: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }) => {
          const client = await env.client();
          if (o.attach || o.interactive) {
            if (refs.length > 1) throw new EngineError('InvalidArgument', 'ATTACH_MANY', 'you cannot start and attach multiple containers at once');
            const ref = refs[0]!;
            const c = await client.get<{ Id: string; Config: { Tty?: boolean } }>(path(ref, '/json'));
            const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
            const conn = await client.hijack(path(c.Id, '/attach'), { query: { stream: 1, stdin: o.interactive ? 1 : undefined, stdout: 1, stderr: 1, detachKeys: o.detachKeys } });
            const waitRes = await client.stream('POST', path(c.Id, '/wait'), undefined, { query: { condition: 'next-exit' } });
            await client.post(path(c.Id, '/start'));
            const session = await runSession(conn.socket, io, { tty: c.Config.Tty === true, stdin: o.interactive === true, detachKeys });
            if (session.detached) {
              waitRes.destroy();
              return detachedSession(env);
            }
            const status = JSON.parse((await readAll(waitRes)).toString() || '{}') as { StatusCode?: number };
            return status.StatusCode ?? 0;
          }
          report(await eachContainer(refs, async (ref) => void (await client.post(path(ref, '/start')))));
          return 0;
        }),
      );
  if (want('start')) startCmd(program.command('start').description('start one or more stopped containers'));

  const stopCmd = (cmd: Command, name: 'stop' | 'restart'): Command =>
    cmd
      .argument('<container...>')
      .option('-t, --time <seconds>', 'seconds to wait for stop before killing it', (v) => Number(v))
      .action(act(async (refs: string[], o: { time?: number }) => report(await eachContainer(refs, async (ref) => void (await (await env.client()).post(path(ref, `/${name}`), undefined, { query: { t: o.time } }))))));
  if (want('stop')) stopCmd(program.command('stop').description('stop one or more running containers'), 'stop');
  if (want('restart')) stopCmd(program.command('restart').description('restart one or more containers'), 'restart');

  const killCmd = (cmd: Command): Command =>
    cmd
      .argument('<container...>')
      .option('-s, --signal <signal>', 'signal to send to the container', 'KILL')
      .action(act(async (refs: string[], o: { signal: string }) => report(await eachContainer(refs, async (ref) => void (await (await env.client()).post(path(ref, '/kill'), undefined, { query: { signal: o.signal } }))))));
  if (want('kill')) killCmd(program.command('kill').description('kill one or more running containers'));

  const rmCmd = (cmd: Command): Command =>
    cmd
      .argument('<container...>')
      .option('-f, --force', 'force the removal of a running container (uses SIGKILL)')
      .option('-v, --volumes', 'remove anonymous volumes associated with the container')
      .action(act(async (refs: string[], o: { force?: boolean; volumes?: boolean }) => report(await eachContainer(refs, async (ref) => void (await (await env.client()).delete(path(ref), { query: { force: o.force ? 1 : undefined, v: o.volumes ? 1 : undefined } }))))));
  if (want('rm')) rmCmd(program.command('rm').description('remove one or more containers'));

  const logsCmd = (cmd: Command): Command =>
    cmd
      .argument('<container>')
      .option('-f, --follow', 'follow log output')
      .option('-n, --tail <lines>', 'number of lines to show from the end of the logs', 'all')
      .option('--since <time>', 'show logs since timestamp or relative (e.g. 42m)')
      .option('--until <time>', 'show logs before a timestamp or relative (e.g. 42m)')
      .option('-t, --timestamps', 'show timestamps')
      .option('--details', 'show extra details provided to logs')
      .action(act(async (ref: string, o: LogsFlags) => logs(env, ref, o)));
  if (want('logs')) logsCmd(program.command('logs').description('fetch the logs of a container'));

  const waitCmd = (cmd: Command): Command =>
    cmd.argument('<container...>').action(
      act(async (refs: string[]) => {
        const client = await env.client();
        let failed = false;
        for (const ref of refs) {
          try {
            const r = await client.post<{ StatusCode: number }>(path(ref, '/wait'));
            print(`${r.StatusCode}\n`);
          } catch (err) {
            if (!(err instanceof EngineError)) throw err;
            io.stderr.write(`${errorLine(err)}\n`);
            failed = true;
          }
        }
        return failed ? 1 : 0;
      }),
    );
  if (want('wait')) waitCmd(program.command('wait').description('block until one or more containers stop, then print their exit codes'));

  const renameCmd = (cmd: Command): Command => cmd.argument('<container>').argument('<new-name>').action(act(async (ref: string, name: string) => (await env.client()).post(path(ref, '/rename'), undefined, { query: { name } })));
  if (want('rename')) renameCmd(program.command('rename').description('rename a container'));

  const execCmd = (cmd: Command): Command =>
    cmd
      .argument('<container>')
      .argument('<command...>')
      .passThroughOptions()
      .option('-d, --detach', 'detached mode: run command in the background')
      .option('--detach-keys <keys>', 'override the key sequence for detaching the command')
      .option('-e, --env <env>', 'set environment variables', collect, [])
      .option('-i, --interactive', 'keep STDIN open even if not attached')
      .option('--privileged', 'give extended privileges to the command')
      .option('-t, --tty', 'allocate a pseudo-TTY')
      .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
      .option('-w, --workdir <dir>', 'working directory inside the container')
      .action(act(async (ref: string, command: string[], o: Parameters<typeof exec>[3]) => exec(env, ref, command, o)));
  if (want('exec')) execCmd(program.command('exec').description('run a command in a running container'));

  const attachCmd = (cmd: Command): Command =>
    cmd
      .argument('<container>')
      .option('--no-stdin', 'do not attach STDIN')
      .option('--sig-proxy', 'proxy all received signals to the process', true)
      .option('--detach-keys <keys>', 'override the key sequence for detaching a container')
      .action(act(async (ref: string, o: { stdin?: boolean; sigProxy?: boolean; detachKeys?: string }) => attach(env, ref, o)));
  if (want('attach')) attachCmd(program.command('attach').description("attach local standard input, output, and error streams to a running container"));

  const inspectCmd = (cmd: Command): Command =>
    cmd
      .argument('<container...>')
      .option('-f, --format <format>', 'format the output using the given Go template')
      .option('-s, --size', 'display total file sizes')
      .action(act(async (refs: string[], o: { format?: string; size?: boolean }) => report(await inspectContainers(await env.client(), refs, o.format, o.size))));

  if (want('container')) {
    const container = program.command('container').description('manage containers');
    addRunOptions(container.command('run'), 'run').action(runAct('run', (image, args, flags) => run(env, image, args, flags)));
    psCmd(container.command('ls').alias('ps').alias('list').description('list containers'));
    startCmd(container.command('start').description('start one or more stopped containers'));
    stopCmd(container.command('stop').description('stop one or more running containers'), 'stop');
    stopCmd(container.command('restart').description('restart one or more containers'), 'restart');
    killCmd(container.command('kill').description('kill one or more running containers'));
    rmCmd(container.command('rm').description('remove one or more containers'));
    logsCmd(container.command('logs').description('fetch the logs of a container'));
    waitCmd(container.command('wait').description('block until one or more containers stop'));
    renameCmd(container.command('rename').description('rename a container'));
    execCmd(container.command('exec').description('run a command in a running container'));
    attachCmd(container.command('attach').description('attach to a running container'));
    inspectCmd(container.command('inspect').description('display detailed information on one or more containers'));
  }

  if (want('volume')) addVolumeCommands(program, env, act, report, print);
}

function addVolumeCommands(program: Command, env: CommandEnv, act: Actions['act'], report: Actions['report'], print: Actions['print']): void {
  const volume = program.command('volume').description('manage volumes');
  volume
    .command('create')
    .argument('[name]')
    .option('-d, --driver <driver>', 'specify volume driver name', 'local')
    .option('-l, --label <label>', 'set metadata for a volume', collect, [])
    .option('-o, --opt <opt>', 'set driver specific options', collect, [])
    .action(
      act(async (name: string | undefined, o: { driver: string; label: string[]; opt: string[] }) => {
        const kv = (list: string[]): Record<string, string> => Object.fromEntries(list.map((l) => [l.split('=')[0]!, l.split('=').slice(1).join('=')]));
        const v = await (await env.client()).post<{ Name: string }>('/volumes/create', { Name: name ?? '', Driver: o.driver, Labels: kv(o.label), DriverOpts: kv(o.opt) });
        print(`${v.Name}\n`);
      }),
    );
  volume
    .command('ls')
    .alias('list')
    .option('-f, --filter <filter>', 'provide filter values', collect, [])
    .option('--format <format>', 'pretty-print volumes using a Go template')
    .option('-q, --quiet', 'only display volume names')
    .action(
      act(async (o: { filter: string[]; format?: string; quiet?: boolean }) => {
        const filters: Record<string, string[]> = {};
        for (const f of o.filter) {
          const [k, ...v] = f.split('=');
          (filters[k!] ??= []).push(v.join('='));
        }
        const r = await (await env.client()).get<{ Volumes: { Name: string; Driver: string; Mountpoint: string; Labels: Record<string, string> }[] }>('/volumes', { filters });
        const rows = r.Volumes.sort((a, b) => a.Name.localeCompare(b.Name)).map((v) => ({ Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Scope: 'local', Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(',') }));
        if (o.quiet) return print(rows.map((v) => `${v.Name}\n`).join(''));
        print(renderList(rows, { table: 'table {{.Driver}}\t{{.Name}}', headers: { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Scope: 'SCOPE', Labels: 'LABELS' } }, o.format));
      }),
    );
  volume
    .command('inspect')
    .argument('<volume...>')
    .option('-f, --format <format>', 'format the output using the given Go template')
    .action(
      act(async (names: string[], o: { format?: string }) => {
        const client = await env.client();
        const found: unknown[] = [];
        const errors: string[] = [];
        for (const n of names) {
          try {
            found.push(await client.get(`/volumes/${encodeURIComponent(n)}`));
          } catch (err) {
            if (!(err instanceof EngineError)) throw err;
            errors.push(`Error: No such volume: ${n}`);
          }
        }
        report({ out: found.length ? renderInspect(found, o.format) : '', errors });
      }),
    );
  volume
    .command('rm')
    .alias('remove')
    .argument('<volume...>')
    .option('-f, --force', 'force the removal of one or more volumes')
    .action(
      act(async (names: string[], o: { force?: boolean }) => {
        const client = await env.client();
        let out = '';
        const errors: string[] = [];
        for (const n of names) {
          try {
            await client.delete(`/volumes/${encodeURIComponent(n)}`, { query: { force: o.force ? 1 : undefined } });
            out += `${n}\n`;
          } catch (err) {
            if (!(err instanceof EngineError)) throw err;
            errors.push(`Error response from daemon: ${err.describe()}`);
          }
        }
        report({ out, errors });
      }),
    );
  volume
    .command('prune')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values', collect, [])
    .action(
      act(async (o: { all?: boolean; force?: boolean }) => {
        const r = await (await env.client()).post<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('/volumes/prune', undefined, { filters: o.all ? { all: ['true'] } : {} });
        const deleted = r.VolumesDeleted ?? [];
        print(`${deleted.length ? `Deleted Volumes:\n${deleted.map((d) => `${d}\n`).join('')}\n` : ''}Total reclaimed space: ${humanBytes(r.SpaceReclaimed)}\n`);
      }),
    );
}

function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(3).replace(/\.?0+$/, '')}${units[i]}`;
}
