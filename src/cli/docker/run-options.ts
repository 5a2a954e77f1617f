import { Option, type Command } from 'commander';
import { EngineError, isEngineError } from '../../errors/engine-error.js';
import { flagsOf, RUN_FLAGS, type FlagSpec, type RunFlags } from './parse/flag-table.js';
import { scanFlags } from './parse/pflag.js';
import { RUN_ERROR } from './run-request.js';

export type { RunFlags } from './parse/flag-table.js';

/**
 * The options of `berth run` and `berth create`, docker 20.10's.
 *
 * commander shows them in the help, but the command line is read by
 * parse/pflag.ts, which reads it as docker's flag library does: flags stop
 * at the image (`berth run busybox ls -l` runs `ls -l`), booleans take
 * `=false` (`--sig-proxy=false`), `-h` is --hostname (help is --help only),
 * values may start with a dash (`--memory-swap -1`), and a bad value fails
 * as it is read, in docker's words. Usage:
 *
 *   addRunOptions(program.command('run'), 'run')
 *     .action(async (image: string, args: string[], flags: RunFlags) => {
 *       const req = buildRunRequest(flags, image, args, { command: 'run' });
 *       …  // on an EngineError: describeRunError(err, 'run')
 *     });
 *
 * Errors in the flags themselves, a missing image and Windows-only flags
 * are reported here through commander (cmd.error, with docker's text and
 * exit code), as docker reports them before it runs the command.
 */

const DESCRIPTION = { run: 'Run a command in a new container', create: 'Create a new container' } as const;
const USAGE = '[OPTIONS] IMAGE [COMMAND] [ARG...]';

export interface ParsedRunArgv {
  flags: RunFlags;
  image: string;
  /** the command and its arguments, after the image */
  args: string[];
}

/**
 * Reads `run`/`create`'s arguments (after the command name) as docker
 * does; throws an EngineError (RUN_FLAG_INVALID, RUN_ARGS_MISSING,
 * RUN_FLAG_UNSUPPORTED) as docker would fail. --help is returned as
 * flags.help with whatever else was read.
 */
export function parseRunArgv(argv: readonly string[], command: 'run' | 'create'): ParsedRunArgv & { help: boolean } {
  const { flags, operands } = scanFlags(argv, flagsOf(command));
  if (flags.help) return { flags, image: operands[0] ?? '', args: operands.slice(1), help: true };
  if (operands.length === 0) throw new EngineError('InvalidArgument', RUN_ERROR.args, `"berth ${command}" requires at least 1 argument.`);
  for (const spec of RUN_FLAGS) {
    if (spec.windowsOnly && flags[spec.attr] !== undefined) {
      throw new EngineError('InvalidArgument', RUN_ERROR.unsupported, `"--${spec.long}" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux`);
    }
  }
  return { flags, image: operands[0]!, args: operands.slice(1), help: false };
}

/**
 * What berth prints for an error of run/create, and the exit code: docker's
 * text and codes with "berth" for "docker" —
 * a flag error: `<message>\nSee 'berth run --help'.` (125);
 * a bad option: `berth: <message>.\nSee 'berth run --help'.` (125);
 * no image: the usage (1); -a with -d, a Windows-only flag: the message (1);
 * a bad image reference or platform: as a bad option for run, the message
 * alone (1) for create. Other errors: `berth: <message>.` (125).
 */
export function describeRunError(err: unknown, command: 'run' | 'create'): { text: string; exitCode: number } {
  const message = err instanceof Error ? (isEngineError(err) ? err.describe() : err.message) : String(err);
  const seeHelp = `See 'berth ${command} --help'.`;
  const asOption = { text: `berth: ${message.replace(/\.$/, '')}.\n${seeHelp}\n`, exitCode: 125 };
  if (!isEngineError(err)) return { text: `berth: ${message.replace(/\.$/, '')}.\n`, exitCode: 125 };
  switch (err.code) {
    case RUN_ERROR.flag:
      return { text: `${message}\n${seeHelp}\n`, exitCode: 125 };
    case RUN_ERROR.args:
      return { text: `${message}\n${seeHelp}\n\nUsage:  berth ${command} ${USAGE}\n\n${DESCRIPTION[command]}\n`, exitCode: 1 };
    case RUN_ERROR.unsupported:
    case RUN_ERROR.conflict:
      return { text: `${message}\n`, exitCode: 1 };
    case RUN_ERROR.create:
      return command === 'create' ? { text: `${message}\n`, exitCode: 1 } : asOption;
    default:
      return asOption;
  }
}

function toOption(spec: FlagSpec): Option {
  const names = spec.short ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
  // docker's help shows its defaults in the text; commander's default would also set the value
  const help = spec.defaultText === undefined ? spec.help : `${spec.help} (default ${spec.defaultText})`;
  const o = new Option(spec.kind === 'bool' ? names : `${names} <${spec.type ?? 'string'}>`, help);
  if (spec.hidden) o.hideHelp();
  return o;
}

/**
 * Adds run's or create's options and arguments (`[image]`, `[command...]`)
 * to a commander command, and makes it read its command line as docker
 * does. The action receives (image, args, flags: RunFlags, command).
 */
export function addRunOptions(cmd: Command, command: 'run' | 'create'): Command {
  cmd
    .description(DESCRIPTION[command])
    .usage(USAGE)
    .helpOption('--help', 'Print usage')
    .showHelpAfterError(false)
    .argument('[image]')
    .argument('[command...]');
  for (const spec of flagsOf(command)) if (spec.long !== 'help') cmd.addOption(toOption(spec));

  cmd.parseOptions = (argv: string[]): { operands: string[]; unknown: string[] } => {
    for (const o of cmd.options) cmd.setOptionValueWithSource(o.attributeName(), undefined, 'default');
    let parsed: ReturnType<typeof parseRunArgv>;
    try {
      parsed = parseRunArgv(argv, command);
    } catch (err) {
      if (!isEngineError(err)) throw err;
      const { text, exitCode } = describeRunError(err, command);
      return cmd.error(text.replace(/\n$/, ''), { exitCode, code: `berth.${err.code}` });
    }
    if (parsed.help) return { operands: [], unknown: ['--help'] };
    for (const [attr, value] of Object.entries(parsed.flags)) cmd.setOptionValueWithSource(attr, value, 'cli');
    return { operands: [parsed.image, ...parsed.args], unknown: [] };
  };
  return cmd;
}
