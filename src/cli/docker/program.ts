import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import type { EngineClient } from '../../client/client.js';
import { DEFAULT_HOST, type GlobalFlags, lazyClient, VERSION } from './context.js';
import { addArchiveCommands } from './archive-commands.js';
import { actions } from './actions.js';
import { addContainerCommands } from './container-commands.js';
import { inspectObjects } from './containers.js';
import { addMonitorCommands } from './monitor-commands.js';
import * as img from './images.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

/**
 * `berth`: docker's commands, flags and output, as clients of berthd (started
 * on first use when berth runs as root and none answers: daemon-start.ts).
 * Handlers return text; this file prints it and turns errors into docker's
 * exit codes (1 for these commands).
 *
 * Given the command line (process.argv), the program has only the command
 * it names (see neededCommand): setting up all of them in commander (run's
 * and create's hundred flags each…) took longer than the rest of berth's
 * start. Without it, or for anything else, every command is there.
 */
export function buildProgram(io: Io, setExitCode: (code: number) => void, argv?: readonly string[]): Command {
  const needed = argv === undefined ? undefined : neededCommand(argv.slice(2));
  if (needed !== undefined) {
    const program = makeProgram(io, setExitCode, (name) => name === needed);
    // a name that is no command's (an alias, a typo, help): all of them, for commander's help and suggestions
    if (needed === null || program.commands.length > 0) return program;
  }
  return makeProgram(io, setExitCode, () => true);
}

/**
 * Which command of berth a command line needs (its arguments after `berth`):
 * the first word after berth's own options; null for --version, which
 * commander answers before it looks at a command; undefined (all of them)
 * for --help, no command, or any option it does not know here.
 */
export function neededCommand(args: readonly string[]): string | null | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-H' || arg === '--host' || arg === '--data-root') i++; // their value, whatever it looks like
    else if (arg === '-v' || arg === '--version') return null;
    else if (arg.startsWith('--host=') || arg.startsWith('--data-root=') || arg.startsWith('-H')) continue;
    else if (arg.startsWith('-')) return undefined;
    else return arg;
  }
  return undefined;
}

function makeProgram(io: Io, setExitCode: (code: number) => void, want: (name: string) => boolean): Command {
  const program = new Command('berth')
    .description('a Docker-compatible container engine')
    .version(`berth version ${VERSION}`, '-v, --version')
    .option('-H, --host <socket>', `the berthd socket to connect to (default: BERTH_HOST, else ${DEFAULT_HOST})`)
    .option('--data-root <dir>', 'the data root of a berthd that berth starts (default: BERTH_DATA_ROOT, else berthd\'s)')
    .enablePositionalOptions()
    .showHelpAfterError();

  const client: () => Promise<EngineClient> = lazyClient(
    () => program.opts<GlobalFlags>(),
    (warning) => io.stderr.write(`WARNING: ${warning}\n`),
  );
  const { print, act, report } = actions({ io, setExitCode });

  const imagesCmd = (cmd: Command): Command =>
    cmd
      .argument('[repository]', 'only images of this name (name[:tag])')
      .option('-a, --all', 'show all images (intermediate ones are hidden by default)')
      .option('--digests', 'show digests')
      .option('-f, --filter <filter>', 'filter output (dangling=, label=, before=, since=, reference=)', collect, [])
      .option('--format <format>', "'table', 'json', or a Go template")
      .option('--no-trunc', "don't truncate output")
      .option('-q, --quiet', 'only show image IDs')
      .action(act(async (repo: string | undefined, o: img.ImagesFlags & { trunc?: boolean }) => print(await img.images(await client(), repo, { ...o, noTrunc: o.trunc === false }))));
  const inspectCmd = (cmd: Command): Command =>
    cmd
      .argument('<image...>')
      .option('-f, --format <format>', 'format the output with a Go template')
      .action(act(async (names: string[], o: { format?: string }) => report(await img.inspect(await client(), names, o.format))));
  const historyCmd = (cmd: Command): Command =>
    cmd
      .argument('<image>')
      .option('-H, --human [bool]', 'print sizes and dates in human readable format', (v) => v.replace(/^=/, '') !== 'false', true)
      .option('--no-trunc', "don't truncate output")
      .option('-q, --quiet', 'only show image IDs')
      .option('--format <format>', "'table', 'json', or a Go template")
      .action(act(async (name: string, o: { human: boolean; trunc?: boolean; quiet?: boolean; format?: string }) => print(await img.history(await client(), name, { ...o, noTrunc: o.trunc === false }))));
  const rmiCmd = (cmd: Command): Command =>
    cmd
      .argument('<image...>')
      .option('-f, --force', 'force removal of the image')
      .option('--no-prune', 'do not delete untagged parents')
      .action(act(async (names: string[], o: { force?: boolean; prune?: boolean }) => report(await img.removeImages(await client(), names, { force: o.force, noPrune: o.prune === false }))));
  const tagCmd = (cmd: Command): Command =>
    cmd
      .argument('<source>', 'SOURCE_IMAGE[:TAG]')
      .argument('<target>', 'TARGET_IMAGE[:TAG]')
      .action(act(async (source: string, target: string) => img.tag(await client(), source, target)));
  const importCmd = (cmd: Command): Command =>
    cmd
      .argument('<file>', 'a tar archive (plain, gzip or zstd), or - for stdin')
      .argument('[reference]', 'REPOSITORY[:TAG]')
      .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the image', collect, [])
      .option('-m, --message <message>', 'commit message for the imported image')
      .action(act(async (file: string, ref: string | undefined, o: { change: string[]; message?: string }) => print(await img.importFrom(await client(), file, ref, o, io.stdin))));
  const saveCmd = (cmd: Command): Command =>
    cmd
      .argument('<image...>')
      .option('-o, --output <file>', 'write to a file instead of stdout')
      .action(act(async (names: string[], o: { output?: string }) => img.save(await client(), names, o.output, io.stdout)));
  const loadCmd = (cmd: Command): Command =>
    cmd
      .option('-i, --input <file>', 'read from a tar archive file instead of stdin')
      .option('-q, --quiet', 'suppress the load output')
      .action(act(async (o: { input?: string; quiet?: boolean }) => print(await img.load(await client(), o.input, io.stdin, Boolean(o.quiet), (l) => io.stderr.write(`${l}\n`)))));
  const pruneCmd = (cmd: Command): Command =>
    cmd
      .option('-a, --all', 'remove all unused images, not just dangling ones')
      .option('-f, --force', 'do not prompt for confirmation')
      .option('--filter <filter>', 'provide filter values (e.g. until=<timestamp>)', collect, [])
      .action(
        act(async (o: { all?: boolean; force?: boolean; filter: string[] }) => {
          if (!o.force && !(await confirm(io, img.pruneWarning(o.all)))) return;
          print(await img.prune(await client(), o));
        }),
      );

  if (want('images')) imagesCmd(program.command('images').description('list images'));
  if (want('inspect')) {
    program
      .command('inspect')
      .description('return low-level information on containers, images and volumes')
      .argument('<name...>')
      .option('-f, --format <format>', 'format the output with a Go template')
      .option('-s, --size', 'display total file sizes if the type is container')
      .option('--type <type>', 'return JSON for the given type only (container, image, volume)')
      .action(act(async (names: string[], o: { format?: string; type?: string }) => report(await inspectObjects(await client(), names, o.format, o.type))));
  }
  if (want('history')) historyCmd(program.command('history').description('show the history of an image'));
  if (want('rmi')) rmiCmd(program.command('rmi').description('remove one or more images'));
  if (want('tag')) tagCmd(program.command('tag').description('create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'));
  if (want('import')) importCmd(program.command('import').description('import the contents from a tarball to create a filesystem image'));
  if (want('save')) saveCmd(program.command('save').description('save one or more images to a tar archive (streamed to STDOUT by default)'));
  if (want('load')) loadCmd(program.command('load').description('load an image from a tar archive or STDIN'));

  if (want('image')) {
    const image = program.command('image').description('manage images');
    imagesCmd(image.command('ls').alias('list').description('list images'));
    inspectCmd(image.command('inspect').description('display detailed information on one or more images'));
    historyCmd(image.command('history').description('show the history of an image'));
    rmiCmd(image.command('rm').alias('remove').description('remove one or more images'));
    tagCmd(image.command('tag').description('create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'));
    importCmd(image.command('import').description('import the contents from a tarball to create a filesystem image'));
    saveCmd(image.command('save').description('save one or more images to a tar archive'));
    loadCmd(image.command('load').description('load an image from a tar archive or STDIN'));
    pruneCmd(image.command('prune').description('remove unused images'));
  }
  addContainerCommands(program, { io, client, setExitCode, want });
  addArchiveCommands(program, { io, client, setExitCode, want });
  addMonitorCommands(program, { io, client, setExitCode, want });
  return program;
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
