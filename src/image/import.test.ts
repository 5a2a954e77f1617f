import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { sha256Of } from '../lib/digest.js';
import { MediaType } from '../spec/oci-image.js';
import { chunks, cleanupHarnesses, gzip, harness, layer, picture, zstdRaw } from './testing.js';

after(cleanupHarnesses);

const rootfs = layer({ 'bin/': '', 'bin/sh': 'a shell', 'etc/': '', 'etc/hello': 'hi\n' });

describe('import', () => {
  it('stores the layer uncompressed (blob digest = diff ID), unpacks it by chain ID, and records Docker\'s config', async () => {
    const h = harness();
    const { id, tags } = await h.service.importImage(chunks(rootfs), { ref: 'bx:1', changes: ['CMD ["/bin/sh"]', 'ENV A=1'], message: 'my msg' });
    assert.deepEqual(tags, ['bx:1']);
    const diffId = sha256Of(rootfs);
    const record = h.images.get(id)!;
    assert.deepEqual(record.layers, [{ diffId, chainId: diffId, blob: { digest: diffId, size: rootfs.length, mediaType: MediaType.OciLayer } }]);
    assert.ok((await h.content.read(diffId)).equals(rootfs));
    assert.deepEqual(h.snapshots.tree(diffId), { bin: '', 'bin/sh': 'a shell', etc: '', 'etc/hello': 'hi\n' });
    const config = await h.images.config(id);
    assert.deepEqual(config.config, { Cmd: ['/bin/sh'], Env: ['A=1'] });
    assert.equal(config.comment, 'my msg');
    assert.equal(config.docker_version, '0.1.0-test');
    assert.deepEqual(config.history, [{ created: '2024-01-02T03:04:05.000Z', comment: 'my msg' }]);
    assert.deepEqual(config.rootfs.diff_ids, [diffId]);
    assert.equal(h.images.lookup({ domain: 'docker.io', path: 'library/bx', tag: '1' }), id);
  });

  it('reads gzip and zstd input to the same layer, and defaults the message as Docker does', async () => {
    const h = harness();
    const plain = await h.service.importImage(chunks(rootfs));
    const gz = await h.service.importImage(chunks(gzip(rootfs), 100));
    const zst = await h.service.importImage(chunks(zstdRaw(rootfs)));
    // equal content, equal digests: one blob, one snapshot
    const ids = [plain, gz, zst].map((r) => h.images.get(r.id)!.layers[0]!.diffId);
    assert.deepEqual(new Set(ids), new Set([sha256Of(rootfs)]));
    assert.equal((await h.images.config(plain.id)).comment, 'Imported from -');
    assert.deepEqual(h.snapshots.keys(), [sha256Of(rootfs)]);
    assert.equal(h.snapshots.applied.length, 1, 'a layer stored once is unpacked once');
  });

  it('keeps an empty tar as a layer, as Docker\'s import does', async () => {
    const h = harness();
    const { id } = await h.service.importImage(chunks(layer({})));
    const config = await h.images.config(id);
    assert.equal(config.rootfs.diff_ids.length, 1);
    assert.equal(config.history?.[0]?.empty_layer, undefined);
  });

  it('refuses bad input before or while reading it, leaving the stores as they were', async () => {
    const h = harness();
    await h.service.importImage(chunks(rootfs), { ref: 'keep:me' });
    const before = await picture(h);
    const cases: [string, Buffer, object, string][] = [
      ['not a tar', Buffer.from('hello, this is no archive at all, not even close to 512 bytes'), {}, 'TAR_CORRUPT'],
      ['a truncated tar', rootfs.subarray(0, 700), {}, 'TAR_CORRUPT'],
      ['a corrupt gzip', gzip(rootfs).subarray(0, 60), {}, 'LAYER_CORRUPT'],
      ['empty input', Buffer.alloc(0), {}, 'IMPORT_EMPTY'],
      ['a digest reference', rootfs, { ref: `bx@${sha256Of('x')}` }, 'INVALID_REFERENCE'],
      ['a bad reference', rootfs, { ref: 'UPPER' }, 'INVALID_REFERENCE'],
      ['a refused change', rootfs, { changes: ['RUN rm -rf /'] }, 'INVALID_CHANGE'],
      ['an escaping entry', layer({}, [{ name: '../evil', content: 'x' }]), {}, 'LAYER_UNSAFE_PATH'],
    ];
    for (const [what, input, options, code] of cases) {
      await assert.rejects(h.service.importImage(chunks(input), options), (err: unknown) => {
        assert.ok(isEngineError(err), `${what}: ${String(err)}`);
        assert.equal(err.code, code, `${what}: ${err.message}`);
        return true;
      });
      assert.deepEqual(await picture(h), before, what);
    }
  });

  it('ensureUnpacked brings back a layer whose snapshot is gone, from its blob', async () => {
    const h = harness();
    const { id } = await h.service.importImage(chunks(rootfs));
    const diffId = sha256Of(rootfs);
    h.snapshots.remove(diffId);
    await h.service.ensureUnpacked(id);
    assert.deepEqual(h.snapshots.keys(), [diffId]);
    await h.service.ensureUnpacked(id);
    assert.equal(h.snapshots.applied.length, 2);
  });
});
