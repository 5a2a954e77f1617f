import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../errors/engine-error.js';
import { checkPsArgs, parsePsOutput } from './top.js';

describe('docker top: ps output', () => {
  const ef = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 19:56 ?        00:00:01 /sbin/init',
    'root        4242    4240  0 20:07 ?        00:00:00 sleep 1000',
    'root        4250    4242  0 20:07 ?        00:00:00 sh -c  echo  "a b"',
    '',
  ].join('\n');

  it('keeps the rows of the given pids; the last column takes the rest of the line', () => {
    assert.deepEqual(parsePsOutput(ef, [4242, 4250]), {
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '4242', '4240', '0', '20:07', '?', '00:00:00', 'sleep 1000'],
        ['root', '4250', '4242', '0', '20:07', '?', '00:00:00', 'sh -c echo "a b"'],
      ],
    });
  });

  it('finds the PID column wherever it is, and keeps thread lines (PID "-") after a kept process', () => {
    const m = ['  PID   TID COMMAND', ' 4242     - sleep', '    -  4242 -', ' 9999     - other', '    -  9999 -'].join('\n');
    assert.deepEqual(parsePsOutput(m, [4242]).Processes, [
      ['4242', '-', 'sleep'],
      ['-', '4242', '-'],
    ]);
  });

  it('no process of the container: titles only', () => {
    assert.deepEqual(parsePsOutput(ef, []), { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: [] });
  });

  it("dockerd's errors for output without a PID column or with a pid that is no number", () => {
    assert.throws(() => parsePsOutput('USER COMMAND\nroot sh\n', [1]), (e: unknown) => e instanceof EngineError && e.message === "Couldn't find PID field in ps output");
    assert.throws(() => parsePsOutput('PID CMD\nabc sh\n', [1]), (e: unknown) => e instanceof EngineError && e.message === "Unexpected pid 'abc'");
  });

  it('only the pid column may be renamed to PID', () => {
    checkPsArgs('-ef');
    checkPsArgs('-o pid,comm');
    checkPsArgs('-o pid=PID,comm');
    assert.throws(() => checkPsArgs('-o ppid=PID'), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidArgument' && e.message === 'specifying "ppid=PID" is not allowed');
    assert.throws(() => checkPsArgs('-o pid,uid=PIDX'), /specifying "pid,uid=PIDX" is not allowed/);
  });
});
