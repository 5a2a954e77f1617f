import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DETACH_KEYS, DetachKeyScanner, parseDetachKeys } from './detach-keys.js';

describe('detach keys', () => {
  it("reads docker's notation", () => {
    assert.deepEqual([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [16, 17]);
    assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 1, 26, 27, 28, 29, 30, 31]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-x,b')], [0x61, 24, 0x62]);
    for (const bad of ['ctrl-', 'ctrl-1', 'ctrl-A', 'ctrl-ab', 'ab', '', 'a,,b']) {
      assert.throws(() => parseDetachKeys(bad), { message: `Invalid detach keys (${bad}) provided` }, bad);
    }
  });

  it('swallows the sequence and what follows it, passes everything else as typed', () => {
    const s = new DetachKeyScanner(parseDetachKeys(DEFAULT_DETACH_KEYS));
    assert.equal(s.feed(Buffer.from('ls\r')).toString(), 'ls\r');
    assert.equal(s.feed(Buffer.from('a\x10')).toString(), 'a', 'a possible start is held');
    assert.equal(s.feed(Buffer.from('b')).toString(), '\x10b', 'and passed on when the next key is not the rest');
    assert.equal(s.feed(Buffer.from('\x10\x10')).toString(), '\x10');
    assert.equal(s.detached, false);
    assert.equal(s.feed(Buffer.from('\x11after')).toString(), '');
    assert.equal(s.detached, true);
    assert.equal(s.feed(Buffer.from('more')).length, 0);
  });

  it('a one-key sequence detaches at that key', () => {
    const s = new DetachKeyScanner(parseDetachKeys('ctrl-a'));
    assert.equal(s.feed(Buffer.from('x\x01y')).toString(), 'x');
    assert.equal(s.detached, true);
  });
});
