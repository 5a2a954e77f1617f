/**
 * The snapshotters as root, beyond the interface the conformance suite
 * checks: overlay2's on-disk layout as Docker lays it out, deep chains that
 * only mount through the relative-path form, what a crash leaves being
 * swept on the next open, the driver choice (overlay2 where a test mount
 * works, vfs with a warning where the data root is itself on overlayfs, the
 * driver already in use kept), and src/sys performing mounts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { EngineError } from '../../src/errors/engine-error.js';
import { createSnapshotter } from '../../src/snapshot/create.js';
import { buildTar, type FixtureEntry } from '../../src/snapshot/layer/testing.js';
import { Overlay2Snapshotter } from '../../src/snapshot/overlay2.js';
import { VfsSnapshotter } from '../../src/snapshot/vfs.js';
import type { SnapshotRecord } from '../../src/snapshot/records.js';
import { mountAll, mountPointsUnder, MOUNT_DATA_MAX, planMount, unmount } from '../../src/sys/mounts.js';
import { missingOverlay } from '../helpers/overlay.js';
import { missing } from '../helpers/requirements.js';

const from = (data: Buffer): AsyncIterable<Uint8Array> => (async function* () { yield data; })();
const layer = (...entries: FixtureEntry[]): AsyncIterable<Uint8Array> => from(buildTar(entries));
const record = (root: string, key: string): SnapshotRecord => JSON.parse(readFileSync(join(root, 'metadata', `${key}.json`), 'utf8')) as SnapshotRecord;
/** A pid no process has: one that has just exited. */
const deadPid = (): number => spawnSync('true').pid!;

const skip = missing('root');
const overlaySkip = missingOverlay();

let work = '';
const mounted: string[] = [];
const dirs: string[] = [];
function mountAt(mounts: Parameters<typeof mountAll>[0]): string {
  const target = mkdtempSync(join(work, 'mnt-'));
  mountAll(mounts, target);
  mounted.push(target);
  return target;
}

describe('snapshotters on the host (root)', { skip }, () => {
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-test-snapshotter-'));
    dirs.push(work);
  });
  afterEach(() => {
    for (const m of mounted.splice(0).reverse()) unmount(m);
    rmSync(work, { recursive: true, force: true });
  });
  after(() => {
    for (const d of dirs) assert.deepEqual(mountPointsUnder(d), [], `mounts left under ${d}`);
  });

  describe('overlay2', { skip: overlaySkip }, () => {
    it('lays layers out as Docker does: diff/, link, lower (nearest first), l/<short> → ../<id>/diff, work/ only while active', async () => {
      const root = join(work, 'overlay2');
      const s = new Overlay2Snapshotter(root);
      await s.applyLayer('sha256:a', undefined, layer({ name: 'a', content: 'a' }));
      await s.applyLayer('sha256:b', 'sha256:a', layer({ name: 'b', content: 'b' }));
      s.prepare('rw', 'sha256:b');
      const [a, b, rw] = ['sha256:a', 'sha256:b', 'rw'].map((k) => record(root, k).id!) as [string, string, string];
      const link = (id: string): string => readFileSync(join(root, id, 'link'), 'utf8');
      for (const id of [a, b, rw]) {
        assert.match(link(id), /^[A-Z2-7]{26}$/);
        assert.equal(readlinkSync(join(root, 'l', link(id))), `../${id}/diff`);
      }
      assert.deepEqual(readdirSync(join(root, a)).sort(), ['diff', 'link']);
      assert.deepEqual(readdirSync(join(root, a, 'diff')), ['a']);
      assert.equal(readFileSync(join(root, b, 'lower'), 'utf8'), `l/${link(a)}`);
      assert.equal(readFileSync(join(root, rw, 'lower'), 'utf8'), `l/${link(b)}:l/${link(a)}`);
      assert.deepEqual(readdirSync(join(root, rw)).sort(), ['diff', 'link', 'lower', 'work']);
      s.commit('sha256:c', 'rw');
      assert.deepEqual(readdirSync(join(root, rw)).sort(), ['diff', 'link', 'lower']);
      s.remove('sha256:c');
      assert.equal(existsSync(join(root, rw)), false);
      assert.equal(readdirSync(join(root, 'l')).length, 2, 'its short link went with it');
      await s.removalsSettled();
      assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    });

    it('mounts 128 layers, whose options only fit mount(2)\'s page relative to the root; refuses a 129th', async () => {
      const s = new Overlay2Snapshotter(join(work, 'overlay2'));
      let parent: string | undefined;
      for (let i = 0; i < 128; i++) {
        const key = `sha256:${i.toString(16).padStart(64, '0')}`;
        await s.applyLayer(key, parent, layer({ name: `f${i}`, content: `${i}` }));
        parent = key;
      }
      const mounts = s.view('deep', parent!);
      assert.ok(planMount(mounts[0]!).data.length > MOUNT_DATA_MAX);
      const view = mountAt(mounts);
      assert.equal(readdirSync(view).length, 128);
      assert.throws(() => s.prepare('deeper', parent), (err: unknown) => err instanceof EngineError && err.code === 'SNAPSHOT_TOO_DEEP');
      await assert.rejects(s.applyLayer('sha256:deeper', parent, layer({ name: 'x' })), (err: unknown) => err instanceof EngineError && err.code === 'SNAPSHOT_TOO_DEEP');
      assert.equal(s.stat('deeper'), undefined);
    });

    it('sweeps on open what a crash left: builds of dead processes, directories and links no record names, the old record of a commit', async () => {
      const root = join(work, 'overlay2');
      const s = new Overlay2Snapshotter(root);
      await s.applyLayer('sha256:a', undefined, layer({ name: 'a', content: 'a' }));
      s.prepare('rw', 'sha256:a');
      const rwId = record(root, 'rw').id!;
      // a commit interrupted between writing the new record and removing the old one
      writeFileSync(join(root, 'metadata', 'sha256:c.json'), JSON.stringify({ ...record(root, 'rw'), key: 'sha256:c', kind: 'committed' }));
      // a layer unpacked and renamed into place, its record never written
      const orphan = 'e'.repeat(64);
      mkdirSync(join(root, orphan, 'diff'), { recursive: true });
      symlinkSync(`../${orphan}/diff`, join(root, 'l', 'ORPHANAAAAAAAAAAAAAAAAAAAA'));
      mkdirSync(join(root, 'tmp', `${deadPid()}-cafe`, 'diff'), { recursive: true });
      const live = join(root, 'tmp', `${process.pid}-beef`);
      mkdirSync(live);

      const young = new Overlay2Snapshotter(root);
      assert.ok(existsSync(join(root, orphan)), 'an orphan younger than the grace may be a live build');
      assert.deepEqual(young.list().map((i) => i.key), ['sha256:a', 'sha256:c']);
      const swept = new Overlay2Snapshotter(root, { orphanGraceMs: 0 });
      assert.equal(existsSync(join(root, orphan)), false);
      assert.equal(existsSync(join(root, 'l', 'ORPHANAAAAAAAAAAAAAAAAAAAA')), false);
      await s.removalsSettled();
      assert.deepEqual(readdirSync(join(root, 'tmp')), [`${process.pid}-beef`], 'a build of a live process stays');
      assert.deepEqual(swept.list().map((i) => [i.key, i.kind]), [['sha256:a', 'committed'], ['sha256:c', 'committed']]);
      assert.ok(existsSync(join(root, rwId, 'diff')));
      rmSync(live, { recursive: true });
    });
  });

  describe('vfs', () => {
    it('keeps each snapshot as a whole tree and sweeps orphan trees on open', async () => {
      const root = join(work, 'vfs');
      const s = new VfsSnapshotter(root);
      await s.applyLayer('sha256:a', undefined, layer({ name: 'etc/', type: 'dir' }, { name: 'etc/a', content: 'a' }));
      await s.applyLayer('sha256:b', 'sha256:a', layer({ name: 'etc/', type: 'dir' }, { name: 'etc/.wh.a' }, { name: 'etc/b', content: 'b' }));
      const tree = (key: string): string => join(root, 'dir', record(root, key).id!);
      assert.deepEqual(readdirSync(join(tree('sha256:a'), 'etc')), ['a']);
      assert.deepEqual(readdirSync(join(tree('sha256:b'), 'etc')), ['b']);
      const [view] = s.view('v', 'sha256:b');
      assert.deepEqual(view, { type: 'bind', source: tree('sha256:b'), options: ['bind', 'ro'] });
      const orphan = join(root, 'dir', 'd'.repeat(64));
      mkdirSync(orphan);
      mkdirSync(join(root, 'tmp', `${deadPid()}-cafe`));
      new VfsSnapshotter(root, { orphanGraceMs: 0 });
      assert.equal(existsSync(orphan), false);
      await s.removalsSettled();
      assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    });
  });

  describe('driver choice', () => {
    it('takes overlay2 where a test mount works, and leaves no probe behind', { skip: overlaySkip }, () => {
      const warnings: string[] = [];
      const s = createSnapshotter(work, { warn: (m) => warnings.push(m) });
      assert.equal(s.driver, 'overlay2');
      assert.deepEqual(warnings, []);
      assert.deepEqual(readdirSync(join(work, 'overlay2')).filter((n) => n.startsWith('probe-')), []);
    });

    it('falls back to vfs with a warning on a data root that overlayfs cannot use as its upper layer (itself on overlayfs); overlay2 asked for is an error', { skip: overlaySkip }, () => {
      for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(work, d));
      const merged = mountAt([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${work}/lower`, `upperdir=${work}/upper`, `workdir=${work}/work`] }]);
      const warnings: string[] = [];
      const s = createSnapshotter(join(merged, 'data'), { warn: (m) => warnings.push(m) });
      assert.equal(s.driver, 'vfs');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^storage driver overlay2 is not usable, falling back to vfs .*: overlayfs cannot use ".*\/data\/overlay2" as its upper layer: mount "overlay" on .* \[EINVAL\]$/);
      assert.equal(existsSync(join(merged, 'data', 'overlay2')), false);
      assert.throws(
        () => createSnapshotter(join(merged, 'data2'), { driver: 'overlay2' }),
        (err: unknown) => err instanceof EngineError && err.code === 'SNAPSHOT_DRIVER' && err.kind === 'Unavailable' && err.hint !== undefined,
      );
    });

    it('keeps the driver a data root already holds snapshots of', async () => {
      const vfs = createSnapshotter(work, { driver: 'vfs' });
      await vfs.applyLayer('sha256:a', undefined, layer({ name: 'a', content: 'a' }));
      const again = createSnapshotter(work, { warn: () => assert.fail('no warning expected') });
      assert.equal(again.driver, 'vfs');
      assert.deepEqual(again.list().map((i) => i.key), ['sha256:a']);
    });

    it('refuses a data root whose path overlay options could not carry', () => {
      assert.throws(() => createSnapshotter(join(work, 'a,b')), (err: unknown) => err instanceof EngineError && err.code === 'SNAPSHOT_ROOT');
    });
  });

  describe('performing mounts (src/sys)', () => {
    it('mounts a read-only bind read-only, unmounts stacked mounts at once, and a target without a mount is no error', () => {
      const src = mkdtempSync(join(work, 'src-'));
      writeFileSync(join(src, 'f'), 'f');
      const target = mountAt([{ type: 'bind', source: src, options: ['bind', 'ro'] }]);
      assert.throws(() => writeFileSync(join(target, 'g'), 'g'), /EROFS/);
      mountAll([{ type: 'bind', source: src, options: ['bind', 'rw'] }], target);
      writeFileSync(join(target, 'g'), 'g');
      unmount(target);
      assert.deepEqual(mountPointsUnder(target), []);
      unmount(target);
      mounted.splice(mounted.indexOf(target), 1);
      assert.deepEqual(readdirSync(src).sort(), ['f', 'g']);
    });

    it('takes off what it mounted when a later mount of the list fails', () => {
      const src = mkdtempSync(join(work, 'src-'));
      const target = mkdtempSync(join(work, 'mnt-'));
      assert.throws(
        () => mountAll([{ type: 'bind', source: src, options: ['bind'] }, { type: 'bind', source: join(work, 'missing'), options: ['bind'] }], target),
        (err: unknown) => err instanceof EngineError && err.code === 'MOUNT' && err.message.includes('[ENOENT]'),
      );
      assert.deepEqual(mountPointsUnder(realpathSync(target)), []);
    });
  });
});
