import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { shortId, sha256Of, type Digest } from '../lib/digest.js';
import { chainIds } from './config.js';
import { chunks, cleanupHarnesses, harness, layer, picture, type Harness } from './testing.js';

after(cleanupHarnesses);

const baseLayer = layer({ 'bin/': '', 'bin/sh': 'shell' });
const childLayer = layer({ 'etc/': '', 'etc/conf': 'x' });
const [BASE_CHAIN, CHILD_CHAIN] = chainIds([sha256Of(baseLayer), sha256Of(childLayer)]) as [Digest, Digest];

/** base (tagged base:1) and child (tagged child:1, committed from a container on base). */
async function family(h: Harness): Promise<{ base: Digest; child: Digest }> {
  const { id: base } = await h.service.importImage(chunks(baseLayer), { ref: 'base:1' });
  h.snapshots.prepare('c1', BASE_CHAIN);
  h.snapshots.write('c1', childLayer);
  const { id: child } = await h.service.commit('c1', { parentImage: 'base:1', ref: 'child:1' });
  h.snapshots.remove('c1');
  return { base, child };
}

const conflict = (pattern: RegExp) => (err: unknown): boolean => isEngineError(err, 'IMAGE_CONFLICT') && err.kind === 'Conflict' && pattern.test(err.message);

describe('tag', () => {
  it('tags by reference or ID, moves a tag, and refuses digests', async () => {
    const h = harness();
    const { base, child } = await family(h);
    h.service.tag('base:1', 'localhost:5000/mine');
    h.service.tag(shortId(child), 'base:1');
    assert.deepEqual(h.images.names(child).repoTags, ['base:1', 'child:1']);
    assert.deepEqual(h.images.names(base).repoTags, ['localhost:5000/mine:latest']);
    assert.throws(() => h.service.tag('base:1', `x@${sha256Of('x')}`), (err: unknown) => isEngineError(err, 'INVALID_TAG'));
    assert.throws(() => h.service.tag('nope', 'x'), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE'));
  });
});

describe('rmi', () => {
  it('only untags while other tags remain', async () => {
    const h = harness();
    const { base } = await family(h);
    h.service.tag('base:1', 'base:2');
    assert.deepEqual(await h.service.remove('base:2'), [{ Untagged: 'base:2' }]);
    assert.ok(h.images.get(base));
  });

  it('deletes an untagged leaf with the layers only it had, then its dangling parents unless noPrune', async () => {
    const h = harness();
    const { base, child } = await family(h);
    h.images.untag({ domain: 'docker.io', path: 'library/base', tag: '1' });
    assert.deepEqual(await h.service.remove('child:1', { noPrune: true }), [{ Untagged: 'child:1' }, { Deleted: child }, { Deleted: CHILD_CHAIN }]);
    assert.ok(h.images.get(base), 'noPrune keeps the parent');
    assert.deepEqual(h.snapshots.keys(), [BASE_CHAIN]);

    const g = harness();
    const fam = await family(g);
    g.images.untag({ domain: 'docker.io', path: 'library/base', tag: '1' });
    assert.deepEqual(await g.service.remove('child:1'), [
      { Untagged: 'child:1' },
      { Deleted: fam.child },
      { Deleted: CHILD_CHAIN },
      { Deleted: fam.base },
      { Deleted: BASE_CHAIN },
    ]);
    assert.deepEqual(await picture(g), { blobs: [], images: [], refs: [], snapshots: [], ingests: [] }, 'every blob and snapshot went');
  });

  it('keeps a tagged parent and the layers it shares', async () => {
    const h = harness();
    const { child } = await family(h);
    assert.deepEqual(await h.service.remove('child:1'), [{ Untagged: 'child:1' }, { Deleted: child }, { Deleted: CHILD_CHAIN }]);
    assert.deepEqual(h.snapshots.keys(), [BASE_CHAIN]);
    assert.ok(await h.content.has(sha256Of(baseLayer)));
  });

  it('refuses an image with children, and by ID one with several names unless forced', async () => {
    const h = harness();
    const { base } = await family(h);
    await assert.rejects(h.service.remove(base), conflict(/^conflict: unable to delete [0-9a-f]{12} \(cannot be forced\) - image has dependent child images$/));
    // untagging by name is allowed; the image stays for its child
    assert.deepEqual(await h.service.remove('base:1'), [{ Untagged: 'base:1' }]);
    assert.ok(h.images.get(base));

    const g = harness();
    const { child } = await family(g);
    g.service.tag('child:1', 'child:2');
    await assert.rejects(g.service.remove(shortId(child)), conflict(/\(must be forced\) - image is referenced in multiple repositories$/));
    assert.deepEqual(await g.service.remove(shortId(child), { force: true }), [{ Untagged: 'child:1' }, { Untagged: 'child:2' }, { Deleted: child }, { Deleted: CHILD_CHAIN }]);
  });

  it('refuses an image a container uses: stopped unless forced, running never', async () => {
    const h = harness();
    const { child } = await family(h);
    h.users.set(child, [{ id: 'f'.repeat(64), running: false }]);
    await assert.rejects(h.service.remove('child:1'), conflict(/^conflict: unable to remove repository reference "child:1" \(must force\) - container ffffffffffff is using its referenced image [0-9a-f]{12}$/));
    await assert.rejects(h.service.remove(child), conflict(/image is being used by stopped container ffffffffffff/));
    h.users.set(child, [{ id: 'e'.repeat(64), running: true }]);
    await assert.rejects(h.service.remove(child, { force: true }), conflict(/\(cannot be forced\) - image is being used by running container eeeeeeeeeeee/));
    // forced by name while running: the tag goes, the image stays for its container (dockerd's quiet skip)
    assert.deepEqual(await h.service.remove('child:1', { force: true }), [{ Untagged: 'child:1' }]);
    assert.ok(h.images.get(child));
    // a stopped container's image goes when forced, as with dockerd (the container keeps its layers)
    h.users.set(child, [{ id: 'f'.repeat(64), running: false }]);
    assert.deepEqual(await h.service.remove(child, { force: true }), [{ Deleted: child }, { Deleted: CHILD_CHAIN }]);
  });

  it('keeps a layer a container is over', async () => {
    const h = harness();
    const { child } = await family(h);
    h.snapshots.prepare('ctr', CHILD_CHAIN);
    const out = await h.service.remove('child:1');
    assert.deepEqual(out, [{ Untagged: 'child:1' }, { Deleted: child }]);
    assert.ok(h.snapshots.stat(CHILD_CHAIN));
  });

  it('untags a repository\'s digest references with its last tag', async () => {
    const h = harness();
    const { child } = await family(h);
    const d = sha256Of('manifest');
    h.images.addRepoDigest({ domain: 'docker.io', path: 'library/child', digest: d }, child);
    assert.deepEqual((await h.service.remove('child:1')).slice(0, 3), [{ Untagged: 'child:1' }, { Untagged: `child@${d}` }, { Deleted: child }]);
  });

  it('says which image does not exist', async () => {
    const h = harness();
    await assert.rejects(h.service.remove('nope:1'), (err: unknown) => isEngineError(err, 'NO_SUCH_IMAGE') && err.message === 'no such image: nope:1');
  });
});

describe('image prune', () => {
  it('removes dangling images only, or with all every image no container uses, and counts the space', async () => {
    const h = harness();
    const { base, child } = await family(h);
    const { id: loose } = await h.service.importImage(chunks(layer({ lone: 'file!' })));
    const report = await h.service.prune();
    assert.deepEqual(report.ImagesDeleted, [{ Deleted: loose }, { Deleted: sha256Of(layer({ lone: 'file!' })) }]);
    assert.equal(report.SpaceReclaimed, 5);
    assert.deepEqual((await h.service.prune()).ImagesDeleted, []);

    h.users.set(base, [{ id: 'a'.repeat(64), running: true }]);
    const all = await h.service.prune({ all: true });
    assert.deepEqual(all.ImagesDeleted, [{ Untagged: 'child:1' }, { Deleted: child }, { Deleted: CHILD_CHAIN }]);
    assert.equal(all.SpaceReclaimed, 1);
    assert.ok(h.images.get(base), 'in use: kept');
  });

  it('filters by label and until, and refuses unknown filters', async () => {
    const h = harness();
    await h.service.importImage(chunks(layer({ a: '1' })), { changes: ['LABEL keep=yes'] });
    h.tick(3600);
    const { id: young } = await h.service.importImage(chunks(layer({ b: '2' })));
    assert.deepEqual((await h.service.prune({ filters: { 'label!': ['keep'], until: ['30m'] } })).ImagesDeleted, []);
    const r = await h.service.prune({ filters: { 'label!': ['keep'] } });
    assert.deepEqual(r.ImagesDeleted.filter((d) => 'Deleted' in d && d.Deleted === young).length, 1);
    await assert.rejects(h.service.prune({ filters: { color: ['red'] } }), (err: unknown) => isEngineError(err, 'INVALID_FILTER') && err.message === "invalid filter 'color'");
    await assert.rejects(h.service.prune({ filters: { until: ['soon'] } }), (err: unknown) => isEngineError(err, 'INVALID_FILTER'));
  });
});
