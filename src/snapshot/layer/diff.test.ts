import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errnoOfHostCall, lsetxattr } from '../../sys/addon.js';
import { applyLayer } from './apply.js';
import { overlayDiff, plainDiff } from './diff.js';
import { collect, describeTree, listTar, sha256 } from './testing.js';

/**
 * Diffs without root: trees of the test's own files (no devices, no
 * whiteout devices, no trusted.* xattrs: test/integration/layers.test.ts
 * has those).
 */
let sandbox = '';
before(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'berth-test-diff-'));
});
after(() => rmSync(sandbox, { recursive: true, force: true }));

let n = 0;
const fresh = (): string => {
  const dir = join(sandbox, String(n++));
  mkdirSync(dir);
  return dir;
};

const T = 1_600_000_000;
/** Writes a file (making parents) with a fixed mtime. */
function put(root: string, path: string, content: string, mode = 0o644, mtime = T): void {
  const p = join(root, path);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  chmodSync(p, mode);
  utimesSync(p, mtime, mtime);
}
/** Fixes every directory's mtime, deepest first. */
function settle(root: string, dirs: string[]): void {
  for (const d of [...dirs].sort().reverse()) utimesSync(join(root, d), T, T);
  utimesSync(root, T, T);
}

/** A small tree: nested dirs, a setuid file, a symlink, two hardlinked names, a user xattr if the file system has them. */
function sampleTree(root: string): boolean {
  put(root, 'usr/bin/tool', 'tool', 0o4755);
  put(root, 'usr/lib/libx.so', 'lib'.repeat(1000));
  put(root, 'etc/conf', 'a=1\n', 0o600);
  linkSync(join(root, 'etc/conf'), join(root, 'etc/conf.hard'));
  symlinkSync('../usr/bin/tool', join(root, 'etc/tool'));
  mkdirSync(join(root, 'var/lib/vol/data'), { recursive: true });
  put(root, 'var/lib/vol/data/secret', 'volume data');
  let xattrs = true;
  try {
    lsetxattr(join(root, 'usr/lib/libx.so'), 'user.origin', Buffer.from([0xff, 0x00, 0x80]));
  } catch (err) {
    if (errnoOfHostCall(err) !== 'EOPNOTSUPP') throw err;
    xattrs = false;
  }
  settle(root, ['usr', 'usr/bin', 'usr/lib', 'etc', 'var', 'var/lib', 'var/lib/vol', 'var/lib/vol/data']);
  return xattrs;
}

describe('overlayDiff (no root)', () => {
  it('archives a tree in sorted order, with hardlinks, modes, mtimes and xattrs', async () => {
    const root = fresh();
    const xattrs = sampleTree(root);
    const entries = await listTar(await collect(overlayDiff(root)));
    assert.deepEqual(entries.map((e) => `${e.type} ${e.name}${e.linkname ? ` -> ${e.linkname}` : ''}`), [
      'dir etc',
      'file etc/conf',
      'hardlink etc/conf.hard -> etc/conf',
      'symlink etc/tool -> ../usr/bin/tool',
      'dir usr',
      'dir usr/bin',
      'file usr/bin/tool',
      'dir usr/lib',
      'file usr/lib/libx.so',
      'dir var',
      'dir var/lib',
      'dir var/lib/vol',
      'dir var/lib/vol/data',
      'file var/lib/vol/data/secret',
    ]);
    const tool = entries.find((e) => e.name === 'usr/bin/tool')!;
    assert.deepEqual([tool.mode, tool.mtime, tool.uid, tool.content.toString()], [0o4755, T, process.getuid!(), 'tool']);
    if (xattrs) assert.deepEqual([...entries.find((e) => e.name === 'usr/lib/libx.so')!.xattrs], [['user.origin', Buffer.from([0xff, 0x00, 0x80])]]);
  });

  it('gives equal bytes for equal trees, wherever they are', async () => {
    const a = fresh();
    const b = fresh();
    sampleTree(a);
    sampleTree(b);
    const first = await collect(overlayDiff(a));
    assert.equal(sha256(first), sha256(await collect(overlayDiff(a))));
    assert.equal(sha256(first), sha256(await collect(overlayDiff(b))));
    utimesSync(join(b, 'etc/conf'), T + 1, T + 1);
    assert.notEqual(sha256(first), sha256(await collect(overlayDiff(b))));
  });

  it('leaves out excluded paths, and the contents of volume mount points', async () => {
    const root = fresh();
    sampleTree(root);
    const names = (await listTar(await collect(overlayDiff(root, { exclude: ['/etc'], excludeContentsOf: ['/var/lib/vol', 'usr/lib/libx.so'] })))).map((e) => `${e.name}:${e.size}`);
    assert.deepEqual(names, ['usr:0', 'usr/bin:0', 'usr/bin/tool:4', 'usr/lib:0', 'usr/lib/libx.so:0', 'var:0', 'var/lib:0', 'var/lib/vol:0']);
  });

  it('reports an unreadable tree as an EngineError naming the layer', async () => {
    await assert.rejects(collect(overlayDiff(join(sandbox, 'absent'))), (err: unknown) => (err as { code?: string }).code === 'LAYER_DIFF' && /^diff layer ".*absent": ENOENT/.test((err as Error).message));
  });
});

describe('plainDiff (no root)', () => {
  /** parent → child: one file added, one changed in content (same size, new mtime), one chmod, one deleted, a deleted directory, a file that became a directory. */
  function pair(): { parent: string; child: string } {
    const parent = fresh();
    sampleTree(parent);
    put(parent, 'etc/gone', 'bye');
    put(parent, 'opt/tree/a', 'a');
    put(parent, 'opt/tree/b', 'b');
    put(parent, 'srv', 'a file first');
    settle(parent, ['etc', 'opt', 'opt/tree']);
    const child = fresh();
    execFileSync('cp', ['-a', `${parent}/.`, child]);
    put(child, 'usr/bin/new', 'new');
    put(child, 'etc/conf', 'a=2\n', 0o600, T + 5);
    chmodSync(join(child, 'usr/lib/libx.so'), 0o600);
    unlinkSync(join(child, 'etc/gone'));
    rmSync(join(child, 'opt/tree'), { recursive: true });
    unlinkSync(join(child, 'srv'));
    put(child, 'srv/now/a/dir', 'x');
    settle(child, ['usr', 'usr/bin', 'etc', 'opt', 'srv', 'srv/now', 'srv/now/a']);
    return { parent, child };
  }

  it('emits changed paths with their parents, deletions as whiteouts', async () => {
    const { parent, child } = pair();
    const entries = await listTar(await collect(plainDiff(child, parent)));
    assert.deepEqual(entries.map((e) => `${e.type} ${e.name}`), [
      'dir etc',
      'file etc/conf',
      'hardlink etc/conf.hard', // the same inode changed under both names
      'file etc/.wh.gone',
      'dir opt',
      'file opt/.wh.tree',
      'dir srv',
      'dir srv/now',
      'dir srv/now/a',
      'file srv/now/a/dir',
      'dir usr',
      'dir usr/bin',
      'file usr/bin/new',
      'dir usr/lib',
      'file usr/lib/libx.so',
    ]);
    const wh = entries.find((e) => e.name === 'etc/.wh.gone')!;
    assert.deepEqual([wh.mode, wh.uid, wh.mtime, wh.size], [0, 0, 0, 0]);
    assert.equal(sha256(await collect(plainDiff(child, parent))), sha256(await collect(plainDiff(child, parent))), 'deterministic');
    assert.deepEqual(await listTar(await collect(plainDiff(parent, parent))), [], 'no change, an empty layer');
  });

  it('applied to a copy of the parent, reproduces the child', async () => {
    const { parent, child } = pair();
    const target = fresh();
    execFileSync('cp', ['-a', `${parent}/.`, target]);
    await applyLayer(target, plainDiff(child, parent), { mode: 'plain' });
    assert.deepEqual(describeTree(target), describeTree(child));
  });

  it('keeps volume mount points but not what is in them', async () => {
    const parent = fresh();
    mkdirSync(join(parent, 'data'));
    const child = fresh();
    mkdirSync(join(child, 'data'));
    put(child, 'data/db', 'volume contents');
    put(child, 'newvol/x', 'volume contents');
    const names = (await listTar(await collect(plainDiff(child, parent, { excludeContentsOf: ['/data', '/newvol'] })))).map((e) => e.name);
    assert.deepEqual(names, ['newvol']);
  });
});
