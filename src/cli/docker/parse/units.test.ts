import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memSwapBytes, parseNanoCpus, parseUlimit, ramInBytes } from './units.js';

describe('sizes (go-units RAMInBytes)', () => {
  it('reads binary multiples, whatever the suffix spelling', () => {
    assert.equal(ramInBytes('512m'), 512 * 2 ** 20);
    assert.equal(ramInBytes('512M'), 512 * 2 ** 20);
    assert.equal(ramInBytes('512mb'), 512 * 2 ** 20);
    assert.equal(ramInBytes('64 MiB'), 64 * 2 ** 20);
    assert.equal(ramInBytes('1.5g'), 1.5 * 2 ** 30);
    assert.equal(ramInBytes('100'), 100);
    assert.equal(ramInBytes('100b'), 100);
    assert.equal(ramInBytes('1k'), 1024);
    assert.equal(ramInBytes('0.5k'), 512);
    assert.equal(ramInBytes('1.7b'), 1);
  });

  it("refuses the rest with the CLI's message", () => {
    assert.throws(() => ramInBytes('x'), { message: "invalid size: 'x'" });
    assert.throws(() => ramInBytes('-1'), { message: "invalid size: '-1'" });
    assert.throws(() => ramInBytes('1e3'), { message: "invalid size: '1e3'" });
    assert.throws(() => ramInBytes('10x'), { message: "invalid size: '10x'" });
    assert.throws(() => ramInBytes('1.2.3'), { message: 'strconv.ParseFloat: parsing "1.2.3": invalid syntax' });
  });

  it('takes -1 for unlimited swap', () => {
    assert.equal(memSwapBytes('-1'), -1);
    assert.equal(memSwapBytes('1g'), 2 ** 30);
    assert.throws(() => memSwapBytes('-2'), { message: "invalid size: '-2'" });
  });
});

describe('--cpus', () => {
  it('reads decimals and fractions as nano CPUs', () => {
    assert.equal(parseNanoCpus('1.5'), 1_500_000_000);
    assert.equal(parseNanoCpus('3/2'), 1_500_000_000);
    assert.equal(parseNanoCpus('.25'), 250_000_000);
    assert.equal(parseNanoCpus('2'), 2_000_000_000);
    assert.equal(parseNanoCpus('1e-3'), 1_000_000);
    assert.equal(parseNanoCpus('0'), 0);
  });
  it('refuses what is not a number, or finer than a nano CPU', () => {
    assert.throws(() => parseNanoCpus('abc'), { message: 'failed to parse abc as a rational number' });
    assert.throws(() => parseNanoCpus('1/0'), { message: 'failed to parse 1/0 as a rational number' });
    assert.throws(() => parseNanoCpus('0.0000000001'), { message: 'value is too precise' });
  });
});

describe('--ulimit', () => {
  it('reads name=soft[:hard]', () => {
    assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Hard: 2048, Soft: 1024 });
    assert.deepEqual(parseUlimit('nproc=10'), { Name: 'nproc', Hard: 10, Soft: 10 });
    assert.deepEqual(parseUlimit('core=-1'), { Name: 'core', Hard: -1, Soft: -1 });
    assert.deepEqual(parseUlimit('memlock=100:-1'), { Name: 'memlock', Hard: -1, Soft: 100 });
  });
  it("fails with go-units' messages", () => {
    assert.throws(() => parseUlimit('nofile'), { message: 'invalid ulimit argument: nofile' });
    assert.throws(() => parseUlimit('bogus=1'), { message: 'invalid ulimit type: bogus' });
    assert.throws(() => parseUlimit('nofile=1:2:3'), { message: 'too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`' });
    assert.throws(() => parseUlimit('nofile=abc'), { message: 'strconv.ParseInt: parsing "abc": invalid syntax' });
    assert.throws(() => parseUlimit('nofile=2048:1024'), { message: 'ulimit soft limit must be less than or equal to hard limit: 2048 > 1024' });
    assert.throws(() => parseUlimit('nofile=-1:1024'), { message: 'ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 1024' });
  });
});
