/**
 * The addon's thread-pool file system tasks (src/sys/fs-tasks.ts,
 * native/addon/fs_batch.c) on the real kernel: atomic writes, tree
 * removal that neither follows symlinks nor crosses mounts (a tmpfs
 * mounted inside, as root), and mkdirs/rmdirs as cgroups use them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { addon, MNT, mount, umount2 } from '../../src/sys/addon.js';
import { removeInBackground, removeTree, writeFileAtomicAsync } from '../../src/sys/fs-tasks.js';
import { missing } from '../helpers/requirements.js';

describe('file system tasks on the thread pool', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-test-fstasks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a file atomically, with its mode, over an older one, leaving no temporary file', async () => {
    const path = join(dir, 'record.json');
    writeFileSync(path, 'old');
    await writeFileAtomicAsync(path, '{"new":true}', { mode: 0o600 });
    assert.equal(readFileSync(path, 'utf8'), '{"new":true}');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    await writeFileAtomicAsync(path, new Uint8Array(Buffer.from('bytes, not durable')), { durable: false });
    assert.equal(readFileSync(path, 'utf8'), 'bytes, not durable');
    assert.deepEqual(readdirSync(dir), ['record.json']);
  });

  it('a write that cannot be made rejects with the errno and leaves nothing', async () => {
    await assert.rejects(writeFileAtomicAsync(join(dir, 'no-such-dir', 'f'), 'x'), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOENT');
      assert.match(err.message, /^open .*no-such-dir\/f\.tmp-\d+: No such file or directory$/);
      return true;
    });
    mkdirSync(join(dir, 'taken'));
    // rename of a file over a directory fails: the temporary file goes
    await assert.rejects(writeFileAtomicAsync(join(dir, 'taken'), 'x'), { code: 'EISDIR' });
    assert.deepEqual(readdirSync(dir), ['taken']);
  });

  it('removes a tree, deep and wide, and removes links, not what they point to', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'kept'), 'kept');
    const tree = join(dir, 'tree');
    let d = tree;
    for (let i = 0; i < 40; i++) {
      d = join(d, `level-${i}`);
      mkdirSync(d, { recursive: true });
      for (let j = 0; j < 30; j++) writeFileSync(join(d, `f${j}`), String(j));
    }
    symlinkSync(outside, join(tree, 'link-to-dir'));
    symlinkSync(join(outside, 'kept'), join(d, 'link-to-file'));
    await removeTree(tree);
    assert.equal(existsSync(tree), false);
    assert.equal(readFileSync(join(outside, 'kept'), 'utf8'), 'kept');
    await removeTree(tree); // gone already: done
    writeFileSync(join(dir, 'file'), 'x');
    await removeTree(join(dir, 'file'));
    assert.equal(existsSync(join(dir, 'file')), false);
  });

  it('removes a tree deeper than a path can name (a container can make one)', async () => {
    const tree = join(dir, 'deep');
    mkdirSync(tree);
    // 3000 levels of "d/": 6000 bytes, past PATH_MAX, made one relative step at a time
    const made = spawnSync(process.execPath, ['-e', 'for (let i = 0; i < 3000; i++) { require("fs").mkdirSync("d"); process.chdir("d"); } require("fs").writeFileSync("bottom", "x")'], { cwd: tree });
    assert.equal(made.status, 0, made.stderr.toString());
    await removeTree(tree);
    assert.equal(existsSync(tree), false);
  });

  it('takes a directory out of sight at once and removes it in the background', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    const deletion = removeInBackground(join(dir, 'a'), join(dir, '.trash-a'));
    assert.equal(existsSync(join(dir, 'a')), false);
    await deletion;
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(removeInBackground(join(dir, 'a'), join(dir, '.trash-a')), undefined);
  });

  it('mkdirs and rmdirs go in order and report each path', async () => {
    const paths = [join(dir, 'p'), join(dir, 'p', 'c'), join(dir, 'missing', 'c')];
    assert.deepEqual(await addon().mkdirs(paths, 0o755), ['', '', 'ENOENT: No such file or directory']);
    assert.deepEqual(await addon().mkdirs([paths[0]!], 0o755), ['EEXIST: File exists']);
    assert.deepEqual(await addon().rmdirs([paths[0]!, paths[1]!, paths[0]!]), ['ENOTEMPTY: Directory not empty', '', '']);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('does not cross into a file system mounted inside the tree', { skip: missing('root') }, async () => {
    const tree = join(dir, 'tree');
    const mnt = join(tree, 'sub', 'mnt');
    mkdirSync(mnt, { recursive: true });
    writeFileSync(join(tree, 'sub', 'f'), 'x');
    mount('tmpfs', mnt, 'tmpfs', 0, 'size=1m');
    try {
      writeFileSync(join(mnt, 'inside'), 'on the tmpfs');
      await assert.rejects(removeTree(tree), (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'EXDEV');
        assert.match(err.message, /sub\/mnt: Invalid cross-device link$/);
        return true;
      });
      assert.equal(readFileSync(join(mnt, 'inside'), 'utf8'), 'on the tmpfs');
    } finally {
      umount2(mnt, MNT.DETACH);
    }
    await removeTree(tree);
    assert.equal(existsSync(tree), false);
  });
});
