import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSignal } from './signals.js';

describe('parseSignal', () => {
  it('reads names with or without SIG, any case, and numbers', () => {
    assert.equal(parseSignal('KILL'), 9);
    assert.equal(parseSignal('SIGTERM'), 15);
    assert.equal(parseSignal('hup'), 1);
    assert.equal(parseSignal('9'), 9);
    assert.equal(parseSignal('RTMIN+2'), 36);
  });
  it('refuses what is not a signal', () => {
    assert.throws(() => parseSignal('FOO'), /unknown signal "FOO"/);
    assert.equal(parseSignal('0'), 0);
    assert.throws(() => parseSignal('65'), /unknown signal/);
  });
});
