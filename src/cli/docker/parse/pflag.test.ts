import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../../errors/engine-error.js';
import { flagsOf } from './flag-table.js';
import { scanFlags } from './pflag.js';

const run = flagsOf('run');
const scan = (argv: string[]) => scanFlags(argv, run);
const error = (argv: string[]): string => {
  try {
    scan(argv);
  } catch (err) {
    assert.ok(isEngineError(err, 'RUN_FLAG_INVALID'));
    return err.message;
  }
  return assert.fail('no error');
};

describe("pflag's command-line rules", () => {
  it('stops at the first argument that is not a flag, or after --', () => {
    assert.deepEqual(scan(['-i', 'busybox', 'ls', '-l', '--rm']), { flags: { interactive: true }, operands: ['busybox', 'ls', '-l', '--rm'] });
    assert.deepEqual(scan(['--', '-x', 'y']), { flags: {}, operands: ['-x', 'y'] });
    assert.deepEqual(scan(['-', 'y']), { flags: {}, operands: ['-', 'y'] });
    assert.deepEqual(scan(['', 'y']), { flags: {}, operands: ['', 'y'] });
    assert.deepEqual(scan(['-d']), { flags: { detach: true }, operands: [] });
  });

  it('takes values in every spelling, including ones that start with a dash', () => {
    const { flags } = scan(['--name', 'a', '--memory=1g', '-u', 'root', '-w/tmp', '-e=A=1', '-eB=2', '--memory-swap', '-1', '--entrypoint=', '-p', '80']);
    assert.deepEqual(flags, { name: 'a', memory: '1g', user: 'root', workdir: '/tmp', env: ['A=1', 'B=2'], memorySwap: '-1', entrypoint: '', publish: ['80'] });
  });

  it('groups short booleans, until a flag that takes the rest as its value', () => {
    assert.deepEqual(scan(['-dit', 'x']).flags, { detach: true, interactive: true, tty: true });
    assert.deepEqual(scan(['-itp80:80', 'x']).flags, { interactive: true, tty: true, publish: ['80:80'] });
    assert.deepEqual(scan(['-it=false', 'x']).flags, { interactive: true, tty: false });
  });

  it('takes =value on booleans; the last occurrence wins', () => {
    assert.deepEqual(scan(['--rm=false', '--sig-proxy=0', '--init=T', '-d=false', 'x']).flags, { rm: false, sigProxy: false, init: true, detach: false });
    assert.deepEqual(scan(['--rm', '--rm=false', 'x']).flags, { rm: false });
  });

  it('keeps aliases in one list, in command-line order', () => {
    assert.deepEqual(scan(['--net', 'a', '--network', 'b', '--dns-opt', 'x', '--dns-option', 'y', '--net-alias', 'p', '--network-alias', 'q', 'img']).flags, {
      network: ['a', 'b'],
      dnsOption: ['x', 'y'],
      networkAlias: ['p', 'q'],
    });
  });

  it("fails with pflag's messages", () => {
    assert.equal(error(['--bogus', 'x']), 'unknown flag: --bogus');
    assert.equal(error(['--bogus=1', 'x']), 'unknown flag: --bogus');
    assert.equal(error(['-ix', 'x']), "unknown shorthand flag: 'x' in -x");
    assert.equal(error(['--name']), 'flag needs an argument: --name');
    assert.equal(error(['-it', '-m']), "flag needs an argument: 'm' in -m");
    assert.equal(error(['---x']), 'bad flag syntax: ---x');
    assert.equal(error(['--=x']), 'bad flag syntax: --=x');
    assert.equal(error(['--rm=maybe']), 'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
    assert.equal(error(['-m', '1x', 'img']), `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`);
    assert.equal(error(['--net', 'name=a,bogus', 'img']), 'invalid argument "name=a,bogus" for "--net" flag: invalid field bogus');
  });

  it("knows create's flags from run's", () => {
    assert.throws(() => scanFlags(['-d', 'x'], flagsOf('create')), { message: "unknown shorthand flag: 'd' in -d" });
    assert.throws(() => scanFlags(['--sig-proxy=false', 'x'], flagsOf('create')), { message: 'unknown flag: --sig-proxy' });
  });
});
