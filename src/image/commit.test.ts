import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { sha256Of, type Digest } from '../lib/digest.js';
import { MediaType } from '../spec/oci-image.js';
import { chainIds, EMPTY_LAYER_DIFF_ID } from './config.js';
import { ChangeKind } from './diff-changes.js';
import { chunks, cleanupHarnesses, harness, layer, picture, type Harness } from './testing.js';

after(cleanupHarnesses);

const baseLayer = layer({ 'bin/': '', 'bin/sh': 'shell', 'etc/': '', 'etc/passwd': 'root', 'etc/old': 'o', 'var/': '', 'var/lib/': '', 'var/lib/x': 'x' });
const BASE = sha256Of(baseLayer);

async function withBase(h: Harness): Promise<Digest> {
  const { id } = await h.service.importImage(chunks(baseLayer), { ref: 'base:1', changes: ['CMD ["/bin/sh"]', 'ENV A=1'] });
  return id;
}

/** A container's changes: a new file, a changed one, a deleted one, a replaced (opaque) directory. */
const changes = layer({ 'etc/': '', 'etc/passwd': 'root\nuser', 'tmp/': '', 'tmp/new': 'n', 'var/': '', 'var/lib/': '' }, [
  { name: 'etc/.wh.old', content: '' },
  { name: 'var/lib/.wh..wh..opq', content: '' },
]);

describe('commit', () => {
  it("makes an image of the container's layer over its parent, with Docker's config and history", async () => {
    const h = harness();
    const base = await withBase(h);
    h.snapshots.prepare('ctr-init', BASE);
    h.snapshots.commit('ctr-init', 'ctr-init');
    h.snapshots.prepare('ctr', 'ctr-init');
    h.snapshots.write('ctr', changes);
    h.tick(60);
    const containerConfig = { Cmd: ['/bin/sh', '-c', 'echo hi'], Env: ['A=1'], Hostname: 'abc' };
    const { id, tags } = await h.service.commit('ctr', {
      parentImage: 'base:1',
      ref: 'mine',
      message: 'a message',
      author: 'me <me@example.com>',
      changes: ['ENV B=2'],
      containerConfig,
      containerId: 'c'.repeat(64),
    });
    assert.deepEqual(tags, ['mine:latest']);
    const record = h.images.get(id)!;
    assert.equal(record.parent, base);
    const diffId = sha256Of(changes);
    assert.deepEqual(record.layers.map((l) => l.diffId), [BASE, diffId]);
    assert.deepEqual(record.layers[1]!.blob, { digest: diffId, size: changes.length, mediaType: MediaType.OciLayer });
    // the image's layer is its own snapshot, unpacked from the blob: the container keeps its layer
    const top = chainIds([BASE, diffId])[1]!;
    assert.equal(h.snapshots.stat(top)?.parent, BASE);
    assert.equal(h.snapshots.stat('ctr')?.kind, 'active');
    assert.deepEqual(h.snapshots.tree(top), { bin: '', 'bin/sh': 'shell', etc: '', 'etc/passwd': 'root\nuser', tmp: '', 'tmp/new': 'n', var: '', 'var/lib': '' });

    const config = await h.images.config(id);
    assert.deepEqual(config.config, { Cmd: ['/bin/sh', '-c', 'echo hi'], Env: ['A=1', 'B=2'], Hostname: 'abc' });
    assert.deepEqual(config.container_config, containerConfig);
    assert.equal(config.container, 'c'.repeat(64));
    assert.equal(config.author, 'me <me@example.com>');
    assert.equal(config.comment, undefined, 'Docker keeps a commit message in the history only');
    assert.deepEqual(config.history?.at(-1), { created: '2024-01-02T03:05:05.000Z', author: 'me <me@example.com>', created_by: '/bin/sh -c echo hi', comment: 'a message' });

    const inspect = await h.service.inspect('mine');
    assert.equal(inspect.Parent, base);
    assert.equal(inspect.Author, 'me <me@example.com>');
    assert.equal(inspect.ContainerConfig.Hostname, 'abc');
    const history = await h.service.history('mine');
    assert.deepEqual(history.map((e) => [e.Id, e.CreatedBy, e.Size, e.Tags]), [
      [id, '/bin/sh -c echo hi', 'root\nuser'.length + 'n'.length, ['mine:latest']],
      [base, '', 'shell'.length + 'root'.length + 'o'.length + 'x'.length, ['base:1']],
    ]);
  });

  it('an unchanged container gives a metadata-only image: empty_layer in history, no new layer', async () => {
    const h = harness();
    await withBase(h);
    h.snapshots.prepare('ctr', BASE);
    const { id } = await h.service.commit('ctr', { parentImage: 'base:1', changes: ['LABEL a=b'] });
    const config = await h.images.config(id);
    assert.deepEqual(config.rootfs.diff_ids, [BASE]);
    assert.equal(config.history?.at(-1)?.empty_layer, true);
    assert.deepEqual(config.config?.Labels, { a: 'b' });
    assert.equal(await h.content.has(EMPTY_LAYER_DIFF_ID), false, 'the empty tar is not kept');
    const history = await h.service.history(id);
    assert.deepEqual(history.map((e) => e.Size), [0, 'shell'.length + 'root'.length + 'o'.length + 'x'.length]);
  });

  it('commits a container from scratch (no parent image)', async () => {
    const h = harness();
    h.snapshots.prepare('scratch', undefined);
    h.snapshots.write('scratch', layer({ hello: 'world' }));
    const { id } = await h.service.commit('scratch', {});
    assert.equal(h.images.get(id)!.parent, undefined);
    assert.equal((await h.images.config(id)).architecture, 'amd64');
  });

  it('refuses what is not an active snapshot, and leaves nothing when the layer fails', async () => {
    const h = harness();
    await withBase(h);
    await assert.rejects(h.service.commit('nope'), (err: unknown) => isEngineError(err, 'NO_SUCH_SNAPSHOT'));
    await assert.rejects(h.service.commit(BASE), (err: unknown) => isEngineError(err, 'NO_SUCH_SNAPSHOT') && /committed snapshot/.test(err.message));
    h.snapshots.prepare('ctr', BASE);
    await assert.rejects(h.service.commit('ctr', { changes: ['RUN x'] }), (err: unknown) => isEngineError(err, 'INVALID_CHANGE'));
    h.snapshots.write('ctr', changes);
    h.snapshots.failApply.add(chainIds([BASE, sha256Of(changes)])[1]!);
    const before = await picture(h);
    await assert.rejects(h.service.commit('ctr', { parentImage: 'base:1' }));
    assert.deepEqual(await picture(h), before);
  });

  it('pauses the container around reading its layer when asked, and leaves volumes\' contents out', async () => {
    const h = harness();
    await withBase(h);
    h.snapshots.prepare('ctr', BASE);
    const calls: string[] = [];
    const diff = h.snapshots.diff.bind(h.snapshots);
    h.snapshots.diff = (key, options) => (calls.push(`diff ${JSON.stringify(options)}`), diff(key, options));
    await h.service.commit('ctr', { parentImage: 'base:1', excludeContentsOf: ['/data'], pause: async () => (calls.push('pause'), async () => void calls.push('resume')) });
    assert.deepEqual(calls, ['pause', 'diff {"excludeContentsOf":["/data"]}', 'resume']);
  });
});

describe('diff', () => {
  it("lists the container's changes as docker diff does: A, C, D, sorted by path", async () => {
    const h = harness();
    await withBase(h);
    h.snapshots.prepare('ctr-init', BASE);
    h.snapshots.commit('ctr-init', 'ctr-init');
    h.snapshots.prepare('ctr', 'ctr-init');
    h.snapshots.write('ctr', changes);
    assert.deepEqual(await h.service.diffChanges('ctr'), [
      { Path: '/etc', Kind: ChangeKind.Modified },
      { Path: '/etc/old', Kind: ChangeKind.Deleted },
      { Path: '/etc/passwd', Kind: ChangeKind.Modified },
      { Path: '/tmp', Kind: ChangeKind.Added },
      { Path: '/tmp/new', Kind: ChangeKind.Added },
      { Path: '/var', Kind: ChangeKind.Modified },
      { Path: '/var/lib', Kind: ChangeKind.Modified },
    ]);
    await assert.rejects(h.service.diffChanges(BASE), (err: unknown) => isEngineError(err, 'NO_SUCH_SNAPSHOT'));
  });
});
