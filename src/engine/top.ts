import { EngineError } from '../errors/engine-error.js';
import { containerPids } from '../runtime/lifecycle.js';
import { runPs } from '../sys/run-program.js';
import type { Container } from './container.js';
import type { EngineContext } from './context.js';
import { containerCgroups } from './stats.js';

/** GET /containers/{id}/top: ps(1)'s column titles and the rows of the container's processes. */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/**
 * `docker top`: ps(1) runs on the host with the caller's options (docker's
 * default -ef), and only the container's processes are kept — its cgroup's
 * pids, found through the runtime. As dockerd does, ps is first asked for
 * just those pids (-q), and asked again without when the options do not
 * go with -q.
 */
export function topContainer(ctx: EngineContext, c: Container, psArgs = ''): TopResult {
  const args = psArgs === '' ? '-ef' : psArgs;
  checkPsArgs(args);
  if (c.State.Restarting) throw new EngineError('Conflict', 'CONTAINER_RESTARTING', `Container ${c.ID} is restarting, wait until the container is running`);
  if (!c.State.Running) throw new EngineError('Conflict', 'NOT_RUNNING', `Container ${c.ID} is not running`);
  const pids = pidsOf(ctx, c);
  // dockerd splits on single spaces: the CLI joins the words it was given with one
  const argv = args.split(' ');
  let output: string;
  try {
    output = runPs([...argv, `-q${pids.join(',')}`]);
  } catch {
    try {
      output = runPs(argv);
    } catch (err) {
      const first = (err as Error).message.split('\n')[0];
      throw new EngineError('Internal', 'PS_FAILED', `ps: ${first}`, { cause: err });
    }
  }
  return parsePsOutput(output, pids);
}

/** The in-process runtime's answer; for a runtime binary's container, its cgroup's processes (its init's alone without one). */
function pidsOf(ctx: EngineContext, c: Container): number[] {
  try {
    return containerPids(ctx.runtime, ctx.runtime.store.load(c.ID));
  } catch {
    // not the in-process runtime's
  }
  try {
    const pids = containerCgroups(ctx, c)?.pids();
    if (pids?.length) return pids;
  } catch {
    // no cgroup to read
  }
  return c.State.Pid > 0 ? [c.State.Pid] : [];
}

/** ASCII whitespace only, as dockerd splits: a command may hold other spaces. */
const fields = (line: string): string[] => line.split(/[ \t\n\v\f\r]+/).filter(Boolean);

/**
 * The title line's words, then each line whose PID is one of `pids` (and
 * the thread lines, PID "-", that follow one: `ps -m`). A row has as many
 * cells as there are titles; the last one takes the rest of the line (the
 * command with its arguments).
 */
export function parsePsOutput(output: string, pids: number[]): TopResult {
  const lines = output.split('\n');
  const titles = fields(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new EngineError('Internal', 'PS_NO_PID', "Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  const row = (cells: string[]): string[] => [...cells.slice(0, titles.length - 1), cells.slice(titles.length - 1).join(' ')];
  let lastKept = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const cells = fields(line);
    const pidText = cells[pidIndex];
    if (pidText === '-') {
      if (lastKept) processes.push(row(cells));
      continue;
    }
    const pid = Number(pidText);
    if (!/^\d+$/.test(pidText ?? '')) throw new EngineError('Internal', 'PS_BAD_PID', `Unexpected pid '${pidText ?? ''}'`);
    lastKept = wanted.has(pid);
    if (lastKept) processes.push(row(cells));
  }
  return { Titles: titles, Processes: processes };
}

/**
 * Options that would rename the PID column (`-o pid=PID`, `-o ppid=PID`)
 * could make another column read as the pids: dockerd refuses any
 * `x=PID…` but pid's own.
 */
export function checkPsArgs(args: string): void {
  for (const m of args.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
    if (m[1] !== 'pid') throw new EngineError('InvalidArgument', 'BAD_PS_ARGS', `specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}
