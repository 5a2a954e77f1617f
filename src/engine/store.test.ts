import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Container } from './container.js';
import { ContainerStore } from './store.js';

const record = (id: string, autoRemove: boolean): Container => ({ ID: id, Name: `/bth-${id.slice(0, 6)}`, HostConfig: { AutoRemove: autoRemove } }) as unknown as Container;

describe('container records on disk (no root)', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-test-store-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('saves records of kept and of --rm containers alike, and finds them again at start', async () => {
    const store = new ContainerStore(root);
    const kept = record('a'.repeat(64), false);
    const rm = record('b'.repeat(64), true);
    for (const c of [kept, rm]) {
      store.makeDir(c.ID);
      await store.save(c);
    }
    assert.equal(JSON.parse(readFileSync(join(root, rm.ID, 'config.v2.json'), 'utf8')).ID, rm.ID);
    // a write that fails is told to the caller that awaits it (create undoes itself), and logged
    const logged: string[] = [];
    const failed = await new ContainerStore(root, (m) => logged.push(m)).save(record('d'.repeat(64), false));
    assert.equal((failed as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
    assert.match(logged.join('\n'), /dddddddddddd: save its record: open .*: No such file or directory/);
    assert.deepEqual(new ContainerStore(root).list().map((c) => c.ID).sort(), [kept.ID, rm.ID]);
  });

  it("leaves out a record a power cut emptied (a --rm container's, written without fsync), refuses a damaged one", () => {
    const lost = 'c'.repeat(64);
    mkdirSync(join(root, lost));
    writeFileSync(join(root, lost, 'config.v2.json'), '');
    const logged: string[] = [];
    assert.deepEqual(new ContainerStore(root, (m) => logged.push(m)).list(), []);
    assert.match(logged.join('\n'), /cccccccccccc: its record was lost/);
    writeFileSync(join(root, lost, 'config.v2.json'), '{"ID":');
    assert.throws(() => new ContainerStore(root), /unreadable record/);
  });
});
