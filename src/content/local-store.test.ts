import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sha256Of, type Digest } from '../lib/digest.js';
import { LocalContentStore } from './local-store.js';

const base = mkdtempSync(join(tmpdir(), 'berth-local-content-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = (): LocalContentStore => new LocalContentStore(join(base, `store-${n++}`));

describe('LocalContentStore on disk', () => {
  it('lays out <root>/blobs/sha256/<hex> under a 0700 root, blobs 0644', async () => {
    const oldMask = process.umask(0o077); // even under a strict umask, blobs stay readable for the snapshotter
    try {
      const store = fresh();
      const { digest } = await store.ingest(Buffer.from('hello'));
      assert.equal(store.path(digest), join(store.root, 'blobs', 'sha256', digest.slice(7)));
      assert.equal(statSync(store.root).mode & 0o777, 0o700);
      assert.equal(statSync(store.path(digest)).mode & 0o777, 0o644);
      assert.deepEqual(readdirSync(store.ingestDir), []);
    } finally {
      process.umask(oldMask);
    }
  });

  it('keeps its blobs across a reopen', async () => {
    const store = fresh();
    const { digest } = await store.ingest(Buffer.from('persist'));
    const again = new LocalContentStore(store.root);
    assert.equal((await again.read(digest)).toString(), 'persist');
    assert.deepEqual(await again.list(), [{ digest, size: 7 }]);
  });

  it('refuses a path for a string that is not a digest', () => {
    const store = fresh();
    assert.throws(() => store.path('sha256:../../etc/passwd' as Digest), /invalid digest/);
  });

  it('sweeps abandoned ingests but not live ones', async () => {
    const store = fresh();
    const stale = join(store.ingestDir, '1-dead');
    const live = join(store.ingestDir, '2-live');
    writeFileSync(stale, 'half a blob');
    writeFileSync(live, 'being written');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, old, old);
    const result = await store.sweep(new Set());
    assert.equal(result.ingestsRemoved, 1);
    assert.deepEqual(await store.ingests(), ['2-live']);
  });

  it('ignores stray files in blobs/ when listing and sweeping', async () => {
    const store = fresh();
    writeFileSync(join(store.blobsDir, 'not-a-digest'), 'x');
    const { digest } = await store.ingest(Buffer.from('real'));
    assert.deepEqual((await store.list()).map((b) => b.digest), [digest]);
    await store.sweep(new Set([digest]));
    assert.ok(readdirSync(store.blobsDir).includes('not-a-digest'));
  });

  it('replaces a stored blob whose size is wrong (damaged outside berth)', async () => {
    const store = fresh();
    const data = Buffer.from('the real content');
    const digest = sha256Of(data);
    writeFileSync(store.path(digest), 'trunc');
    await store.ingest(data, { digest, size: data.length });
    assert.ok((await store.read(digest)).equals(data));
  });
});
