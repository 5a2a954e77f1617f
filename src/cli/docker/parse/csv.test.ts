import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCsvRecord } from './csv.js';

describe("Go's encoding/csv, first record", () => {
  it('splits at commas; quoted fields keep commas and double their quotes', () => {
    assert.deepEqual(readCsvRecord('a,b,c'), ['a', 'b', 'c']);
    assert.deepEqual(readCsvRecord('"type=bind","source=/x,y",target=/z'), ['type=bind', 'source=/x,y', 'target=/z']);
    assert.deepEqual(readCsvRecord('"a ""b"""'), ['a "b"']);
    assert.deepEqual(readCsvRecord('a,,b,'), ['a', '', 'b', '']);
    assert.deepEqual(readCsvRecord('a,b\nc,d'), ['a', 'b']);
    assert.deepEqual(readCsvRecord('\n\na'), ['a']);
  });
  it("fails as Go does, with line and column", () => {
    assert.throws(() => readCsvRecord(''), { message: 'EOF' });
    assert.throws(() => readCsvRecord('a,b"c'), { message: 'parse error on line 1, column 4: bare " in non-quoted-field' });
    assert.throws(() => readCsvRecord('type=bind,src="a,target=/b'), { message: 'parse error on line 1, column 15: bare " in non-quoted-field' });
    assert.throws(() => readCsvRecord('"abc'), { message: 'parse error on line 1, column 5: extraneous or missing " in quoted-field' });
    assert.throws(() => readCsvRecord('"a"b'), { message: 'parse error on line 1, column 3: extraneous or missing " in quoted-field' });
  });
});
