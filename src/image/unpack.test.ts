import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemorySnapshotter } from '../../test/fakes/snapshotter.js';
import { isEngineError } from '../errors/engine-error.js';
import { sha256Of } from '../lib/digest.js';
import type { SnapshotInfo } from '../snapshot/snapshotter.js';
import { MediaType } from '../spec/oci-image.js';
import { cleanupHarnesses, gzip, harness, layer } from './testing.js';
import { ensureUnpacked, unpackLayer, verifyLayerBlob } from './unpack.js';

after(cleanupHarnesses);

const tar = layer({ a: 'content of a' });
const other = layer({ a: 'something else' });

/** A snapshotter that stops reading at the end-of-archive marker, as a real one may: it never sees the input end. */
class StopsEarly extends MemorySnapshotter {
  override async applyLayer(key: string, parent: string | undefined, input: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    const first = await input[Symbol.asyncIterator]().next();
    return super.applyLayer(key, parent, (async function* () { if (!first.done) yield first.value; })());
  }
}

describe('layers from blobs to snapshots', () => {
  it('checks a blob against its diff ID: by digest when uncompressed, by decompressing it when not', async () => {
    const h = harness();
    const plain = { ...(await h.content.ingest(tar)), mediaType: MediaType.OciLayer };
    const gz = { ...(await h.content.ingest(gzip(tar))), mediaType: MediaType.OciLayerGzip };
    await verifyLayerBlob(h.service.ctx, plain, sha256Of(tar));
    await verifyLayerBlob(h.service.ctx, gz, sha256Of(tar));
    for (const blob of [plain, gz]) {
      await assert.rejects(verifyLayerBlob(h.service.ctx, blob, sha256Of(other)), (err: unknown) => isEngineError(err, 'DIFF_ID_MISMATCH') && err.message.includes(`the image config says ${sha256Of(other)}`));
    }
  });

  it('removes a compressed layer whose content turns out wrong after a snapshotter that stopped reading early', async () => {
    const h = harness();
    const snapshots = new StopsEarly();
    const ctx = { ...h.service.ctx, snapshots };
    const gz = { ...(await h.content.ingest(gzip(tar))), mediaType: MediaType.OciLayerGzip };
    const lease = ctx.leases.create();
    await assert.rejects(unpackLayer(ctx, { diffId: sha256Of(other), chainId: sha256Of(other), parent: undefined, blob: gz }, lease), (err: unknown) => isEngineError(err, 'DIFF_ID_MISMATCH'));
    assert.deepEqual(snapshots.keys(), []);
    assert.equal(await unpackLayer(ctx, { diffId: sha256Of(tar), chainId: sha256Of(tar), parent: undefined, blob: gz }, lease), true);
    assert.deepEqual(snapshots.keys(), [sha256Of(tar)]);
    lease.release();
  });

  it('ensureUnpacked says when a layer has neither a snapshot nor a blob', async () => {
    const h = harness();
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Of(tar)] } }));
    const record = await h.images.add({ config });
    await assert.rejects(ensureUnpacked(h.service.ctx, record.id), (err: unknown) => isEngineError(err, 'LAYER_NOT_AVAILABLE') && /layer 0 .* is neither unpacked nor stored as a blob/.test(err.message));
  });
});
