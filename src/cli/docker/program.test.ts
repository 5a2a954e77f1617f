import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, neededCommand, type Io } from './program.js';

const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin } as Io;
const names = (p: Command): string[] => p.commands.map((c) => c.name());
const helpOf = (p: Command, path: string[]): string => {
  let cmd = p;
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  return cmd.helpInformation();
};

describe('neededCommand', () => {
  it('is the first word after berth’s own options', () => {
    assert.equal(neededCommand(['run', '--rm', 'busybox']), 'run');
    assert.equal(neededCommand(['-H', 'unix:///x.sock', 'ps', '-a']), 'ps');
    assert.equal(neededCommand(['--host', '--version', 'ps']), 'ps', 'the value of -H, whatever it looks like');
    assert.equal(neededCommand(['--host=unix:///x.sock', '--data-root', '/d', 'image', 'ls']), 'image');
    assert.equal(neededCommand(['-Hunix:///x.sock', '--data-root=/d', 'images']), 'images');
  });

  it('is null for --version, which needs no command', () => {
    assert.equal(neededCommand(['--version']), null);
    assert.equal(neededCommand(['-H', '/x', '-v', 'run']), null);
  });

  it('is undefined (all commands) for help, no command, and options it does not know', () => {
    for (const args of [[], ['--help'], ['-h', 'run'], ['-vH', 'x'], ['--', 'ps'], ['-H']]) assert.equal(neededCommand(args), undefined, args.join(' '));
  });
});

describe('buildProgram', () => {
  const all = buildProgram(io, () => undefined);

  it('has only the command a command line names, set up as in the whole program', () => {
    for (const path of [['run'], ['ps'], ['image', 'ls'], ['container', 'run'], ['system', 'df'], ['volume', 'prune']]) {
      const p = buildProgram(io, () => undefined, ['node', 'berth', ...path]);
      assert.deepEqual(names(p), [path[0]]);
      assert.equal(helpOf(p, path), helpOf(all, path), path.join(' '));
    }
  });

  it('has every command for help, no command, and a name that is no command’s (commander suggests one)', () => {
    for (const args of [['--help'], ['imagess'], ['help', 'run'], []]) assert.deepEqual(names(buildProgram(io, () => undefined, ['node', 'berth', ...args])), names(all), args.join(' '));
    assert.ok(names(all).length > 30);
  });

  it('has none for --version', () => {
    assert.deepEqual(names(buildProgram(io, () => undefined, ['node', 'berth', '--version'])), []);
  });
});
