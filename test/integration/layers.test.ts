/**
 * Layer archives as root, on the real kernel: a diff of an overlay upper
 * directory applied again reproduces it (whiteout devices, opaque
 * directories, devices, fifos, hardlinks, owners, setuid/setgid/sticky
 * modes, mtimes, file capabilities); equal trees give equal digests; an
 * overlay mounted over applied layers shows whiteouts and opaque
 * directories hiding the lower layer, and the plain (copy) mode gives the
 * same merged tree; every escape attempt of the issue fails with a clear
 * error and leaves a sentinel beside the target untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EngineError } from '../../src/errors/engine-error.js';
import { applyLayer, type ApplyMode } from '../../src/snapshot/layer/apply.js';
import { overlayDiff, plainDiff } from '../../src/snapshot/layer/diff.js';
import { buildTar, collect, describeTree, listTar, sha256, type FixtureEntry } from '../../src/snapshot/layer/testing.js';
import { lsetxattr, mknod, MNT, mount, MS, S_IF, umount2 } from '../../src/sys/addon.js';
import { missing } from '../helpers/requirements.js';

/** VFS_CAP_REVISION_2 with the effective bit: cap_net_raw permitted. Bytes ≥ 0x80 would not survive a UTF-8 trip; this one has 0x00s. */
const CAP_NET_RAW = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
/** cap_setuid (bit 7) and cap_sys_admin (bit 21): permitted bytes 0x80 and 0x20 in the second byte row. */
const CAP_HIGH = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x00, 0x20, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const T = 1_650_000_000;

let work = '';
const mounted: string[] = [];
const from = (data: Buffer) => (async function* () { yield data; })();

function dir(name: string): string {
  const p = join(work, name);
  mkdirSync(p, { recursive: true });
  return p;
}

/** A file with content, owner, mode and mtime (parents made). */
function file(root: string, path: string, content: string, opts: { mode?: number; uid?: number; gid?: number; mtime?: number } = {}): string {
  const p = join(root, path);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  chownSync(p, opts.uid ?? 0, opts.gid ?? 0);
  chmodSync(p, opts.mode ?? 0o644);
  utimesSync(p, opts.mtime ?? T, opts.mtime ?? T);
  return p;
}

function node(p: string, type: number, major: number, minor: number, uid = 0, mode = 0o600): void {
  mknod(p, type, major, minor);
  chownSync(p, uid, uid);
  if (mode !== 0) chmodSync(p, mode);
  lutimesSync(p, T, T);
}

function settle(root: string): void {
  const dirs: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) if (lstatSync(join(d, n)).isDirectory()) walk(join(d, n));
    dirs.push(d);
  };
  walk(root);
  for (const d of dirs) utimesSync(d, T, T);
}

/** What a container's read-write layer holds after some work: every kind of entry a layer can carry. */
function upperTree(root: string): void {
  file(root, 'bin/ping', 'ping', { mode: 0o755 });
  lsetxattr(join(root, 'bin/ping'), 'security.capability', CAP_NET_RAW);
  file(root, 'bin/admin', 'admin', { mode: 0o750, gid: 10 });
  lsetxattr(join(root, 'bin/admin'), 'security.capability', CAP_HIGH);
  file(root, 'bin/su', 'su', { mode: 0o4755 });
  file(root, 'bin/wall', 'wall', { mode: 0o2755, gid: 5 });
  linkSync(join(root, 'bin/su'), join(root, 'bin/su-again'));
  file(root, 'home/user/notes', 'mine', { uid: 1000, gid: 1000, mode: 0o600, mtime: T - 86400 });
  chownSync(join(root, 'home/user'), 1000, 1000);
  chmodSync(join(root, 'home/user'), 0o700);
  lsetxattr(join(root, 'home/user/notes'), 'user.tag', Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  mkdirSync(join(root, 'tmp'));
  chmodSync(join(root, 'tmp'), 0o1777);
  symlinkSync('/bin/su', join(root, 'bin/sudo'));
  lutimesSync(join(root, 'bin/sudo'), T, T);
  mkdirSync(join(root, 'dev'));
  node(join(root, 'dev/null'), S_IF.CHR, 1, 3, 0, 0o666);
  node(join(root, 'dev/sda'), S_IF.BLK, 8, 0, 6, 0o660);
  node(join(root, 'dev/pipe'), S_IF.FIFO, 0, 0, 0, 0o644);
  // deletions and an opaque directory, as overlayfs records them
  mkdirSync(join(root, 'etc'));
  node(join(root, 'etc/deleted'), S_IF.CHR, 0, 0, 0, 0);
  mkdirSync(join(root, 'etc/replaced'));
  lsetxattr(join(root, 'etc/replaced'), 'trusted.overlay.opaque', Buffer.from('y'));
  file(root, 'etc/replaced/only', 'new');
  settle(root);
}

/** The lower layer those changes apply to. */
function lowerTree(root: string): void {
  file(root, 'etc/deleted', 'old');
  file(root, 'etc/kept', 'kept');
  file(root, 'etc/replaced/old-a', 'a');
  file(root, 'etc/replaced/sub/old-b', 'b');
  file(root, 'bin/su', 'old su', { mode: 0o755 });
  settle(root);
}

describe('layer archives (root)', { skip: missing('root') }, () => {
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-test-layers-'));
  });
  afterEach(() => {
    for (const m of mounted.splice(0).reverse()) umount2(m, MNT.DETACH);
    rmSync(work, { recursive: true, force: true });
  });

  it('diff of an overlay upper, applied again, reproduces it — whiteouts, opaque dirs, devices, owners, modes, caps', async () => {
    const upper = dir('upper');
    upperTree(upper);
    const archive = await collect(overlayDiff(upper));
    const names = (await listTar(archive)).map((e) => `${e.type} ${e.name}`);
    assert.ok(names.includes('file etc/.wh.deleted'), names.join('\n'));
    assert.deepEqual(names.slice(names.indexOf('dir etc/replaced'), names.indexOf('dir etc/replaced') + 2), ['dir etc/replaced', 'file etc/replaced/.wh..wh..opq']);
    assert.ok(names.includes('hardlink bin/su-again'));

    const out = dir('applied');
    const result = await applyLayer(out, from(gzipSync(archive)), { mode: 'overlay' });
    assert.equal(result.diffId, `sha256:${sha256(archive)}`);
    assert.equal(result.compression, 'gzip');
    const want = describeTree(upper);
    assert.deepEqual(describeTree(out), want);
    // spot checks of what deepEqual covered
    assert.equal(want['bin/ping']!.xattrs!['security.capability'], CAP_NET_RAW.toString('hex'));
    assert.equal(want['bin/admin']!.xattrs!['security.capability'], CAP_HIGH.toString('hex'));
    assert.deepEqual([want['etc/deleted']!.type, want['etc/deleted']!.device], ['char', '0:0']);
    assert.equal(want['etc/replaced']!.xattrs!['trusted.overlay.opaque'], '79');
    assert.equal(want['bin/su']!.mode, '4755');
    assert.equal(want['home/user/notes']!.owner, '1000:1000');

    assert.equal(sha256(await collect(overlayDiff(out))), sha256(archive), 'diffing the applied layer gives the same archive');
  });

  it('equal trees give equal digests, compressed too', async () => {
    const a = dir('a');
    const b = dir('b');
    upperTree(a);
    upperTree(b);
    const ta = await collect(overlayDiff(a));
    const tb = await collect(overlayDiff(b));
    assert.equal(sha256(ta), sha256(tb));
    assert.equal(sha256(gzipSync(ta)), sha256(gzipSync(tb)));
    chownSync(join(b, 'bin/ping'), 1, 1);
    assert.notEqual(sha256(await collect(overlayDiff(b))), sha256(ta), 'an owner is content');
  });

  it('an overlay over applied layers hides deleted files and opaque directories; the plain mode gives the same tree', async () => {
    const lowerSrc = dir('lower-src');
    lowerTree(lowerSrc);
    const upperSrc = dir('upper-src');
    upperTree(upperSrc);
    const lowerTar = await collect(overlayDiff(lowerSrc));
    const upperTar = await collect(overlayDiff(upperSrc));

    const l1 = dir('layers/1');
    const l2 = dir('layers/2');
    await applyLayer(l1, from(lowerTar), { mode: 'overlay' });
    await applyLayer(l2, from(upperTar), { mode: 'overlay' });
    const merged = dir('merged');
    mount('overlay', merged, 'overlay', MS.RDONLY, `lowerdir=${l2}:${l1}`);
    mounted.push(merged);
    assert.deepEqual(readdirSync(join(merged, 'etc')).sort(), ['kept', 'replaced']);
    assert.deepEqual(readdirSync(join(merged, 'etc/replaced')), ['only']);
    assert.equal(readFileSync(join(merged, 'bin/su'), 'utf8'), 'su');

    // the copy driver: the parent's tree copied, the layer applied in plain mode
    const plain = dir('plain');
    await applyLayer(plain, from(lowerTar), { mode: 'plain' });
    await applyLayer(plain, from(upperTar), { mode: 'plain' });
    assert.deepEqual(describeTree(plain, false), describeTree(merged, false));
    assert.ok(!existsSync(join(plain, 'etc/deleted')));
  });

  it('plain diff of a copied tree, applied to a copy of its parent, reproduces it — devices, owners and caps included', async () => {
    const parent = dir('parent');
    lowerTree(parent);
    file(parent, 'bin/ping', 'ping', { mode: 0o755 });
    const child = dir('child');
    execFileSync('cp', ['-a', `${parent}/.`, child]);
    rmSync(join(child, 'etc/replaced'), { recursive: true });
    rmSync(join(child, 'etc/deleted'));
    lsetxattr(join(child, 'bin/ping'), 'security.capability', CAP_NET_RAW);
    file(child, 'bin/new', 'new', { uid: 33, gid: 33, mode: 0o2750 });
    mkdirSync(join(child, 'dev'));
    node(join(child, 'dev/null'), S_IF.CHR, 1, 3, 0, 0o666);
    node(join(child, 'dev/fifo'), S_IF.FIFO, 0, 0);
    settle(child);
    const entries = await listTar(await collect(plainDiff(child, parent)));
    assert.ok(entries.some((e) => e.name === 'bin/ping' && e.xattrs.get('security.capability')?.equals(CAP_NET_RAW)), 'a capability alone is a change');
    const target = dir('target');
    execFileSync('cp', ['-a', `${parent}/.`, target]);
    await applyLayer(target, plainDiff(child, parent), { mode: 'plain' });
    assert.deepEqual(describeTree(target), describeTree(child));
  });

  it('reads archives GNU tar writes (PAX, xattrs, ./ names), and GNU tar extracts ours (tar is an essential Debian package)', async () => {
    const src = dir('src');
    upperTree(src);
    rmSync(join(src, 'etc'), { recursive: true }); // overlay's marks mean nothing to GNU tar
    utimesSync(src, T, T);
    const gnu = execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', src, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    const ours = dir('ours');
    await applyLayer(ours, from(gnu), { mode: 'overlay' });
    assert.deepEqual(describeTree(ours), describeTree(src));

    const extracted = dir('extracted');
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', '-', '-C', extracted], { input: await collect(overlayDiff(src)) });
    assert.deepEqual(describeTree(extracted), describeTree(src));
  });

  describe('escape attempts fail and write nothing outside', () => {
    const cases: Array<{ what: string; entries: (outside: string) => FixtureEntry[]; error: RegExp; modes?: ApplyMode[] }> = [
      { what: '".." in a name', entries: () => [{ name: '../sentinel', content: 'pwned' }], error: /it has a "\.\." component/ },
      { what: 'an absolute name', entries: (o) => [{ name: `${o}/sentinel`, content: 'pwned' }], error: /it is absolute/ },
      { what: 'a symlink out, then a file written through it', entries: (o) => [{ name: 'esc', type: 'symlink', linkname: o }, { name: 'esc/sentinel', content: 'pwned' }], error: /its parent "esc" is a symlink in this layer/ },
      { what: 'a symlink out, then a device through it', entries: (o) => [{ name: 'esc', type: 'symlink', linkname: o }, { name: 'esc/dev', type: 'char', devmajor: 1, devminor: 3 }], error: /symlink in this layer/ },
      { what: 'a symlink out, then a whiteout through it (deleting or shadowing the sentinel)', entries: (o) => [{ name: 'esc', type: 'symlink', linkname: o }, { name: 'esc/.wh.sentinel' }], error: /symlink in this layer/ },
      { what: 'a symlink out, then an opaque marker through it', entries: (o) => [{ name: 'esc', type: 'symlink', linkname: o }, { name: 'esc/.wh..wh..opq' }], error: /symlink in this layer/ },
      { what: 'a relative symlink climbing out, then a directory through it', entries: () => [{ name: 'up', type: 'symlink', linkname: '../..' }, { name: 'up/x', type: 'dir' }], error: /symlink in this layer/ },
      { what: 'a hardlink to a file outside', entries: (o) => [{ name: 'h', type: 'hardlink', linkname: `${o}/sentinel` }], error: /it is absolute/ },
      { what: 'a hardlink up and out', entries: () => [{ name: 'h', type: 'hardlink', linkname: '../sentinel' }], error: /"\.\." component/ },
      { what: 'a hardlink through a symlink out', entries: (o) => [{ name: 'esc', type: 'symlink', linkname: o }, { name: 'h', type: 'hardlink', linkname: 'esc/sentinel' }], error: /not a file of this layer/ },
    ];
    for (const c of cases) {
      for (const mode of c.modes ?? (['overlay', 'plain'] as const)) {
        it(`${c.what} (${mode})`, async () => {
          const box = dir('box');
          const target = dir('box/target');
          file(box, 'sentinel', 'untouched', { uid: 1234 });
          await assert.rejects(applyLayer(target, from(buildTar(c.entries(box))), { mode }), (err: unknown) => err instanceof EngineError && err.code === 'LAYER_UNSAFE_PATH' && c.error.test(err.message));
          assert.deepEqual(readdirSync(box).sort(), ['sentinel', 'target']);
          const st = lstatSync(join(box, 'sentinel'));
          assert.deepEqual([readFileSync(join(box, 'sentinel'), 'utf8'), st.isFile(), st.nlink, st.uid, st.mode & 0o7777], ['untouched', true, 1, 1234, 0o644]);
        });
      }
    }

    it('a symlink replaced by a directory mid-archive becomes a real directory inside', async () => {
      const box = dir('box');
      const target = dir('box/target');
      file(box, 'sentinel', 'untouched');
      await applyLayer(target, from(buildTar([{ name: 'x', type: 'symlink', linkname: box }, { name: 'x', type: 'dir' }, { name: 'x/sentinel', content: 'inside' }])), { mode: 'overlay' });
      assert.ok(lstatSync(join(target, 'x')).isDirectory());
      assert.equal(readFileSync(join(target, 'x/sentinel'), 'utf8'), 'inside');
      assert.equal(readFileSync(join(box, 'sentinel'), 'utf8'), 'untouched');
    });
  });
});
