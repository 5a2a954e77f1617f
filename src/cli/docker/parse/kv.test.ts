import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEnv, buildLabels, checkLabel, expandEnv, readKeyValueFile } from './kv.js';

const fsOf =
  (files: Record<string, string | Buffer>) =>
  (p: string): Buffer => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    if (f === 'DIR') throw Object.assign(new Error(`EISDIR: ${p}`), { code: 'EISDIR' });
    return Buffer.isBuffer(f) ? f : Buffer.from(f);
  };
const lookup = (env: Record<string, string>) => (k: string) => env[k];

describe('-e and -l values', () => {
  it('takes a bare -e KEY from the environment when it is set there', () => {
    assert.equal(expandEnv('A=1', lookup({})), 'A=1');
    assert.equal(expandEnv('HOME', lookup({ HOME: '/root' })), 'HOME=/root');
    assert.equal(expandEnv('NOPE', lookup({})), 'NOPE');
    assert.equal(expandEnv('E=', lookup({ E: 'x' })), 'E=');
    assert.throws(() => expandEnv('=x', lookup({})), { message: 'invalid environment variable: =x' });
  });
  it('checks label names', () => {
    assert.equal(checkLabel('a=b c'), 'a=b c');
    assert.equal(checkLabel(' \ta'), ' \ta');
    assert.throws(() => checkLabel(' =x'), { message: "invalid label ' =x': empty name" });
    assert.throws(() => checkLabel('a b=c'), { message: "label 'a b' contains whitespaces" });
  });
});

describe('env and label files', () => {
  const files = fsOf({
    '/env': '\uFEFFA=1\r\n# comment\n  \t B=  two  \nBARE\nUNSET\nQ="quoted"\n\nE=\n',
    '/bad': 'OK=1\nBAD KEY=2\n',
    '/noname': '=value\n',
    '/binary': Buffer.from([0x41, 0x3d, 0xff, 0x0a]),
    '/dir': 'DIR',
    '/long': `A=${'x'.repeat(70_000)}\n`,
  });
  it('reads KEY=VAL lines as the CLI does', () => {
    assert.deepEqual(readKeyValueFile('/env', files, lookup({ BARE: 'b' })), ['A=1', 'B=  two  ', 'BARE=b', 'Q="quoted"', 'E=']);
    // a label file has no environment: bare keys are dropped
    assert.deepEqual(readKeyValueFile('/env', files), ['A=1', 'B=  two  ', 'Q="quoted"', 'E=']);
  });
  it("fails with the CLI's and Go's messages", () => {
    assert.throws(() => readKeyValueFile('/bad', files), { message: "poorly formatted environment: variable 'BAD KEY' contains whitespaces" });
    assert.throws(() => readKeyValueFile('/noname', files), { message: "poorly formatted environment: no variable name on line '=value'" });
    assert.throws(() => readKeyValueFile('/missing', files), { message: 'open /missing: no such file or directory' });
    assert.throws(() => readKeyValueFile('/dir', files), { message: 'read /dir: is a directory' });
    assert.throws(() => readKeyValueFile('/binary', files), { message: 'env file /binary contains invalid utf8 bytes at line 1: [65 61 255]' });
    assert.throws(() => readKeyValueFile('/long', files), { message: 'bufio.Scanner: token too long' });
  });
  it('puts file entries first, then -e values, one per key (the last value)', () => {
    const env = buildEnv(['/env'], ['A=2', 'X=1', 'A=3'], files, lookup({}));
    assert.deepEqual(env, ['A=1', 'B=  two  ', 'Q="quoted"', 'E=', 'A=3', 'X=1']);
    assert.equal(buildEnv([], [], files, lookup({})), null);
  });
  it('merges labels, -l over files', () => {
    assert.deepEqual(buildLabels(['/env'], ['A=flag', 'solo'], files), { A: 'flag', B: '  two  ', Q: '"quoted"', E: '', solo: '' });
  });
});
