import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactJson } from './json-compact.js';

const compact = (s: string): string => compactJson(Buffer.from(s));

describe("Go's json.Compact", () => {
  it('drops white space and changes nothing else', () => {
    assert.equal(compact('{ "b" : 1.50 ,\n "a":[ 1e2 , -0, true,null ] , "s": "x \\u00e9\\n y" }\n'), '{"b":1.50,"a":[1e2,-0,true,null],"s":"x \\u00e9\\n y"}');
    assert.equal(compact('{"1":1,"0":0,"1":2}'), '{"1":1,"0":0,"1":2}');
    assert.equal(compact(' "é" '), '"é"');
  });
  it("fails with the scanner's messages", () => {
    assert.throws(() => compact(''), { message: 'unexpected end of JSON input' });
    assert.throws(() => compact('{"a":1'), { message: 'unexpected end of JSON input' });
    assert.throws(() => compact('x'), { message: "invalid character 'x' looking for beginning of value" });
    assert.throws(() => compact('{"a" 1}'), { message: "invalid character '1' after object key" });
    assert.throws(() => compact('{"a":1 "b"}'), { message: `invalid character '"' after object key:value pair` });
    assert.throws(() => compact('[1 2]'), { message: "invalid character '2' after array element" });
    assert.throws(() => compact('{1:2}'), { message: "invalid character '1' looking for beginning of object key string" });
    assert.throws(() => compact('tru'), { message: 'unexpected end of JSON input' });
    assert.throws(() => compact('trux'), { message: "invalid character 'x' in literal true (expecting 'e')" });
    assert.throws(() => compact('01'), { message: "invalid character '1' after top-level value" });
    assert.throws(() => compact('1.'), { message: 'unexpected end of JSON input' });
    assert.throws(() => compact('1.x'), { message: "invalid character 'x' after decimal point in numeric literal" });
    assert.throws(() => compact('-x'), { message: "invalid character 'x' in numeric literal" });
    assert.throws(() => compact('"a\\x"'), { message: "invalid character 'x' in string escape code" });
    assert.throws(() => compact('"a\nb"'), { message: "invalid character '\\n' in string literal" });
    // a UTF-8 byte order mark is three bytes; Go names the first as the rune of its value
    assert.throws(() => compact('\uFEFF{}'), { message: "invalid character 'ï' looking for beginning of value" });
  });
});
