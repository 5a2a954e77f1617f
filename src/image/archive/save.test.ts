import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { hexOf, sha256Of, type Digest } from '../../lib/digest.js';
import { listTar } from '../../snapshot/layer/testing.js';
import { blobName, chunks, cleanupHarnesses, harness, layer, readAll, type Harness } from '../testing.js';

after(cleanupHarnesses);

const base = layer({ 'bin/': '', 'bin/sh': 'shell' });

async function members(h: Harness, names: string[]): Promise<Map<string, Buffer>> {
  const bytes = await readAll(await h.service.save(names));
  return new Map((await listTar(bytes)).map((e) => [e.type === 'dir' ? `${e.name}/` : e.name, e.content]));
}

async function twoImages(h: Harness): Promise<{ a: Digest; b: Digest }> {
  const { id: a } = await h.service.importImage(chunks(base), { ref: 'app:1' });
  const key = 'ctr';
  h.snapshots.prepare(key, sha256Of(base));
  h.snapshots.write(key, layer({ 'etc/': '', 'etc/conf': 'x=1' }));
  const { id: b } = await h.service.commit(key, { parentImage: a, ref: 'app:2', changes: ['ENV X=1'] });
  return { a, b };
}

describe('save', () => {
  it("writes Docker ≥25's layout: blobs, index.json, manifest.json, oci-layout, repositories, in that order", async () => {
    const h = harness();
    const { id } = await h.service.importImage(chunks(base), { ref: 'bx:1' });
    const m = await members(h, ['bx:1']);
    const diffId = sha256Of(base);
    const manifestJson = JSON.parse(m.get('manifest.json')!.toString());
    assert.ok(m.get('manifest.json')!.toString().endsWith('\n'));
    assert.deepEqual(manifestJson, [
      {
        Config: blobName(id),
        RepoTags: ['bx:1'],
        Layers: [blobName(diffId)],
        LayerSources: { [diffId]: { mediaType: 'application/vnd.oci.image.layer.v1.tar', size: base.length, digest: diffId } },
      },
    ]);
    assert.equal(m.get('oci-layout')!.toString(), '{"imageLayoutVersion": "1.0.0"}');
    assert.equal(m.get('repositories')!.toString(), `{"bx":{"1":"${hexOf(diffId)}"}}\n`);
    const index = JSON.parse(m.get('index.json')!.toString());
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(index.manifests[0].annotations, { 'io.containerd.image.name': 'docker.io/library/bx:1', 'org.opencontainers.image.ref.name': '1' });
    assert.deepEqual(index.manifests[0].platform, { architecture: 'amd64', os: 'linux' });
    const manifest = JSON.parse(m.get(blobName(index.manifests[0].digest))!.toString());
    assert.deepEqual(manifest, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: (await h.images.configBytes(id)).length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: base.length }],
    });
    // the exact stored bytes, under the digest that names them
    assert.ok(m.get(blobName(diffId))!.equals(base));
    assert.ok(m.get(blobName(id))!.equals(await h.images.configBytes(id)));
    for (const [name, content] of m) if (name.startsWith('blobs/sha256/') && !name.endsWith('/')) assert.equal(sha256Of(content), `sha256:${name.slice(13)}`);
    const order = [...m.keys()];
    assert.deepEqual(order.slice(0, 2), ['blobs/', 'blobs/sha256/']);
    assert.deepEqual(order.slice(-4), ['index.json', 'manifest.json', 'oci-layout', 'repositories']);
  });

  it('puts several images in one archive with shared layers once, a parent link between them, and untagged IDs as Docker does', async () => {
    const h = harness();
    const { a, b } = await twoImages(h);
    const m = await members(h, ['app:2', a]);
    const manifestJson = JSON.parse(m.get('manifest.json')!.toString());
    assert.equal(manifestJson.length, 2);
    assert.deepEqual(manifestJson[0].RepoTags, ['app:2']);
    assert.equal(manifestJson[0].Parent, a);
    assert.equal(manifestJson[1].RepoTags, null, 'an image saved by ID has no tags');
    assert.equal(manifestJson[0].Layers[0], manifestJson[1].Layers[0]);
    const blobs = [...m.keys()].filter((k) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(k));
    // 2 configs, 2 layers, 2 manifests
    assert.equal(blobs.length, 6);
    const index = JSON.parse(m.get('index.json')!.toString());
    assert.equal(index.manifests.length, 2);
    assert.equal(index.manifests[1].annotations, undefined);
    assert.ok(b);
  });

  it('saves every tag of a repository given by name', async () => {
    const h = harness();
    await twoImages(h);
    const manifestJson = JSON.parse((await members(h, ['app'])).get('manifest.json')!.toString());
    assert.deepEqual(manifestJson.map((e: { RepoTags: string[] }) => e.RepoTags).flat().sort(), ['app:1', 'app:2']);
  });

  it('refuses unknown names before writing anything', async () => {
    const h = harness();
    await assert.rejects(h.service.save(['nope:1']), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE') && err.message === 'no such image: nope:1');
    await assert.rejects(h.service.save([]), (err: unknown) => isEngineError(err, 'NO_IMAGES'));
  });

  it('round trip: save then load into an empty store gives the same image IDs, tags, parent and layer bytes', async () => {
    const h = harness();
    const { a, b } = await twoImages(h);
    const archive = await readAll(await h.service.save(['app:1', 'app:2']));
    const other = harness();
    const result = await other.service.load(chunks(archive, 1000));
    assert.deepEqual(result.loaded.sort(), ['app:1', 'app:2']);
    assert.deepEqual(other.images.list().map((r) => r.id).sort(), [a, b].sort());
    assert.equal(other.images.get(b)!.parent, a);
    assert.deepEqual(other.snapshots.tree(other.images.get(b)!.layers.at(-1)!.chainId), h.snapshots.tree(h.images.get(b)!.layers.at(-1)!.chainId));
    // and saving again from there gives the same archive
    assert.ok((await readAll(await other.service.save(['app:1', 'app:2']))).equals(archive));
  });
});
