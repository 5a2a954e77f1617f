import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { containerArgs, containerCwd, containerEnv, DEFAULT_PATH_ENV, replaceOrAppendEnv } from './process.js';

describe('containerEnv', () => {
  it('PATH and HOSTNAME when the Config sets nothing', () => {
    assert.deepEqual(containerEnv({}, 'abc'), [`PATH=${DEFAULT_PATH_ENV}`, 'HOSTNAME=abc']);
  });
  it('TERM=xterm with a TTY', () => {
    assert.deepEqual(containerEnv({ Tty: true }, 'abc'), [`PATH=${DEFAULT_PATH_ENV}`, 'HOSTNAME=abc', 'TERM=xterm']);
  });
  it('the Config\'s variables replace the defaults in place, the others follow', () => {
    assert.deepEqual(containerEnv({ Tty: true, Env: ['FOO=bar', 'PATH=/mine', 'TERM=vt100', 'HOSTNAME=x'] }, 'abc'), ['PATH=/mine', 'HOSTNAME=x', 'TERM=vt100', 'FOO=bar']);
  });
});

describe('replaceOrAppendEnv', () => {
  it('a bare name removes that default, and is dropped when there is none', () => {
    assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['A', 'C']), ['B=2']);
  });
  it('keeps both of two new variables of one name (dockerd does not look among what it appended)', () => {
    assert.deepEqual(replaceOrAppendEnv(['A=1'], ['X=1', 'X=2']), ['A=1', 'X=1', 'X=2']);
  });
  it('an empty value stays', () => {
    assert.deepEqual(replaceOrAppendEnv(['A=1'], ['A=']), ['A=']);
  });
});

describe('containerArgs and containerCwd', () => {
  it('Entrypoint then Cmd; [""] is no entrypoint', () => {
    assert.deepEqual(containerArgs({ Entrypoint: ['/entry', '-x'], Cmd: ['a'] }), ['/entry', '-x', 'a']);
    assert.deepEqual(containerArgs({ Cmd: ['ls', '-l'] }), ['ls', '-l']);
    assert.deepEqual(containerArgs({ Entrypoint: [''], Cmd: ['ls'] }), ['ls']);
  });
  it('"No command specified" without either', () => {
    for (const c of [{}, { Entrypoint: null, Cmd: [] }, { Entrypoint: [''] }]) {
      assert.throws(() => containerArgs(c), (err: unknown) => isEngineError(err, 'NO_COMMAND') && err.message === 'No command specified');
    }
  });
  it('cwd: "/" by default, the WorkingDir cleaned, a relative one refused', () => {
    assert.equal(containerCwd({}), '/');
    assert.equal(containerCwd({ WorkingDir: '/a//b/../c/' }), '/a/c');
    assert.equal(containerCwd({ WorkingDir: '/' }), '/');
    assert.throws(() => containerCwd({ WorkingDir: 'rel' }), (err: unknown) => isEngineError(err, 'BAD_WORKDIR'));
  });
});
