import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ContentStore } from '../../src/content/content-store.js';
import { LocalContentStore } from '../../src/content/local-store.js';
import { isEngineError } from '../../src/errors/engine-error.js';
import { parseDigest, sha256Of, type Digest } from '../../src/lib/digest.js';

/**
 * ContentSuite: what every ContentStore must do, seen only through the
 * interface (as containerd's content/testsuite). Run it for a new
 * implementation with contentSuite('name', factory).
 */
export interface ContentStoreFixture {
  store: ContentStore;
  cleanup(): void;
}

export function contentSuite(name: string, make: () => ContentStoreFixture): void {
  describe(`ContentSuite: ${name}`, () => {
    let fx: ContentStoreFixture;
    let store: ContentStore;
    before(() => {
      fx = make();
      store = fx.store;
    });
    after(() => fx.cleanup());

    const chunked = (data: Buffer, size = 1000): Readable => {
      const parts: Buffer[] = [];
      for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
      return Readable.from(parts);
    };
    const nothingLeft = async (...digests: Digest[]): Promise<void> => {
      assert.deepEqual(await store.ingests(), [], 'no ingest left behind');
      for (const d of digests) assert.equal(await store.has(d), false, `${d} must not be stored`);
    };

    it('ingests a buffer, verifies and commits it, and reads back the exact bytes', async () => {
      const data = randomBytes(4096);
      const digest = sha256Of(data);
      const info = await store.ingest(data, { digest, size: data.length });
      assert.deepEqual(info, { digest, size: data.length });
      assert.equal(await store.has(digest), true);
      assert.deepEqual(await store.info(digest), info);
      assert.ok((await store.read(digest)).equals(data));
      assert.ok((await store.list()).some((b) => b.digest === digest && b.size === data.length));
      await nothingLeft();
    });

    it('ingests a stream of unknown length without expectations', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const info = await store.ingest(chunked(data, 65536));
      assert.deepEqual(info, { digest: sha256Of(data), size: data.length });
      const back: Buffer[] = [];
      for await (const c of await store.openRead(info.digest)) back.push(c as Buffer);
      assert.ok(Buffer.concat(back).equals(data));
    });

    it('reads from an offset', async () => {
      const data = Buffer.from('0123456789');
      const { digest } = await store.ingest(data);
      const back: Buffer[] = [];
      for await (const c of await store.openRead(digest, 4)) back.push(c as Buffer);
      assert.equal(Buffer.concat(back).toString(), '456789');
    });

    it('refuses a wrong digest and leaves nothing behind (buffer and stream)', async () => {
      const data = randomBytes(2048);
      const wrong = sha256Of('something else');
      for (const source of [() => data, () => chunked(data)]) {
        await assert.rejects(store.ingest(source(), { digest: wrong }), (err: unknown) => {
          assert.ok(isEngineError(err, 'DIGEST_MISMATCH'), String(err));
          assert.equal(err.kind, 'InvalidArgument');
          assert.match(err.message, new RegExp(`^ingest blob ${wrong}: the content has digest ${sha256Of(data)}`));
          return true;
        });
        await nothingLeft(wrong, sha256Of(data));
      }
    });

    it('refuses a wrong size, short or long, and leaves nothing behind', async () => {
      const data = randomBytes(5000);
      const digest = sha256Of(data);
      for (const size of [4999, 5001, 100]) {
        for (const source of [() => data, () => chunked(data)]) {
          await assert.rejects(store.ingest(source(), { digest, size }), (err: unknown) => isEngineError(err, 'SIZE_MISMATCH') && err.message.includes(digest));
          await nothingLeft(digest);
        }
      }
    });

    it('leaves nothing behind when the source fails', async () => {
      const data = randomBytes(3000);
      const failing = new Readable({
        read() {
          this.push(data);
          this.destroy(new Error('source broke'));
        },
      });
      await assert.rejects(store.ingest(failing), /source broke/);
      await nothingLeft(sha256Of(data));
    });

    it('is idempotent: the same content twice is one blob', async () => {
      const data = randomBytes(1234);
      const a = await store.ingest(data);
      const b = await store.ingest(chunked(data), { digest: a.digest, size: a.size });
      const c = await store.ingest(data, { digest: a.digest });
      assert.deepEqual(a, b);
      assert.deepEqual(a, c);
      assert.equal((await store.list()).filter((x) => x.digest === a.digest).length, 1);
      await nothingLeft();
    });

    it('checks a stream against its digest even when the blob is already stored', async () => {
      const data = randomBytes(600);
      const { digest } = await store.ingest(data);
      await assert.rejects(store.ingest(chunked(randomBytes(600)), { digest }), (err: unknown) => isEngineError(err, 'DIGEST_MISMATCH'));
      assert.ok((await store.read(digest)).equals(data), 'the stored blob is untouched');
      await nothingLeft();
    });

    it('lets concurrent ingests of the same content all succeed', async () => {
      const data = randomBytes(256 * 1024);
      const digest = sha256Of(data);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? store.ingest(chunked(data, 4096), { digest, size: data.length }) : store.ingest(chunked(data, 7777)))),
      );
      for (const r of results) assert.deepEqual(r, { digest, size: data.length });
      assert.ok((await store.read(digest)).equals(data));
      await nothingLeft();
    });

    it('reports a missing blob as NotFound', async () => {
      const missing = sha256Of('never stored');
      assert.equal(await store.has(missing), false);
      for (const op of [() => store.info(missing), () => store.read(missing), () => store.openRead(missing)]) {
        await assert.rejects(op(), (err: unknown) => isEngineError(err, 'BLOB_NOT_FOUND') && err.kind === 'NotFound' && err.message.includes(missing));
      }
      assert.equal(await store.delete(missing), false);
    });

    it('deletes a blob', async () => {
      const { digest } = await store.ingest(Buffer.from('delete me'));
      assert.equal(await store.delete(digest), true);
      assert.equal(await store.has(digest), false);
      assert.ok(!(await store.list()).some((b) => b.digest === digest));
    });

    it('sweeps every blob not kept, and keeps what is', async () => {
      const kept = await store.ingest(Buffer.from('kept'));
      const gone = await store.ingest(Buffer.from('garbage'));
      const fresh = await store.ingest(Buffer.from('just arrived'));
      // with a grace period, what was just added survives even when nothing refers to it yet
      const graceful = await store.sweep(new Set([kept.digest]), { graceMs: 60_000 });
      assert.ok(!graceful.removed.some((b) => b.digest === fresh.digest));
      assert.equal(await store.has(fresh.digest), true);

      const result = await store.sweep(new Set([kept.digest]));
      assert.equal(await store.has(kept.digest), true);
      assert.equal(await store.has(gone.digest), false);
      assert.equal(await store.has(fresh.digest), false);
      assert.ok(result.removed.some((b) => b.digest === gone.digest && b.size === gone.size));
      assert.equal(result.freed, result.removed.reduce((n, b) => n + b.size, 0));
      assert.deepEqual((await store.list()).map((b) => b.digest), [kept.digest]);
    });

    it('gives equal digests for equal content, and a well-formed digest', async () => {
      const a = await store.ingest(Buffer.from('same'));
      assert.equal(a.digest, parseDigest(sha256Of('same')));
    });
  });
}

contentSuite('LocalContentStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-content-'));
  return { store: new LocalContentStore(join(root, 'content')), cleanup: () => rmSync(root, { recursive: true, force: true }) };
});
