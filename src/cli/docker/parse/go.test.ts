import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goAtoi, goQuote, goQuoteChar, parseGoBool, parseGoDuration, parseGoInt, parseGoUint, pathClean } from './go.js';

describe('Go number syntax (strconv, base 0)', () => {
  it('reads decimal, 0x, 0o, 0b, a leading 0 as octal, and underscores between digits', () => {
    assert.equal(parseGoInt('42'), 42);
    assert.equal(parseGoInt('-42'), -42);
    assert.equal(parseGoInt('+7'), 7);
    assert.equal(parseGoInt('0x1F'), 31);
    assert.equal(parseGoInt('0o17'), 15);
    assert.equal(parseGoInt('017'), 15);
    assert.equal(parseGoInt('0b101'), 5);
    assert.equal(parseGoInt('1_000'), 1000);
    assert.equal(parseGoInt('0'), 0);
  });

  it("refuses what Go refuses, with Go's message", () => {
    assert.throws(() => parseGoInt('12abc'), { message: 'strconv.ParseInt: parsing "12abc": invalid syntax' });
    assert.throws(() => parseGoInt(''), { message: 'strconv.ParseInt: parsing "": invalid syntax' });
    assert.throws(() => parseGoInt('08'), /invalid syntax/);
    assert.throws(() => parseGoInt('1__0'), /invalid syntax/);
    assert.throws(() => parseGoInt('_1'), /invalid syntax/);
    assert.throws(() => parseGoInt('1.5'), /invalid syntax/);
    assert.throws(() => parseGoInt('9223372036854775808'), { message: 'strconv.ParseInt: parsing "9223372036854775808": value out of range' });
    assert.equal(parseGoInt('-9223372036854775808'), -(2 ** 63));
    assert.throws(() => parseGoUint('-1', 16), { message: 'strconv.ParseUint: parsing "-1": invalid syntax' });
    assert.throws(() => parseGoUint('65536', 16), { message: 'strconv.ParseUint: parsing "65536": value out of range' });
    assert.equal(parseGoUint('65535', 16), 65535);
    assert.throws(() => goAtoi('0x10'), { message: 'strconv.Atoi: parsing "0x10": invalid syntax' });
  });

  it('reads booleans as strconv.ParseBool', () => {
    for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseGoBool(t), true);
    for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseGoBool(f), false);
    assert.throws(() => parseGoBool('yes'), { message: 'strconv.ParseBool: parsing "yes": invalid syntax' });
    assert.throws(() => parseGoBool('tRUE'), /invalid syntax/);
  });
});

describe('Go quoting (%q)', () => {
  it('escapes quotes, backslashes and control characters, keeps printable text', () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote('tab\there\n'), '"tab\\there\\n"');
    assert.equal(goQuote('\x01'), '"\\x01"');
    assert.equal(goQuote('héllo'), '"héllo"');
    assert.equal(goQuote('\u00a0'), '"\\u00a0"');
    assert.equal(goQuoteChar('x'), "'x'");
    assert.equal(goQuoteChar("'"), "'\\''");
    assert.equal(goQuoteChar('"'), `'"'`);
    assert.equal(goQuoteChar('\n'), "'\\n'");
  });
});

describe('path.Clean', () => {
  it('cleans lexically', () => {
    assert.equal(pathClean('/dev/a/../b'), '/dev/b');
    assert.equal(pathClean('/dev//./x/'), '/dev/x');
    assert.equal(pathClean('/../x'), '/x');
    assert.equal(pathClean('a/../../b'), '../b');
    assert.equal(pathClean(''), '.');
    assert.equal(pathClean('/'), '/');
  });
});

describe('time.ParseDuration', () => {
  it('reads units, fractions and sequences, in nanoseconds', () => {
    assert.equal(parseGoDuration('30s'), 30e9);
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('500ms'), 500e6);
    assert.equal(parseGoDuration('2us'), 2000);
    assert.equal(parseGoDuration('2µs'), 2000);
    assert.equal(parseGoDuration('-1s'), -1e9);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('.5s'), 5e8);
    assert.equal(parseGoDuration('1.s'), 1e9);
  });

  it("fails with Go's messages", () => {
    assert.throws(() => parseGoDuration('5'), { message: 'time: missing unit in duration "5"' });
    assert.throws(() => parseGoDuration('5x'), { message: 'time: unknown unit "x" in duration "5x"' });
    assert.throws(() => parseGoDuration(''), { message: 'time: invalid duration ""' });
    assert.throws(() => parseGoDuration('.s'), { message: 'time: invalid duration ".s"' });
    assert.throws(() => parseGoDuration('abc'), { message: 'time: invalid duration "abc"' });
    assert.throws(() => parseGoDuration('3000000h'), { message: 'time: invalid duration "3000000h"' });
  });
});
