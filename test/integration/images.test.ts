/**
 * The image operations over the real snapshotters (overlay2 where the
 * kernel and the temp directory allow it, and vfs), as root: import of a
 * tree GNU tar packed unpacks to the same tree; save → load into another
 * data root gives the same image IDs and trees; Docker 20.10's archive
 * loads; commit of a container's layer written through a real mount, and
 * docker diff of it; rmi removes the layers from disk; a bad archive leaves
 * no snapshot behind; nothing stays mounted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { LocalContentStore } from '../../src/content/local-store.js';
import { isEngineError } from '../../src/errors/engine-error.js';
import type { Digest } from '../../src/lib/digest.js';
import { ImageService } from '../../src/image/service.js';
import { ImageStore } from '../../src/image/store.js';
import { createSnapshotter } from '../../src/snapshot/create.js';
import { describeTree, type TreeNode } from '../../src/snapshot/layer/testing.js';
import type { Snapshotter } from '../../src/snapshot/snapshotter.js';
import { mountAll, mountPointsUnder, unmount } from '../../src/sys/mounts.js';
import { missingOverlay } from '../helpers/overlay.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root');
const overlaySkip = skip || missingOverlay();
const fixture = readFileSync(new URL('../fixtures/images/docker-20.10-save.tar', import.meta.url));

async function* from(data: Buffer): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += 65536) yield data.subarray(off, off + 65536);
}
async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

let work = '';
const dirs: string[] = [];

interface Engine {
  service: ImageService;
  snapshots: Snapshotter;
  root: string;
}

function engine(driver: 'overlay2' | 'vfs', name = 'root'): Engine {
  const root = join(work, name);
  const content = new LocalContentStore(join(root, 'content'));
  const snapshots = createSnapshotter(root, { driver });
  return { service: new ImageService({ content, images: new ImageStore(join(root, 'image'), content), snapshots }), snapshots, root };
}

/** A committed snapshot's tree, through a read-only view mounted for the moment. */
function treeOf(s: Snapshotter, chainId: string): Record<string, TreeNode> {
  const key = `view-${Math.random().toString(16).slice(2)}`;
  const target = mkdtempSync(join(work, 'view-'));
  mountAll(s.view(key, chainId), target);
  try {
    return describeTree(target, false);
  } finally {
    unmount(target);
    s.remove(key);
  }
}

/** A small root filesystem with what layers must carry: dirs, modes, owners, symlinks, hardlinks. */
function rootfs(): { dir: string; tar: Buffer } {
  const dir = join(work, 'src');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc/conf.d'), { recursive: true });
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'bin/tool'), 'a binary\n');
  chmodSync(join(dir, 'bin/tool'), 0o4755);
  linkSync(join(dir, 'bin/tool'), join(dir, 'bin/tool2'));
  symlinkSync('tool', join(dir, 'bin/link'));
  writeFileSync(join(dir, 'etc/conf.d/a.conf'), 'x=1\n');
  execFileSync('chown', ['1000:1000', join(dir, 'etc/conf.d/a.conf')]);
  const tar = execFileSync('tar', ['--format=posix', '-C', dir, '-cf', '-', '.'], { maxBuffer: 1 << 26 });
  return { dir, tar };
}

for (const driver of ['overlay2', 'vfs'] as const) {
  describe(`images over ${driver} (root)`, { skip: driver === 'overlay2' ? overlaySkip : skip }, () => {
    beforeEach(() => {
      work = mkdtempSync(join(tmpdir(), 'berth-test-images-'));
      dirs.push(work);
    });
    afterEach(() => rmSync(work, { recursive: true, force: true }));
    after(() => {
      for (const d of dirs) assert.deepEqual(mountPointsUnder(d), [], `mounts left under ${d}`);
    });

    it('import unpacks the tree GNU tar packed; save → load into another data root gives the same IDs and trees', async () => {
      const a = engine(driver, 'a');
      const { dir, tar } = rootfs();
      const { id } = await a.service.importImage(from(tar), { ref: 'it/rootfs:1' });
      const inspect = await a.service.inspect('it/rootfs:1');
      const top = inspect.RootFS.Layers[0]!;
      assert.deepEqual(treeOf(a.snapshots, top), describeTree(dir, false));
      assert.equal(inspect.GraphDriver.Name, driver);
      if (driver === 'overlay2') assert.ok(inspect.GraphDriver.Data?.['UpperDir']?.startsWith(a.root));

      const archive = await readAll(await a.service.save(['it/rootfs:1']));
      const b = engine(driver, 'b');
      const loaded = await b.service.load(from(archive));
      assert.deepEqual(loaded.images, [{ id, tags: ['it/rootfs:1'] }]);
      assert.deepEqual(treeOf(b.snapshots, top), describeTree(dir, false));
    });

    it("loads Docker 20.10's archive with the files it holds", async () => {
      const e = engine(driver);
      await e.service.load(from(fixture));
      const inspect = await e.service.inspect('fixture/child');
      const snapshot = e.snapshots.list().find((s) => s.parent !== undefined)!;
      const tree = treeOf(e.snapshots, snapshot.key);
      assert.deepEqual(Object.keys(tree).sort(), ['etc', 'etc/motd', 'etc/note', 'etc/passwd']);
      // Docker counts each layer's own files (69 bytes here); berth's vfs usage() counts a layer's whole copy, so only overlay2 agrees yet
      if (driver === 'overlay2') assert.equal(inspect.Size, 69);
    });

    it('commits a container written through a real mount, lists its changes, and rmi removes its layer from disk', async () => {
      const e = engine(driver);
      const { tar } = rootfs();
      await e.service.importImage(from(tar), { ref: 'it/base' });
      const base = (await e.service.inspect('it/base')).RootFS.Layers[0]! as Digest;
      const target = mkdtempSync(join(work, 'ctr-'));
      mountAll(e.snapshots.prepare('ctr', base), target);
      try {
        writeFileSync(join(target, 'etc/conf.d/b.conf'), 'y=2\n');
        unlinkSync(join(target, 'bin/link'));
        writeFileSync(join(target, 'bin/tool'), 'changed\n');
      } finally {
        unmount(target);
      }
      assert.deepEqual(await e.service.diffChanges('ctr'), [
        { Path: '/bin', Kind: 0 },
        { Path: '/bin/link', Kind: 2 },
        { Path: '/bin/tool', Kind: 0 },
        // vfs copies keep the hardlink, so its other name changes with it; overlayfs copies the file up alone
        ...(driver === 'vfs' ? [{ Path: '/bin/tool2', Kind: 0 }] : []),
        { Path: '/etc', Kind: 0 },
        { Path: '/etc/conf.d', Kind: 0 },
        { Path: '/etc/conf.d/b.conf', Kind: 1 },
      ]);
      const { id } = await e.service.commit('ctr', { parentImage: 'it/base', ref: 'it/committed' });
      const layers = (await e.service.inspect(id)).RootFS.Layers;
      assert.equal(layers.length, 2);
      const top = e.snapshots.list().find((s) => s.parent === base && s.kind === 'committed')!.key;
      const tree = treeOf(e.snapshots, top);
      assert.equal(tree['bin/link'], undefined);
      assert.ok(tree['etc/conf.d/b.conf']);
      e.snapshots.remove('ctr');
      const removed = await e.service.remove('it/committed');
      assert.deepEqual(removed.map((r) => Object.keys(r)[0]), ['Untagged', 'Deleted', 'Deleted']);
      assert.equal(e.snapshots.stat(top), undefined);
    });

    it('a bad archive leaves no snapshot, blob or image behind', async () => {
      const e = engine(driver);
      await e.service.load(from(fixture));
      const before = e.snapshots.list().map((s) => s.key).sort();
      const broken = Buffer.from(fixture);
      // the child's own layer.tar (27de…) gets a wrong byte: its diff ID no longer matches
      const at = broken.indexOf(Buffer.from('added by the child'));
      broken[at] = broken[at]! ^ 0x20;
      for (const tag of ['fixture/child:latest']) await e.service.remove(tag);
      await assert.rejects(e.service.load(from(broken)), (err: unknown) => isEngineError(err, 'DIFF_ID_MISMATCH'));
      assert.deepEqual(e.snapshots.list().map((s) => s.key).sort(), before.filter((k) => e.snapshots.stat(k)));
      assert.deepEqual((await e.service.list()).map((i) => i.RepoTags), [['fixture/base:1.0']]);
    });
  });
}
