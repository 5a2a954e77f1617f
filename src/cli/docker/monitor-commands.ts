import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { API_VERSION } from '../../api/version.js';
import { type EngineClient, jsonLines, jsonMessages } from '../../client/client.js';
import { EngineError } from '../../errors/engine-error.js';
import type { CommandEnv } from './container-commands.js';
import { eachContainer, path } from './containers.js';
import { actions } from './actions.js';
import { ask, errorLine, VERSION } from './context.js';
import { renderList } from './format/render.js';
import { compileTemplate } from './format/template.js';
import { humanSize } from './format/units.js';
import { parseFilters } from './images.js';
import { eventForTemplate, eventLine, goTimestamp, statsEntry, statsRow, STATS_HEADERS, STATS_TABLE, tabwrite, type EventView, type StatsEntry, type StatsJsonView } from './monitor-format.js';
import { clientInfoText, diskUsageText, diskUsageVerbose, serverInfoText, versionText, type ClientVersionView, type DiskUsageView, type InfoView, type ServerVersionView } from './system-format.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/**
 * `berth pause`, `unpause`, `top`, `stats`, `events`, `info`, `version`,
 * `system df` and `container prune`: berthd clients printing what the
 * docker CLI prints (the text is made in monitor-format.ts and
 * system-format.ts).
 */
export function addMonitorCommands(program: Command, env: CommandEnv): void {
  const { io, want } = env;
  const { print, act } = actions(env);
  const each = (action: 'pause' | 'unpause') =>
    act(async (refs: string[]) => {
      const client = await env.client();
      const { out, errors } = await eachContainer(refs, async (ref) => void (await client.post(path(ref, `/${action}`))));
      print(out);
      for (const e of errors) io.stderr.write(`${e}\n`);
      return errors.length ? 1 : 0;
    });

  const pauseCmd = (cmd: Command): Command => cmd.argument('<container...>').action(each('pause'));
  const unpauseCmd = (cmd: Command): Command => cmd.argument('<container...>').action(each('unpause'));
  const topCmd = (cmd: Command): Command =>
    cmd
      .argument('<container>')
      .argument('[ps-options...]', 'options for ps(1); default -ef')
      .passThroughOptions()
      .allowUnknownOption()
      .action(
        act(async (ref: string, psArgs: string[]) => {
          const r = await ask((await env.client()).get<{ Titles: string[]; Processes: string[][] | null }>(path(ref, '/top'), { query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined } }));
          print(tabwrite([r.Titles.join('\t'), ...(r.Processes ?? []).map((p) => p.join('\t'))], 20, 3));
        }),
      );
  const statsCmd = (cmd: Command): Command =>
    cmd
      .argument('[container...]')
      .option('-a, --all', 'show all containers (default shows just running)')
      .option('--format <format>', "'table', 'json', or a Go template")
      .option('--no-stream', 'disable streaming stats and only pull the first result')
      .option('--no-trunc', "don't truncate output")
      .action(act(async (refs: string[], o: StatsFlags) => stats(env, refs, o)));
  const pruneCmd = (cmd: Command): Command =>
    cmd
      .option('-f, --force', 'do not prompt for confirmation')
      .option('--filter <filter>', "provide filter values (e.g. 'until=<timestamp>')", collect, [])
      .action(
        act(async (o: { force?: boolean; filter: string[] }) => {
          const filters = parseFilters(o.filter);
          if (!o.force && !(await confirm(env, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
          const r = await ask((await env.client()).post<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('/containers/prune', undefined, { filters }));
          const deleted = r.ContainersDeleted ?? [];
          if (deleted.length) print(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
          print(`Total reclaimed space: ${humanSize(deleted.length ? r.SpaceReclaimed : 0, 4)}\n`);
          return 0;
        }),
      );
  const eventsCmd = (cmd: Command): Command =>
    cmd
      .option('-f, --filter <filter>', 'filter output based on conditions provided', collect, [])
      .option('--format <format>', "format the output using the given Go template ('json' for JSON lines)")
      .option('--since <time>', 'show all events created since timestamp')
      .option('--until <time>', 'stream events until this timestamp')
      .action(act(async (o: { filter: string[]; format?: string; since?: string; until?: string }) => events(env, o)));
  const infoCmd = (cmd: Command): Command =>
    cmd.option('-f, --format <format>', 'format the output using the given Go template').action(act(async (o: { format?: string }) => info(env, o.format)));
  const dfCmd = (cmd: Command): Command =>
    cmd
      .option('--format <format>', "'table', 'json', or a Go template")
      .option('-v, --verbose', 'show detailed information on space usage')
      .action(
        act(async (o: { format?: string; verbose?: boolean }) => {
          const df = await ask((await env.client()).get<DiskUsageView>('/system/df'));
          print(o.verbose && !o.format ? diskUsageVerbose(df) : diskUsageText(df, o.format));
        }),
      );

  if (want('pause')) pauseCmd(program.command('pause').description('pause all processes within one or more containers'));
  if (want('unpause')) unpauseCmd(program.command('unpause').description('unpause all processes within one or more containers'));
  if (want('top')) topCmd(program.command('top').description('display the running processes of a container'));
  if (want('stats')) statsCmd(program.command('stats').description('display a live stream of container(s) resource usage statistics'));
  if (want('events')) eventsCmd(program.command('events').description('get real time events from the server'));
  if (want('info')) infoCmd(program.command('info').description('display system-wide information'));
  if (want('version')) {
    program
      .command('version')
      .description('show the berth version information')
      .option('-f, --format <format>', 'format the output using the given Go template')
      .action(act(async (o: { format?: string }) => version(env, o.format)));
  }

  if (want('container')) {
    const container = program.commands.find((c) => c.name() === 'container') ?? program.command('container').description('manage containers');
    pauseCmd(container.command('pause').description('pause all processes within one or more containers'));
    unpauseCmd(container.command('unpause').description('unpause all processes within one or more containers'));
    topCmd(container.command('top').description('display the running processes of a container'));
    statsCmd(container.command('stats').description('display a live stream of container(s) resource usage statistics'));
    pruneCmd(container.command('prune').description('remove all stopped containers'));
  }

  if (want('system')) {
    const system = program.command('system').description('manage berth');
    dfCmd(system.command('df').description('show berth disk usage'));
    infoCmd(system.command('info').description('display system-wide information'));
    eventsCmd(system.command('events').description('get real time events from the server'));
  }
}

async function confirm(env: CommandEnv, question: string): Promise<boolean> {
  const rl = createInterface({ input: env.io.stdin, output: env.io.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } catch {
    // stdin ended before an answer: no
    return false;
  } finally {
    rl.close();
  }
}

interface StatsFlags {
  all?: boolean;
  format?: string;
  stream?: boolean;
  trunc?: boolean;
}

interface Watched {
  entry: StatsEntry;
  error?: EngineError;
  abort: AbortController;
  /** resolves at the first answer (or the end, or an error) */
  first: Promise<void>;
}

const blank = (container: string): StatsEntry => ({ container, name: '', id: '', cpuPercent: 0, memory: 0, memoryLimit: 0, memoryPercent: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0, pids: 0, invalid: true });

/** One container's stats stream, kept in `w.entry` as answers come. */
function watchStats(client: EngineClient, ref: string, label: string, stream: boolean): Watched {
  const abort = new AbortController();
  let firstDone: () => void = () => undefined;
  const w: Watched = { entry: blank(label), abort, first: new Promise<void>((r) => (firstDone = r)) };
  void (async () => {
    try {
      const res = await ask(client.stream('GET', path(ref, '/stats'), undefined, { query: { stream: stream ? 1 : 0 }, signal: abort.signal }));
      for await (const v of jsonMessages<StatsJsonView>(res)) {
        w.entry = statsEntry(label, v);
        firstDone();
        if (!stream) break;
      }
    } catch (err) {
      if (!abort.signal.aborted) {
        w.error = err instanceof EngineError ? err : new EngineError('Internal', 'STATS_FAILED', (err as Error).message);
        w.entry = { ...w.entry, invalid: true };
      }
    } finally {
      firstDone();
    }
  })();
  return w;
}

/**
 * `docker stats`: the named containers, or every running one (all with
 * -a) followed through the events as they start and stop; redrawn every
 * half second (the screen cleared on a terminal), or printed once.
 */
async function stats(env: CommandEnv, refs: string[], o: StatsFlags): Promise<number> {
  const client = await env.client();
  const stream = o.stream !== false;
  const trunc = o.trunc !== false;
  const watched = new Map<string, Watched>();
  const add = (ref: string, label: string): void => {
    if (!watched.has(ref)) watched.set(ref, watchStats(client, ref, label, stream));
  };
  const drop = (ref: string): void => {
    watched.get(ref)?.abort.abort();
    watched.delete(ref);
  };
  const stopEvents = new AbortController();
  try {
    if (refs.length) {
      for (const ref of refs) add(ref, ref);
    } else {
      if (stream) void followContainers(client, o.all === true, stopEvents.signal, add, drop);
      const list = await ask(client.get<{ Id: string }[]>('/containers/json', { query: { all: o.all ? 1 : undefined } }));
      for (const c of list) add(c.Id.slice(0, 12), c.Id.slice(0, 12));
    }
    await Promise.all([...watched.values()].map((w) => w.first));
    const errors = [...watched.values()].flatMap((w) => (w.error ? [errorLine(w.error)] : []));
    if (refs.length && errors.length) {
      env.io.stderr.write(`${errors.join('\n')}\n`);
      return 1;
    }
    // on a terminal the table is redrawn in place: cleared once, then each line overwritten and the rest cleared
    const tty = stream && env.io.stdout.isTTY === true;
    if (tty) env.io.stdout.write('\x1b[2J');
    for (;;) {
      const rows = [...watched.values()].map((w) => statsRow(w.entry, trunc));
      const table = renderList(rows, { table: STATS_TABLE, headers: STATS_HEADERS }, o.format);
      env.io.stdout.write(tty ? `\x1b[H${table.replace(/\n/g, '\x1b[K\n')}\x1b[J` : table);
      if (!stream) return 0;
      if (!refs.length && !o.all && watched.size === 0) return 0;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    stopEvents.abort();
    for (const w of watched.values()) w.abort.abort();
  }
}

/** Adds containers as they start (or are created, with -a) and drops them as they die (unless -a) or go. */
async function followContainers(client: EngineClient, all: boolean, signal: AbortSignal, add: (ref: string, label: string) => void, drop: (ref: string) => void): Promise<void> {
  try {
    const res = await client.stream('GET', '/events', undefined, { filters: { type: ['container'] }, signal });
    for await (const e of jsonMessages<EventView>(res)) {
      const short = e.Actor.ID.slice(0, 12);
      if (!short) continue;
      if (e.Action === 'start' || (all && e.Action === 'create')) add(short, short);
      else if (e.Action === 'destroy' || (!all && e.Action === 'die')) drop(short);
    }
  } catch {
    // the events stream ended: the table stays as it is
  }
}

/** `docker events`: the daemon's stream, each event a line (or through --format), until --until or an interrupt. */
async function events(env: CommandEnv, o: { filter: string[]; format?: string; since?: string; until?: string }): Promise<void> {
  const filters = parseFilters(o.filter);
  const now = Date.now();
  const query = { since: o.since ? goTimestamp(o.since, now) : undefined, until: o.until ? goTimestamp(o.until, now) : undefined };
  const template = o.format && o.format !== 'json' ? compileTemplate(o.format) : undefined;
  const client = await env.client();
  const res = await ask(client.stream('GET', '/events', undefined, { query, filters }));
  // the lines as sent: timeNano has more digits than a double holds
  const asJson = o.format === 'json' || o.format?.replace(/\s+/g, '') === '{{json.}}';
  for await (const raw of jsonLines(res)) {
    const e = JSON.parse(raw) as EventView;
    if (asJson) env.io.stdout.write(`${raw}\n`);
    else if (template) env.io.stdout.write(`${template.execute(eventForTemplate(e))}\n`);
    else env.io.stdout.write(eventLine(e, exactNanos(raw)));
  }
}

/** An event's timeNano as sent, to the nanosecond. */
function exactNanos(raw: string): bigint | undefined {
  const m = /"timeNano":\s*(\d+)/.exec(raw);
  return m ? BigInt(m[1]!) : undefined;
}

/** `docker info`: the client's part, then the daemon's; --format runs over both. */
async function info(env: CommandEnv, format?: string): Promise<number> {
  const clientInfo = { Version: VERSION, Context: 'default', Debug: false };
  let server: InfoView;
  try {
    server = await ask((await env.client()).get<InfoView>('/info'));
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    if (format) throw err;
    env.io.stdout.write(`${clientInfoText(clientInfo)}\nServer:\n`);
    env.io.stderr.write(`ERROR: ${errorLine(err)}\nerrors pretty printing info\n`);
    return 1;
  }
  if (format) {
    const data = { ...server, ClientInfo: clientInfo };
    env.io.stdout.write(format === 'json' ? `${JSON.stringify(data)}\n` : `${compileTemplate(format).execute(data)}\n`);
    return 0;
  }
  const { out, warnings } = serverInfoText(server);
  env.io.stdout.write(`${clientInfoText(clientInfo)}\nServer:\n${out}`);
  for (const w of warnings) env.io.stderr.write(`${w}\n`);
  return 0;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** `docker version`: berth's own part, then the daemon's (its errors after the client's part). */
async function version(env: CommandEnv, format?: string): Promise<number> {
  const client: ClientVersionView = {
    Version: VERSION,
    ApiVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: GO_ARCH[process.arch] ?? process.arch,
    BuildTime: '',
    Context: 'default',
  };
  let server: ServerVersionView | undefined;
  let failure: EngineError | undefined;
  try {
    const c = await env.client();
    client.ApiVersion = await c.apiVersion();
    server = await ask(c.get<ServerVersionView>('/version'));
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    failure = err;
  }
  if (format) {
    // Go's field names (APIVersion) beside the JSON ones, for templates
    const data = { Client: withAlias(client), ...(server ? { Server: withAlias(server) } : {}) };
    env.io.stdout.write(format === 'json' ? `${JSON.stringify(data)}\n` : `${compileTemplate(format).execute(data)}\n`);
  } else {
    env.io.stdout.write(versionText(client, server));
  }
  if (failure) {
    env.io.stderr.write(`${errorLine(failure)}\n`);
    return 1;
  }
  return 0;
}

function withAlias<T extends { ApiVersion?: string }>(v: T): T {
  const out = { ...v };
  Object.defineProperty(out, 'APIVersion', { value: v.ApiVersion, enumerable: false });
  return out;
}
