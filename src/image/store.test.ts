import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalContentStore } from '../content/local-store.js';
import { isEngineError } from '../errors/engine-error.js';
import { hexOf, sha256Of, type Digest } from '../lib/digest.js';
import { MediaType } from '../spec/oci-image.js';
import { chainIds } from './config.js';
import { parseReference } from './reference.js';
import { ImageStore, type BlobRef } from './store.js';

const base = mkdtempSync(join(tmpdir(), 'berth-image-store-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

function fresh(): { store: ImageStore; content: LocalContentStore; root: string } {
  const root = join(base, `s${n++}`);
  const content = new LocalContentStore(join(root, 'content'));
  return { store: new ImageStore(join(root, 'image'), content), content, root };
}

const ref = parseReference;
const diffId = (s: string): Digest => sha256Of(`layer ${s}`);
function configBytes(layers: string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(diffId) }, ...extra }));
}

describe('ImageStore: images', () => {
  it('registers an image under the digest of its exact config bytes, stored in the content store', async () => {
    const { store, content } = fresh();
    // odd spacing on purpose: the bytes are kept as they are, so the id does not move
    const bytes = Buffer.from(configBytes(['a', 'b']).toString().replace('"os":', '"os" :  '));
    const record = await store.add({ config: bytes });
    assert.equal(record.id, sha256Of(bytes));
    assert.ok((await content.read(record.id)).equals(bytes));
    assert.ok((await store.configBytes(record.id)).equals(bytes));
    assert.equal((await store.config(record.id)).os, 'linux');
    assert.deepEqual(record.layers.map((l) => l.diffId), [diffId('a'), diffId('b')]);
    assert.deepEqual(record.layers.map((l) => l.chainId), chainIds([diffId('a'), diffId('b')]));
    assert.equal(record.configSize, bytes.length);
    assert.deepEqual(store.list().map((r) => r.id), [record.id]);
  });

  it('registers nothing when a blob is missing, a config is invalid, or layers disagree', async () => {
    const { store, content } = fresh();
    const missing: BlobRef = { digest: sha256Of('not stored'), size: 10, mediaType: MediaType.DockerManifest };
    await assert.rejects(store.add({ config: configBytes(['a']), manifests: [missing] }), (err: unknown) => isEngineError(err, 'MISSING_BLOB') && err.message.includes(missing.digest));
    await assert.rejects(store.add({ config: Buffer.from('{"os":"linux"}') }), (err: unknown) => isEngineError(err, 'INVALID_IMAGE_CONFIG') && /architecture: must be a string/.test(err.message));
    const blob = await content.ingest(Buffer.from('a layer'));
    await assert.rejects(store.add({ config: configBytes(['a', 'b']), layerBlobs: [{ ...blob, mediaType: MediaType.DockerLayerGzip }] }), (err: unknown) => isEngineError(err, 'LAYER_COUNT_MISMATCH'));
    await assert.rejects(store.add({ config: configBytes(['c']), parent: sha256Of('no such parent') }), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE'));
    assert.deepEqual(store.list(), []);
    // only the blob this test put there: no config was stored for a refused image
    assert.deepEqual((await content.list()).map((b) => b.digest), [blob.digest]);
  });

  it('merges what a second add brings (another manifest, a layer blob), keeping the first', async () => {
    const { store, content } = fresh();
    const m1 = { ...(await content.ingest(Buffer.from('{"m":1}'))), mediaType: MediaType.DockerManifest };
    const m2 = { ...(await content.ingest(Buffer.from('{"m":2}'))), mediaType: MediaType.OciManifest };
    const layer = { ...(await content.ingest(Buffer.from('gz'))), mediaType: MediaType.DockerLayerGzip };
    const first = await store.add({ config: configBytes(['a']), manifests: [m1] });
    const second = await store.add({ config: configBytes(['a']), manifests: [m1, m2], layerBlobs: [layer] });
    assert.equal(second.id, first.id);
    assert.equal(second.added, first.added);
    assert.deepEqual(second.manifests, [m1, m2]);
    assert.deepEqual(second.layers[0]!.blob, layer);
    const third = await store.add({ config: configBytes(['a']) });
    assert.deepEqual(third.layers[0]!.blob, layer, 'a blob once known is kept');
  });

  it('survives a reopen', async () => {
    const { store, content, root } = fresh();
    const { id } = await store.add({ config: configBytes(['a']) });
    store.tag(ref('app:1'), id);
    const again = new ImageStore(join(root, 'image'), content);
    assert.equal(again.resolve('app:1').id, id);
    assert.deepEqual(again.list().map((r) => r.id), [id]);
    assert.ok((await again.configBytes(id)).equals(configBytes(['a'])));
  });

  it('deletes metadata only, references first, and reports what it untagged', async () => {
    const { store, content } = fresh();
    const { id } = await store.add({ config: configBytes(['a']) });
    store.tag(ref('one'), id);
    store.tag(ref('two:x'), id);
    const removed = store.delete(id);
    assert.deepEqual(removed.map((r) => r.path).sort(), ['library/one', 'library/two']);
    assert.equal(store.get(id), undefined);
    assert.deepEqual(store.references(), []);
    assert.throws(() => store.resolve('one'), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE'));
    assert.equal(await content.has(id), true, 'the config blob stays until garbage collection');
    assert.equal(store.gcRoots().content.has(id), false);
    assert.throws(() => store.delete(id), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE'));
  });

  it('knows parents and children', async () => {
    const { store } = fresh();
    const parent = await store.add({ config: configBytes(['a']) });
    const child = await store.add({ config: configBytes(['a', 'b']), parent: parent.id });
    assert.equal(child.parent, parent.id);
    assert.deepEqual(store.children(parent.id).map((r) => r.id), [child.id]);
    assert.deepEqual(store.children(child.id), []);
  });

  it('names every blob and snapshot an image holds, for garbage collection', async () => {
    const { store, content } = fresh();
    const manifest = { ...(await content.ingest(Buffer.from('{"manifest":true}'))), mediaType: MediaType.OciManifest };
    const layerA = { ...(await content.ingest(Buffer.from('layer a gz'))), mediaType: MediaType.OciLayerGzip };
    const a = await store.add({ config: configBytes(['a', 'b']), manifests: [manifest], layerBlobs: [layerA, undefined] });
    const b = await store.add({ config: configBytes(['a', 'c']) });
    const roots = store.gcRoots();
    assert.deepEqual([...roots.content].sort(), [a.id, b.id, manifest.digest, layerA.digest].sort());
    assert.deepEqual([...roots.snapshots].sort(), [...new Set([...chainIds([diffId('a'), diffId('b')]), ...chainIds([diffId('a'), diffId('c')])])].sort());
    // what GC of the content store would keep
    const stray = await content.ingest(Buffer.from('stray'));
    await content.sweep(roots.content);
    assert.equal(await content.has(stray.digest), false);
    assert.equal(await content.has(a.id), true);
    assert.equal(await content.has(layerA.digest), true);
  });
});

describe('ImageStore: references and resolve', () => {
  async function twoImages() {
    const s = fresh();
    const a = await s.store.add({ config: configBytes(['a']) });
    const b = await s.store.add({ config: configBytes(['b']) });
    return { ...s, a: a.id, b: b.id };
  }

  it('tags (a bare name is :latest) and finds by every form docker accepts', async () => {
    const { store, a } = await twoImages();
    store.tag(ref('busybox'), a);
    const manifest = sha256Of('manifest');
    store.addRepoDigest(ref(`busybox:ignored@${manifest}`), a);
    for (const text of [a, hexOf(a), hexOf(a).slice(0, 12), 'busybox', 'busybox:latest', 'docker.io/library/busybox:latest', 'index.docker.io/busybox', `busybox@${manifest}`, `busybox:whatever@${manifest}`]) {
      assert.equal(store.resolve(text).id, a, text);
    }
    assert.deepEqual(store.names(a), { repoTags: ['busybox:latest'], repoDigests: [`busybox@${manifest}`] });
  });

  it('resolves a unique id prefix of any length, with or without sha256:', async () => {
    const { store, a, b } = await twoImages();
    const ha = hexOf(a);
    const hb = hexOf(b);
    let i = 0;
    while (ha[i] === hb[i]) i++;
    assert.equal(store.resolve(ha.slice(0, i + 1)).id, a);
    assert.equal(store.resolve(`sha256:${hb.slice(0, i + 1)}`).id, b);
    if (i > 0) {
      assert.throws(() => store.resolve(ha.slice(0, i)), (err: unknown) => isEngineError(err, 'AMBIGUOUS_IMAGE_ID') && err.kind === 'NotFound');
    }
  });

  it('prefers a name over an id prefix that spells it', async () => {
    const { store, a, b } = await twoImages();
    const prefix = hexOf(a).slice(0, 4);
    // "docker.io/library/<prefix>:latest" now names b, while the prefix itself starts a's id
    store.tag(ref(prefix), b);
    assert.equal(store.resolve(prefix).id, b);
    assert.equal(store.resolve(hexOf(a).slice(0, 5)).id, a);
  });

  it('says which image is missing, the way docker does', async () => {
    const { store } = await twoImages();
    assert.throws(() => store.resolve('nosuch'), (err: unknown) => {
      assert.ok(isEngineError(err, 'NO_SUCH_IMAGE'));
      assert.equal(err.kind, 'NotFound');
      assert.equal(err.message, 'no such image: nosuch:latest');
      assert.equal(err.hint, 'pull it with: berth pull nosuch:latest');
      return true;
    });
    assert.throws(() => store.resolve(sha256Of('x')), /no such image: sha256:/);
    assert.throws(() => store.resolve('Bad'), (err: unknown) => isEngineError(err, 'INVALID_REFERENCE'));
  });

  it('moves a tag to another image, unless told not to', async () => {
    const { store, a, b } = await twoImages();
    store.tag(ref('app:1'), a);
    store.tag(ref('app:1'), b);
    assert.equal(store.resolve('app:1').id, b);
    assert.throws(() => store.tag(ref('app:1'), a, { force: false }), (err: unknown) => isEngineError(err, 'TAG_IN_USE') && err.kind === 'Conflict');
    store.tag(ref('app:1'), b, { force: false }); // the same image again is fine
    assert.ok(store.get(b)!.lastTagTime);
  });

  it('refuses tags docker refuses', async () => {
    const { store, a } = await twoImages();
    assert.throws(() => store.tag(ref(`app@${sha256Of('m')}`), a), /refusing to create a tag with a digest reference/);
    assert.throws(() => store.tag(ref('sha256:abc'), a), /refusing to create an ambiguous tag using digest algorithm as name/);
    assert.throws(() => store.tag(ref('app'), sha256Of('no image')), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE'));
    const m = sha256Of('m');
    store.addRepoDigest(ref(`app@${m}`), a);
    const b = (await store.add({ config: configBytes(['z']) })).id;
    assert.throws(() => store.addRepoDigest(ref(`app@${m}`), b), (err: unknown) => isEngineError(err, 'DIGEST_IN_USE'));
  });

  it('untags, returning the image the reference named', async () => {
    const { store, a } = await twoImages();
    store.tag(ref('app'), a);
    store.tag(ref('app:2'), a);
    assert.equal(store.untag(ref('app')), a);
    assert.deepEqual(store.names(a).repoTags, ['app:2']);
    assert.throws(() => store.untag(ref('app')), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE') && err.message === 'no such image: app:latest');
  });

  it('keeps references from two stores on one directory (two berth processes)', async () => {
    const { store, content, root, a, b } = await twoImages();
    const other = new ImageStore(join(root, 'image'), content);
    store.tag(ref('first'), a);
    other.tag(ref('second'), b);
    store.tag(ref('third'), b);
    assert.deepEqual(store.references().map((e) => e.ref.path), ['library/first', 'library/second', 'library/third']);
    assert.deepEqual(other.references(b).map((e) => e.ref.path), ['library/second', 'library/third']);
  });

  it('ignores references to an image whose record is gone', async () => {
    const { store, a, root } = await twoImages();
    store.tag(ref('dangling'), a);
    rmSync(join(root, 'image', 'images', `${hexOf(a)}.json`));
    assert.equal(store.lookup(ref('dangling')), undefined);
    assert.deepEqual(store.references(), []);
    assert.ok(readdirSync(join(root, 'image', 'refs')).length > 0);
  });
});
