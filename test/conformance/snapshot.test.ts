/**
 * SnapshotterSuite: what every Snapshotter must do, seen only through the
 * interface and the mounts it returns (as containerd's snapshots/testsuite),
 * run here against both drivers. Each case gets a fresh data root under a
 * `berth-test-snap-` temp directory; the suite unmounts what it mounted and
 * checks that /proc/self/mountinfo has nothing left under its directories.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { EngineError } from '../../src/errors/engine-error.js';
import { createSnapshotter } from '../../src/snapshot/create.js';
import { buildTar, collect, describeTree, listTar, truncateAt, type FixtureEntry } from '../../src/snapshot/layer/testing.js';
import type { Mount, Snapshotter } from '../../src/snapshot/snapshotter.js';
import { mountAll, mountPointsUnder, unmount } from '../../src/sys/mounts.js';
import { missingOverlay } from '../helpers/overlay.js';
import { missing } from '../helpers/requirements.js';

export type SnapshotterFactory = (dataRoot: string) => Snapshotter;

const from = (data: Buffer): AsyncIterable<Uint8Array> => (async function* () { yield data; })();
/** An input that must not be read (a layer stored already). */
const untouchable: AsyncIterable<Uint8Array> = {
  [Symbol.asyncIterator]() {
    throw new Error('the input of an existing layer was read');
  },
};
const isError = (code: string, kind?: string) => (err: unknown): boolean => {
  assert.ok(err instanceof EngineError, `expected an EngineError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (kind) assert.equal(err.kind, kind, err.message);
  return true;
};

/** A tree as `path → what` lines, mtimes left out: enough to say what a mount shows. */
function contents(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, n] of Object.entries(describeTree(root, false))) {
    out[path] = `${n.type} ${n.mode} ${n.owner}${n.content ? ` ${n.content}` : ''}${n.link ? ` -> ${n.link}` : ''}`;
  }
  return out;
}
const names = (root: string): string[] => Object.keys(describeTree(root, false));

const BASE: FixtureEntry[] = [
  { name: 'bin/', type: 'dir' },
  { name: 'bin/sh', content: 'shell', mode: 0o755 },
  { name: 'etc/', type: 'dir' },
  { name: 'etc/passwd', content: 'root:x:0:0' },
  { name: 'etc/hosts', content: '127.0.0.1 localhost' },
  { name: 'usr/', type: 'dir' },
  { name: 'usr/share/', type: 'dir' },
  { name: 'usr/share/doc/', type: 'dir' },
  { name: 'usr/share/doc/a', content: 'a' },
  { name: 'usr/share/doc/b', content: 'b' },
  { name: 'lib/', type: 'dir' },
  { name: 'lib/libc.so', type: 'symlink', linkname: 'libc.so.6' },
  { name: 'lib/libc.so.6', content: 'libc' },
  { name: 'home/', type: 'dir' },
  { name: 'home/user/', type: 'dir', uid: 1000, gid: 1000, mode: 0o700 },
  { name: 'home/user/notes', content: 'mine', uid: 1000, gid: 1000, mode: 0o600 },
];
/** Deletes etc/hosts, makes usr/share/doc opaque with one new file, changes bin/sh. */
const SECOND: FixtureEntry[] = [
  { name: 'bin/', type: 'dir' },
  { name: 'bin/sh', content: 'shell v2', mode: 0o755 },
  { name: 'etc/', type: 'dir' },
  { name: 'etc/.wh.hosts' },
  { name: 'usr/', type: 'dir' },
  { name: 'usr/share/', type: 'dir' },
  { name: 'usr/share/doc/', type: 'dir' },
  { name: 'usr/share/doc/.wh..wh..opq' },
  { name: 'usr/share/doc/c', content: 'c' },
];
/** Brings etc/hosts back with other contents, removes a whole directory. */
const THIRD: FixtureEntry[] = [
  { name: 'etc/', type: 'dir' },
  { name: 'etc/hosts', content: '10.0.0.1 db' },
  { name: '.wh.home' },
  { name: 'var/', type: 'dir' },
  { name: 'var/log/', type: 'dir' },
];

export function snapshotterSuite(name: string, make: SnapshotterFactory, skip: string | false): void {
  describe(`SnapshotterSuite: ${name}`, { skip }, () => {
    let work = '';
    let s: Snapshotter;
    const mounted: string[] = [];
    const allWork: string[] = [];

    const fresh = (): Snapshotter => make(mkdtempSync(join(work, 'root-')));
    const mountAt = (mounts: Mount[]): string => {
      const target = mkdtempSync(join(work, 'mnt-'));
      mountAll(mounts, target);
      mounted.push(target);
      return target;
    };
    const unmountAt = (target: string): void => {
      unmount(target);
      mounted.splice(mounted.indexOf(target), 1);
    };
    const chain = async (snap: Snapshotter, layers: FixtureEntry[][]): Promise<string[]> => {
      const keys: string[] = [];
      for (const [i, entries] of layers.entries()) {
        keys.push(`sha256:${i.toString(16).padStart(64, '0')}`);
        await snap.applyLayer(keys[i]!, keys[i - 1], from(buildTar(entries)));
      }
      return keys;
    };

    beforeEach(() => {
      work = mkdtempSync(join(tmpdir(), 'berth-test-snap-'));
      allWork.push(work);
      s = fresh();
    });
    afterEach(() => {
      for (const m of mounted.splice(0).reverse()) unmount(m);
      rmSync(work, { recursive: true, force: true });
    });
    after(() => {
      for (const w of allWork) assert.deepEqual(mountPointsUnder(w), [], `mounts left under ${w}`);
    });

    it('applies a chain of layers; a view shows the merged tree — whiteouts hide, opaque directories hide what is below', async () => {
      const [, second, top] = await chain(s, [BASE, SECOND, THIRD]);
      const view = mountAt(s.view('export', top!));
      const tree = contents(view);
      assert.deepEqual(Object.keys(tree), ['bin', 'bin/sh', 'etc', 'etc/hosts', 'etc/passwd', 'lib', 'lib/libc.so', 'lib/libc.so.6', 'usr', 'usr/share', 'usr/share/doc', 'usr/share/doc/c', 'var', 'var/log']);
      assert.equal(tree['bin/sh'], contents(mountAt(s.view('second', second!)))['bin/sh']);
      assert.match(tree['lib/libc.so']!, /-> libc\.so\.6$/);
      assert.throws(() => writeFileSync(join(view, 'etc/new'), 'x'), /EROFS/);
      assert.deepEqual(s.stat('export'), { key: 'export', kind: 'view', parent: top, created: s.stat('export')!.created });
    });

    it('shows a single layer through a read-only view, and the layer alone; its root is 0755 whatever the umask', async () => {
      const umask = process.umask(0o077);
      const [base] = await chain(s, [BASE]).finally(() => process.umask(umask));
      const view = mountAt(s.view('v', base!));
      assert.equal(statSync(view).mode & 0o7777, 0o755);
      assert.deepEqual(names(view), ['bin', 'bin/sh', 'etc', 'etc/hosts', 'etc/passwd', 'home', 'home/user', 'home/user/notes', 'lib', 'lib/libc.so', 'lib/libc.so.6', 'usr', 'usr/share', 'usr/share/doc', 'usr/share/doc/a', 'usr/share/doc/b']);
      assert.equal(contents(view)['home/user/notes'], `file 600 1000:1000 ${describeTree(view)['home/user/notes']!.content}`);
      assert.throws(() => writeFileSync(join(view, 'x'), 'x'), /EROFS/);
    });

    it('diffs exactly what was written and deleted through a prepared mount; applied elsewhere, the diff reproduces the tree', async () => {
      const keys = await chain(s, [BASE, SECOND]);
      const rw = mountAt(s.prepare('c1', keys[1]));
      writeFileSync(join(rw, 'etc/passwd'), 'root:x:0:0\nuser:x:1000:1000');
      unlinkSync(join(rw, 'lib/libc.so'));
      rmSync(join(rw, 'home'), { recursive: true });
      mkdirSync(join(rw, 'srv/www'), { recursive: true });
      writeFileSync(join(rw, 'srv/www/index.html'), '<p>hi</p>');
      chownSync(join(rw, 'srv/www/index.html'), 33, 33);
      symlinkSync('../etc/passwd', join(rw, 'srv/passwd'));
      const archive = await collect(s.diff('c1'));
      const entries = await listTar(archive);
      assert.deepEqual(entries.map((e) => e.name), ['etc', 'etc/passwd', '.wh.home', 'lib', 'lib/.wh.libc.so', 'srv', 'srv/passwd', 'srv/www', 'srv/www/index.html']);
      assert.equal(entries.find((e) => e.name === 'srv/www/index.html')!.uid, 33);

      const other = fresh();
      const again = await chain(other, [BASE, SECOND]);
      await other.applyLayer('sha256:diffed', again[1], from(archive));
      assert.deepEqual(describeTree(mountAt(other.view('v', 'sha256:diffed'))), describeTree(rw));
    });

    it('records a directory deleted and made again as opaque: applied elsewhere, nothing of the lower one shows', async () => {
      const [base] = await chain(s, [BASE]);
      const rw = mountAt(s.prepare('c1', base));
      rmSync(join(rw, 'usr/share/doc'), { recursive: true });
      mkdirSync(join(rw, 'usr/share/doc'));
      writeFileSync(join(rw, 'usr/share/doc/new'), 'new');
      const archive = await collect(s.diff('c1'));
      const other = fresh();
      const [otherBase] = await chain(other, [BASE]);
      await other.applyLayer('sha256:diffed', otherBase, from(archive));
      const view = mountAt(other.view('v', 'sha256:diffed'));
      assert.deepEqual(readdirSync(join(view, 'usr/share/doc')), ['new']);
      assert.deepEqual(describeTree(view), describeTree(rw));
    });

    it('commits an active snapshot under a new name or under its own key; the key is then committed, and can be a parent', async () => {
      const [base] = await chain(s, [BASE]);
      const rw = mountAt(s.prepare('work', base));
      writeFileSync(join(rw, 'made'), 'made');
      assert.throws(() => s.commit('done', 'work'), isError('SNAPSHOT_IN_USE', 'Conflict'));
      unmountAt(rw);
      assert.deepEqual(s.commit('done', 'work'), { key: 'done', kind: 'committed', parent: base, created: s.stat('done')!.created });
      assert.equal(s.stat('work'), undefined);
      assert.throws(() => s.commit('again', 'done'), isError('SNAPSHOT_KIND', 'InvalidArgument'));
      assert.throws(() => s.mounts('done'), isError('SNAPSHOT_KIND', 'InvalidArgument'));
      const view = mountAt(s.view('v', 'done'));
      assert.equal(describeTree(view)['made']?.type, 'file');
      assert.ok(names(view).includes('etc/passwd'));

      s.prepare('same', 'done');
      assert.equal(s.commit('same', 'same').kind, 'committed');
      s.prepare('other', 'done');
      assert.throws(() => s.commit('same', 'other'), isError('SNAPSHOT_EXISTS', 'Conflict'));
    });

    it('refuses to remove a snapshot with children (views and active ones included), removes it once they are gone', async () => {
      const [base, second] = await chain(s, [BASE, SECOND]);
      assert.throws(() => s.remove(base!), (err) => isError('SNAPSHOT_IN_USE', 'Conflict')(err) && (err as Error).message.includes(JSON.stringify(second)));
      s.view('v', second!);
      s.prepare('rw', second);
      s.remove('v');
      assert.throws(() => s.remove(second!), isError('SNAPSHOT_IN_USE', 'Conflict'));
      s.remove('rw');
      s.remove(second!);
      s.remove(base!);
      assert.deepEqual(s.list(), []);
      assert.throws(() => s.remove(base!), isError('SNAPSHOT_NOT_FOUND', 'NotFound'));
    });

    it('refuses to remove a mounted active snapshot', async () => {
      const [base] = await chain(s, [BASE]);
      const rw = mountAt(s.prepare('rw', base));
      assert.throws(() => s.remove('rw'), isError('SNAPSHOT_IN_USE', 'Conflict'));
      unmountAt(rw);
      s.remove('rw');
    });

    it('stores a shared layer once: a second apply reads nothing, concurrent applies unpack it once', async () => {
      const root = mkdtempSync(join(work, 'shared-'));
      const snap = make(root);
      const tar = buildTar(BASE);
      const first = await snap.applyLayer('sha256:base', undefined, from(tar));
      const before = storedFiles(root);
      assert.deepEqual(await snap.applyLayer('sha256:base', undefined, untouchable), first);
      const [a, b] = await Promise.all([snap.applyLayer('sha256:two', 'sha256:base', from(buildTar(SECOND))), snap.applyLayer('sha256:two', 'sha256:base', from(buildTar(SECOND)))]);
      assert.deepEqual(a, b);
      assert.equal(snap.list().length, 2);
      // one more layer added one more set of files, not two
      const added = storedFiles(root) - before;
      const single = mkdtempSync(join(work, 'single-'));
      const one = make(single);
      await one.applyLayer('sha256:base', undefined, from(tar));
      const baseline = storedFiles(single);
      await one.applyLayer('sha256:two', 'sha256:base', from(buildTar(SECOND)));
      assert.equal(added, storedFiles(single) - baseline);
      await assert.rejects(snap.applyLayer('sha256:two', undefined, untouchable), isError('SNAPSHOT_EXISTS', 'Conflict'));
    });

    it('leaves no snapshot and no directory when an archive is truncated or corrupt', async () => {
      const root = mkdtempSync(join(work, 'fail-'));
      const snap = make(root);
      await snap.applyLayer('sha256:base', undefined, from(buildTar(BASE)));
      const before = storedFiles(root);
      const tar = buildTar([{ name: 'big', content: Buffer.alloc(4096, 1) }, ...SECOND]);
      await assert.rejects(snap.applyLayer('sha256:cut', 'sha256:base', from(truncateAt(tar, 3))), (err: unknown) => {
        assert.ok(err instanceof EngineError && err.kind === 'InvalidArgument', String(err));
        // named by the layer, not by a temp directory
        assert.match(err.message, /^apply layer "sha256:cut": corrupt tar archive at byte \d+: /);
        return true;
      });
      await assert.rejects(snap.applyLayer('sha256:bad', 'sha256:base', from(Buffer.concat([tar.subarray(0, 512), Buffer.alloc(1024, 0x41)]))), EngineError);
      assert.equal(snap.stat('sha256:cut'), undefined);
      assert.equal(snap.stat('sha256:bad'), undefined);
      assert.equal(storedFiles(root), before);
      assert.deepEqual(snap.list().map((i) => i.key), ['sha256:base']);
      // the same key applies fine afterwards
      await snap.applyLayer('sha256:cut', 'sha256:base', from(tar));
    });

    it('refuses bad keys, missing or non-committed parents, and existing keys', async () => {
      const [base] = await chain(s, [BASE]);
      assert.throws(() => s.prepare('../escape', base), isError('SNAPSHOT_KEY', 'InvalidArgument'));
      assert.throws(() => s.prepare('x', 'sha256:missing'), isError('SNAPSHOT_NOT_FOUND', 'NotFound'));
      s.prepare('rw', base);
      assert.throws(() => s.prepare('rw', base), isError('SNAPSHOT_EXISTS', 'Conflict'));
      assert.throws(() => s.prepare('over-active', 'rw'), isError('SNAPSHOT_KIND', 'InvalidArgument'));
      await assert.rejects(s.applyLayer('sha256:x', 'rw', from(buildTar(SECOND))), isError('SNAPSHOT_KIND', 'InvalidArgument'));
      assert.throws(() => s.diff('missing'), isError('SNAPSHOT_NOT_FOUND', 'NotFound'));
      assert.throws(() => s.usage('missing'), isError('SNAPSHOT_NOT_FOUND', 'NotFound'));
      assert.equal(s.stat('missing'), undefined);
    });

    it('mounts a chain of 100 layers, read-only and read-write', async () => {
      const layers: FixtureEntry[][] = [];
      for (let i = 0; i < 100; i++) layers.push([{ name: `layer-${String(i).padStart(3, '0')}`, content: `${i}` }, ...(i > 0 ? [{ name: `.wh.layer-${String(i - 1).padStart(3, '0')}` }] : [])]);
      const keys = await chain(s, layers);
      const view = mountAt(s.view('deep', keys[99]!));
      assert.deepEqual(readdirSync(view), ['layer-099']);
      const rw = mountAt(s.prepare('deep-rw', keys[99]));
      writeFileSync(join(rw, 'mine'), 'x');
      assert.deepEqual(readdirSync(rw).sort(), ['layer-099', 'mine']);
      assert.deepEqual((await listTar(await collect(s.diff('deep-rw')))).map((e) => e.name), ['mine']);
    });

    it('keeps a container\'s init layer out of its diff, and volume contents out with excludeContentsOf', async () => {
      const [image] = await chain(s, [BASE]);
      const init = mountAt(s.prepare('c0ffee-init', image));
      writeFileSync(join(init, 'etc/hosts'), '172.17.0.2 c0ffee');
      writeFileSync(join(init, 'etc/hostname'), 'c0ffee');
      writeFileSync(join(init, 'etc/resolv.conf'), 'nameserver 1.1.1.1');
      unmountAt(init);
      s.commit('c0ffee-init', 'c0ffee-init');
      const rw = mountAt(s.prepare('c0ffee', 'c0ffee-init'));
      assert.equal(describeTree(rw)['etc/hostname']?.type, 'file');
      // a volume's mount point, made in the read-write layer as dockerd makes it, and what a volume would hold
      mkdirSync(join(rw, 'data'));
      writeFileSync(join(rw, 'data/volume-file'), 'not for the image');
      mkdirSync(join(rw, 'data/sub'));
      writeFileSync(join(rw, 'app.log'), 'started');
      chmodSync(join(rw, 'app.log'), 0o640);
      const plain = (await listTar(await collect(s.diff('c0ffee')))).map((e) => e.name);
      assert.deepEqual(plain, ['app.log', 'data', 'data/sub', 'data/volume-file']);
      const excluded = await listTar(await collect(s.diff('c0ffee', { excludeContentsOf: ['/data'] })));
      assert.deepEqual(excluded.map((e) => e.name), ['app.log', 'data']);
    });

    it('reports the bytes of a snapshot\'s own files, a hardlinked file once', async () => {
      await s.applyLayer('sha256:sized', undefined, from(buildTar([{ name: 'a', content: Buffer.alloc(1000) }, { name: 'b', content: Buffer.alloc(234) }, { name: 'c', type: 'hardlink', linkname: 'a' }, { name: 'd/', type: 'dir' }])));
      assert.equal(s.usage('sha256:sized'), 1234);
      s.view('v', 'sha256:sized');
      assert.equal(s.usage('v'), 0);
    });

    it('keeps its snapshots across a reopen of the data root', async () => {
      const root = mkdtempSync(join(work, 'reopen-'));
      const first = make(root);
      const [base, second] = await chain(first, [BASE, SECOND]);
      first.prepare('rw', second);
      const reopened = make(root);
      assert.deepEqual(reopened.list(), first.list());
      assert.equal(reopened.driver, first.driver);
      const view = mountAt(reopened.view('v', base!));
      assert.ok(names(view).includes('etc/hosts'));
    });
  });
}

/** Every file under a data root, to tell that nothing was added or left behind. */
function storedFiles(root: string): number {
  let n = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      n++;
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(root);
  return n;
}

const root = missing('root');

snapshotterSuite('overlay2', (dataRoot) => createSnapshotter(dataRoot, { driver: 'overlay2' }), missingOverlay());
snapshotterSuite('vfs', (dataRoot) => createSnapshotter(dataRoot, { driver: 'vfs' }), root);
