import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { exposeGc, IdleCollector } from './idle-gc.js';

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('IdleCollector', () => {
  it('collects twice once quiet for the delay (counted from the last touch), then once more after settleMs', async () => {
    const calls: number[] = [];
    const c = new IdleCollector(() => calls.push(performance.now()), 100, 150);
    c.touch();
    await sleep(60);
    c.touch();
    const last = performance.now();
    await until(() => calls.length === 2);
    assert.ok(calls[0]! - last >= 99, `collected ${(calls[0]! - last).toFixed(1)} ms after the last touch`);
    await until(() => calls.length === 3);
    assert.ok(calls[2]! - calls[1]! >= 149, `the last one ${(calls[2]! - calls[1]!).toFixed(1)} ms after`);
    await sleep(300);
    assert.equal(calls.length, 3, 'an idle process is left alone');
  });

  it('starts over after new work, also between the passes', async () => {
    let n = 0;
    const c = new IdleCollector(() => n++, 30, 200);
    c.touch();
    await until(() => n === 2);
    c.touch(); // before the last pass: that one waits, the first two come again
    await until(() => n === 4);
    await until(() => n === 5);
    c.touch();
    await until(() => n === 8);
    c.stop();
  });

  it('stop() cancels what is pending', async () => {
    let n = 0;
    const c = new IdleCollector(() => n++, 20, 20);
    c.touch();
    c.stop();
    await sleep(80);
    assert.equal(n, 0);
  });
});

describe('exposeGc', () => {
  it('gives V8\'s gc() and leaves the flags as they were', () => {
    const gc = exposeGc();
    assert.equal(typeof gc, 'function');
    gc!();
    assert.equal(runInNewContext('typeof gc'), typeof (globalThis as { gc?: unknown }).gc, 'a new context has gc() only if the process had it');
  });
});
