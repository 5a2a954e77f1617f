import { Command, Option } from 'commander';
import { hostLayout, type CgroupLayout } from '../../cgroups/layout.js';
import { EngineError } from '../../errors/engine-error.js';
import { Logger, type LogFormat } from '../../lib/logger.js';
import { RealHostFacts } from '../../sys/host-facts.js';
import type { RuntimeContext } from '../../runtime/context.js';
import { defaultStateRoot } from '../../runtime/rootless.js';
import { StateStore } from '../../runtime/state-store.js';
import * as h from './handlers.js';
import type { UpdateFlags } from './update-flags.js';

export const VERSION = '0.1.0';

interface GlobalOptions {
  root: string;
  log?: string;
  logFormat: LogFormat;
  debug?: boolean;
  systemdCgroup?: boolean;
}

const int = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new EngineError('InvalidArgument', 'BAD_NUMBER', `expected a non-negative number, got ${JSON.stringify(v)}`);
  return Number(v);
};
const collect = (v: string, prev: string[]): string[] => [...prev, v];
/** "5", "5s", "500ms", "1m" → milliseconds. */
const parseDuration = (v: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m) throw new EngineError('InvalidArgument', 'BAD_DURATION', `--interval: ${JSON.stringify(v)} is not a duration such as 5s or 500ms`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
};

/**
 * berth-runtime's command line: runc's commands, flags and exit codes. Each
 * action builds a request, calls a handler, and prints what it returns.
 */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('berth-runtime')
    .description('an OCI runtime: runs containers from OCI bundles, as runc does')
    .version(`berth-runtime version ${VERSION}\nspec: 1.2.0`, '-v, --version')
    .option('--root <dir>', 'where container state is kept (root: /run/berth-runtime; others: $XDG_RUNTIME_DIR/berth-runtime, else /tmp/berth-runtime-<uid>)', defaultStateRoot())
    .option('--log <file>', 'write log lines to this file (default: stderr)')
    .addOption(new Option('--log-format <format>', 'log line format').choices(['text', 'json']).default('text'))
    .option('--debug', 'log debug messages')
    .option('--systemd-cgroup', 'use systemd to manage cgroups (not supported yet)')
    .enablePositionalOptions()
    .showHelpAfterError();

  let ctx: RuntimeContext | undefined;
  const context = (): RuntimeContext => {
    if (ctx) return ctx;
    const g = program.opts<GlobalOptions>();
    if (g.systemdCgroup) {
      throw new EngineError('NotImplemented', 'NO_SYSTEMD_CGROUP', '--systemd-cgroup: the systemd cgroup driver is not supported yet', { hint: 'use the cgroupfs driver (drop --systemd-cgroup)' });
    }
    let layout: CgroupLayout | undefined;
    ctx = {
      store: new StateStore(g.root),
      log: new Logger(g.log, g.logFormat, g.debug),
      host: new RealHostFacts(),
      cgroupLayout: () => (layout ??= hostLayout()),
    };
    return ctx;
  };
  const logger = (): Logger => {
    const g = program.opts<GlobalOptions>();
    return ctx?.log ?? new Logger(g.log, g.logFormat, g.debug);
  };
  /** Runs a handler; an error becomes a log line and runc's exit code. */
  const act =
    <A extends unknown[]>(fn: (ctx: RuntimeContext, ...args: A) => unknown) =>
    async (...args: A): Promise<void> => {
      try {
        const code = await fn(context(), ...args);
        if (typeof code === 'number') setExitCode(code);
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        logger().error(err.describe());
        if (logger().toFile) process.stderr.write(`berth-runtime: ${err.describe()}\n`);
        setExitCode(err.code === 'EXEC_NOT_FOUND' ? 127 : err.code === 'EXEC_DENIED' ? 126 : 1);
      }
    };

  const createOptions = (cmd: Command): Command =>
    cmd
      .option('-b, --bundle <dir>', 'the bundle directory (holds config.json)', '.')
      .option('--pid-file <file>', 'write the container process id to this file')
      .option('--console-socket <path>', 'unix socket that receives the pty master of a terminal')
      .option('--no-pivot', 'chroot into the root instead of pivot_root (for roots on ramfs)')
      .option('--no-new-keyring', 'accepted for runc compatibility (berth does not create session keyrings)')
      .option('--preserve-fds <n>', 'pass this many fds from 3 on to the container', int, 0);

  createOptions(program.command('create <id>').description('create a container from a bundle; it waits for start')).action(
    act((c, id: string, o: h.CreateFlags) => h.create(c, id, o)),
  );
  createOptions(program.command('run <id>').description('create and start a container'))
    .option('-d, --detach', 'do not wait for the container to exit')
    .action(act((c, id: string, o: h.CreateFlags & { detach?: boolean }) => h.run(c, id, o)));
  program.command('start <id>').description('run the app of a created container').action(act((c, id: string) => h.start(c, id)));
  program.command('state <id>').description('print the state of a container as JSON').action(act((c, id: string) => h.state(c, id)));
  program
    .command('kill <id> [signal]')
    .description('send a signal (default TERM) to the container')
    .option('-a, --all', 'send it to every process of the container')
    .action(act((c, id: string, signal: string | undefined, o: { all?: boolean }) => h.kill(c, id, signal ?? 'TERM', Boolean(o.all))));
  program.command('pause <id>').description('freeze every process of a container').action(act((c, id: string) => h.pause(c, id)));
  program.command('resume <id>').description('thaw a paused container').action(act((c, id: string) => h.resume(c, id)));
  program
    .command('update <id>')
    .description('change the resources of a running container')
    .option('-r, --resources <file>', 'a linux.resources JSON file, or - for stdin')
    .option('--blkio-weight <n>', 'block IO weight (10-1000)')
    .option('--cpu-period <us>', 'CFS period')
    .option('--cpu-quota <us>', 'CFS quota per period (-1: none)')
    .option('--cpu-share <n>', 'CPU shares')
    .option('--cpu-rt-period <us>', 'realtime period')
    .option('--cpu-rt-runtime <us>', 'realtime runtime per period')
    .option('--cpuset-cpus <list>', 'CPUs to run on, e.g. 0-1')
    .option('--cpuset-mems <list>', 'memory nodes to use')
    .option('--memory <size>', 'memory limit (e.g. 256m; -1: none)')
    .option('--memory-reservation <size>', 'memory soft limit')
    .option('--memory-swap <size>', 'memory plus swap limit (-1: none)')
    .option('--pids-limit <n>', 'maximum number of processes')
    .action(act((c, id: string, o: UpdateFlags) => h.update(c, id, o)));
  program
    .command('events <id>')
    .description('print container events (stats, oom) as JSON lines')
    .option('--stats', 'print the statistics once and exit')
    .option('--interval <seconds>', 'how often to print statistics', '5')
    .action(act((c, id: string, o: { stats?: boolean; interval: string }) => h.events(c, id, Boolean(o.stats), parseDuration(o.interval))));
  program
    .command('delete <id>')
    .description('delete a container and its state')
    .option('-f, --force', 'kill a running container first')
    .action(act((c, id: string, o: { force?: boolean }) => h.remove(c, id, Boolean(o.force))));
  program
    .command('list')
    .description('list containers')
    .option('-q, --quiet', 'print ids only')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(act((c, o: { quiet?: boolean; format: 'table' | 'json' }) => h.list(c, Boolean(o.quiet), o.format)));
  program
    .command('ps <id> [ps-args...]')
    .description('list the processes of a container')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .passThroughOptions()
    .action(act((c, id: string, args: string[], o: { format: 'table' | 'json' }) => h.ps(c, id, args, o.format)));
  program
    .command('exec <id> [command...]')
    .description('run a process in a container')
    .option('-p, --process <file>', 'a process.json to run instead of a command')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('--cwd <dir>', 'working directory in the container')
    .option('-e, --env <KEY=value>', 'add an environment variable (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'run as this user')
    .option('--cap <cap>', 'add a capability (repeatable)', collect, [])
    .option('--no-new-privs', 'set no_new_privs')
    .option('-d, --detach', 'do not wait for the process to exit')
    .option('--pid-file <file>', 'write the process id to this file')
    .option('--console-socket <path>', 'unix socket that receives the pty master')
    .option('--preserve-fds <n>', 'pass this many fds from 3 on to the process', int, 0)
    .passThroughOptions()
    .action(act((c, id: string, command: string[], o: h.ExecFlags) => h.exec(c, id, command, o)));
  program
    .command('spec')
    .description('write a default config.json')
    .option('-b, --bundle <dir>', 'where to write it', '.')
    .option('--rootless', 'for a container run by an unprivileged user')
    .action(act((_c, o: { bundle: string; rootless?: boolean }) => h.spec(o.bundle, Boolean(o.rootless))));
  program.command('features').description('print what this runtime supports, as JSON').action(act(() => h.printFeatures()));
  return program;
}
