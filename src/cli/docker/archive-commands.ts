import { statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { EngineClient } from '../../client/client.js';
import { EngineError } from '../../errors/engine-error.js';
import { familiarName, parseReference, withDefaultTag } from '../../image/reference.js';
import { goDir, goClean } from '../../lib/go-path.js';
import type { CommandEnv } from './container-commands.js';
import { actions } from './actions.js';
import { ask } from './context.js';
import { copyFromContainer, copyToContainer, plain, splitCpArg } from './copy.js';
import { streamToFile } from './images.js';

/**
 * `berth commit`, `diff`, `export` and `cp` (and their `berth container …`
 * forms), docker 20.10's: flags, output and error texts.
 */

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const path = (ref: string, tail: string): string => `/containers/${encodeURIComponent(ref)}${tail}`;

/** Go's strconv.ParseBool words. */
const GO_BOOL: Record<string, boolean> = { '1': true, t: true, T: true, TRUE: true, true: true, True: true, '0': false, f: false, F: false, FALSE: false, false: false, False: false };

export interface CommitFlags {
  author?: string;
  change: string[];
  message?: string;
  /** commander's value for `-p[=bool]`: true, or the text after it */
  pause?: boolean | string;
}

/**
 * The commit request docker's client sends: the reference split into repo
 * and tag (tag "latest" by default, the repository in its familiar form),
 * a digest refused; pause=0 only when turned off.
 */
export function commitQuery(container: string, reference: string | undefined, flags: Omit<CommitFlags, 'pause'> & { pause: boolean }): Record<string, string | string[] | undefined> {
  let repo = '';
  let tag = '';
  if (reference) {
    let ref;
    try {
      ref = withDefaultTag(parseReference(reference));
    } catch (err) {
      // printed as docker prints the reference library's error: its message alone
      if (err instanceof EngineError) throw plain(err.message);
      throw err;
    }
    if (ref.digest !== undefined) throw plain('refusing to create a tag with a digest reference');
    repo = familiarName(ref);
    tag = ref.tag ?? '';
  }
  return { container, repo, tag, comment: flags.message ?? '', author: flags.author ?? '', changes: flags.change, pause: flags.pause ? undefined : '0' };
}

/**
 * commit's operands and -p: an optional-value flag takes the next word as
 * its value, so `-p CONTAINER` would eat the container — a value that is no
 * Go boolean is put back in front of the operands.
 */
export function commitOperands(args: string[], pause: boolean | string | undefined): { operands: string[]; pause: boolean } {
  if (pause === undefined || typeof pause === 'boolean') return { operands: args, pause: pause ?? true };
  const word = pause.replace(/^=/, '');
  if (word in GO_BOOL) return { operands: args, pause: GO_BOOL[word]! };
  return { operands: [word, ...args], pause: true };
}

const KIND = ['C', 'A', 'D'];

/** `docker diff`: one line per change, "C /etc", sorted by path. */
export function formatChanges(changes: { Path: string; Kind: number }[] | null): string {
  return [...(changes ?? [])]
    .sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0))
    .map((c) => `${KIND[c.Kind] ?? '?'} ${c.Path}\n`)
    .join('');
}

async function exportTo(client: EngineClient, ref: string, output: string | undefined, stdout: NodeJS.WriteStream): Promise<void> {
  if (!output && stdout.isTTY) throw plain('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  if (output) {
    const dir = goDir(goClean(output));
    try {
      if (dir !== '.' && dir !== '') statSync(dir);
    } catch {
      throw plain(`failed to export container: invalid output path: directory ${JSON.stringify(dir)} does not exist`);
    }
  }
  const archive = await ask(client.stream('GET', path(ref, '/export')));
  try {
    if (output) await streamToFile(archive, output);
    else await pipeline(archive, stdout, { end: false });
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('Internal', 'EXPORT_FAILED', `export: the archive did not arrive whole: ${(err as Error).message}`, { cause: err });
  }
}

/** Adds commit, diff, export and cp, at the top and under `berth container`. */
export function addArchiveCommands(program: Command, env: CommandEnv): void {
  const { io, want } = env;
  const { act } = actions(env);
  const usage = (cmd: Command, text: string): EngineError =>
    plain(`"berth ${cmd.name()}" requires ${text}.\nSee 'berth ${cmd.name()} --help'.\n\nUsage:  berth ${cmd.name()} ${cmd.usage()}\n\n${cmd.description().replace(/^./, (c) => c.toUpperCase())}`);

  const commitCmd = (cmd: Command): Command =>
    cmd
      .usage('[OPTIONS] CONTAINER [REPOSITORY[:TAG]]')
      .argument('[args...]')
      .option('-a, --author <string>', 'author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
      .option('-c, --change <instruction>', 'apply Dockerfile instruction to the created image', collect, [])
      .option('-m, --message <string>', 'commit message')
      .option('-p, --pause [bool]', 'pause container during commit (default true)')
      .action(
        act(async (args: string[], o: CommitFlags) => {
          const { operands, pause } = commitOperands(args, o.pause);
          if (operands.length < 1 || operands.length > 2) throw usage(cmd, 'at least 1 and at most 2 arguments');
          const [container, reference] = operands as [string, string?];
          const query = commitQuery(container, reference, { ...o, pause });
          const client = await env.client();
          const r = await ask(client.post<{ Id: string }>('/commit', undefined, { query }));
          io.stdout.write(`${r.Id}\n`);
        }),
      );

  const diffCmd = (cmd: Command): Command =>
    cmd
      .usage('CONTAINER')
      .argument('[args...]')
      .action(
        act(async (args: string[]) => {
          if (args.length !== 1) throw usage(cmd, 'exactly 1 argument');
          const client = await env.client();
          io.stdout.write(formatChanges(await ask(client.get<{ Path: string; Kind: number }[] | null>(path(args[0]!, '/changes')))));
        }),
      );

  const exportCmd = (cmd: Command): Command =>
    cmd
      .usage('[OPTIONS] CONTAINER')
      .argument('[args...]')
      .option('-o, --output <file>', 'write to a file, instead of STDOUT')
      .action(
        act(async (args: string[], o: { output?: string }) => {
          if (args.length !== 1) throw usage(cmd, 'exactly 1 argument');
          await exportTo(await env.client(), args[0]!, o.output, io.stdout);
        }),
      );

  const cpCmd = (cmd: Command): Command =>
    cmd
      .usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH')
      .argument('[args...]')
      .option('-a, --archive', 'archive mode (copy all uid/gid information)')
      .option('-L, --follow-link', 'always follow symbol link in SRC_PATH')
      .action(
        act(async (args: string[], o: { archive?: boolean; followLink?: boolean }) => {
          if (args.length !== 2) throw usage(cmd, 'exactly 2 arguments');
          const [source, destination] = args as [string, string];
          if (source === '') throw plain('source can not be empty');
          if (destination === '') throw plain('destination can not be empty');
          const src = splitCpArg(source);
          const dst = splitCpArg(destination);
          if (src.container && dst.container) throw plain('copying between containers is not supported');
          if (!src.container && !dst.container) throw plain('must specify at least one container source');
          const client = await env.client();
          if (src.container) await copyFromContainer(client, src.container, src.path, dst.path, o.followLink === true, io.stdout);
          else await copyToContainer(client, dst.container, src.path, dst.path, { followLink: o.followLink === true, copyUIDGID: o.archive === true }, io.stdin);
        }),
      );

  if (want('commit')) commitCmd(program.command('commit').description("create a new image from a container's changes"));
  if (want('diff')) diffCmd(program.command('diff').description("inspect changes to files or directories on a container's filesystem"));
  if (want('export')) exportCmd(program.command('export').description("export a container's filesystem as a tar archive"));
  if (want('cp')) cpCmd(program.command('cp').description('copy files/folders between a container and the local filesystem'));
  if (want('container')) {
    const container = program.commands.find((c) => c.name() === 'container') ?? program.command('container').description('manage containers');
    commitCmd(container.command('commit').description("create a new image from a container's changes"));
    diffCmd(container.command('diff').description("inspect changes to files or directories on a container's filesystem"));
    exportCmd(container.command('export').description("export a container's filesystem as a tar archive"));
    cpCmd(container.command('cp').description('copy files/folders between a container and the local filesystem'));
  }
}
