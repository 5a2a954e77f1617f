import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarType } from '../snapshot/layer/tar-header.js';
import { extractArchive, type ExtractOptions } from './tree-extract.js';
import { TreeFs, type TreeMount } from './tree-fs.js';

interface Entry {
  name: string;
  type?: TarType;
  content?: string;
  linkname?: string;
}

function tar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = Buffer.from(e.content ?? '');
    parts.push(encodeHeader({ name: e.name, type, mode: type === 'dir' ? 0o755 : 0o640, uid: 0, gid: 0, size: type === 'file' ? content.length : 0, mtime: 1_000_000, linkname: e.linkname ?? '', devmajor: 0, devminor: 0, xattrs: new Map() }));
    if (type === 'file' && content.length > 0) parts.push(content, padding(content.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

async function* chunks(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/**
 * tree-extract without root: archives unpacked into a directory of a tree
 * (owners left as the process's), every escape an archive can try refused
 * or kept inside the tree.
 */
describe('extractArchive: docker cp\'s unpacking, inside the tree', () => {
  let work: string;
  let root: string;
  let fs: TreeFs;
  const mounts = (): TreeMount[] => [
    { destination: '/tmp/d/vol', source: join(work, 'vol'), writable: true },
    { destination: '/tmp/d/rovol', source: join(work, 'rovol'), writable: false },
    { destination: '/tmp/d/hosts', source: join(work, 'hosts'), writable: true },
  ];
  const put = (entries: Entry[], opts: Partial<ExtractOptions> = {}, dest = '/tmp/d'): Promise<void> =>
    extractArchive(fs, fs.resolve(dest, true), chunks(tar(entries)), { noOverwriteDirNonDir: false, owner: 'self', label: dest, ...opts });
  const inRoot = (p: string): string => join(root, p);

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bth-extract-'));
    root = join(work, 'root');
    mkdirSync(join(root, 'tmp', 'd', 'vol'), { recursive: true });
    mkdirSync(join(root, 'tmp', 'd', 'rovol'));
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'tmp', 'd', 'hosts'), '');
    writeFileSync(join(root, 'etc', 'passwd'), 'container\n');
    symlinkSync('/etc', join(root, 'tmp', 'd', 'hostlink'));
    mkdirSync(join(work, 'vol'));
    mkdirSync(join(work, 'rovol'));
    writeFileSync(join(work, 'hosts'), 'hosts\n');
    fs = new TreeFs(root, mounts());
  });
  afterEach(() => {
    fs.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('unpacks directories, files, symlinks and hardlinks with their modes and times', async () => {
    await put([{ name: 'dir/', type: 'dir' }, { name: 'dir/f', content: 'hello' }, { name: 'dir/ln', type: 'symlink', linkname: 'f' }, { name: 'dir/hard', type: 'hardlink', linkname: 'dir/f' }, { name: './top', content: 't' }]);
    assert.equal(readFileSync(inRoot('tmp/d/dir/f'), 'utf8'), 'hello');
    assert.equal(lstatSync(inRoot('tmp/d/dir/f')).mode & 0o777, 0o640);
    assert.equal(lstatSync(inRoot('tmp/d/dir/f')).nlink, 2);
    assert.equal(readlinkSync(inRoot('tmp/d/dir/ln')), 'f');
    assert.equal(lstatSync(inRoot('tmp/d/dir')).mtimeMs, 1_000_000_000);
    assert.equal(readFileSync(inRoot('tmp/d/top'), 'utf8'), 't');
  });

  it('refuses names that climb out, and clamps absolute ones, in docker\'s words', async () => {
    await assert.rejects(put([{ name: '../../../x', content: 'x' }]), { message: 'Error processing tar file: "../../../x" is outside of "/tmp/d"' });
    await put([{ name: '/abs', content: 'a' }, { name: 'a/../inner', content: 'i' }]);
    assert.equal(readFileSync(inRoot('tmp/d/abs'), 'utf8'), 'a');
    assert.equal(readFileSync(inRoot('tmp/d/inner'), 'utf8'), 'i');
  });

  it('refuses relative symlinks pointing out of the destination and hardlinks to outside it', async () => {
    await assert.rejects(put([{ name: 'esc', type: 'symlink', linkname: '../../../../etc' }]), { message: 'Error processing tar file: invalid symlink "/tmp/d/esc" -> "../../../../etc"' });
    await assert.rejects(put([{ name: 'h', type: 'hardlink', linkname: '../../etc/passwd' }]), { message: 'Error processing tar file: invalid hardlink "/etc/passwd" -> "../../etc/passwd"' });
    await assert.rejects(put([{ name: 'h', type: 'hardlink', linkname: '/etc/passwd' }]), /link \/tmp\/d\/etc\/passwd \/tmp\/d\/h: no such file or directory/);
  });

  it('writes through symlinks only inside the tree, never to the host', async () => {
    await put([{ name: 'toroot', type: 'symlink', linkname: '/' }, { name: 'toroot/escaped', content: 'inside' }, { name: 'hostlink/written', content: 'w' }]);
    assert.equal(readFileSync(inRoot('escaped'), 'utf8'), 'inside');
    assert.equal(readFileSync(inRoot('etc/written'), 'utf8'), 'w');
    assert.equal(existsSync('/escaped'), false);
    assert.equal(existsSync('/etc/written'), false);
    // a destination that is a symlink to "/" is the tree's root
    await put([{ name: 'at-root', content: 'r' }], {}, '/tmp/d/toroot');
    assert.equal(readFileSync(inRoot('at-root'), 'utf8'), 'r');
  });

  it('replaces a symlink by a file without following it', async () => {
    await put([{ name: 'hostlink', content: 'now a file' }]);
    assert.equal(lstatSync(inRoot('tmp/d/hostlink')).isFile(), true);
    assert.equal(readFileSync(inRoot('etc/passwd'), 'utf8'), 'container\n');
  });

  it('keeps a directory and a non-directory from replacing each other when asked', async () => {
    mkdirSync(inRoot('tmp/d/adir'));
    writeFileSync(inRoot('tmp/d/afile'), '');
    await assert.rejects(put([{ name: 'adir', content: 'x' }], { noOverwriteDirNonDir: true }), { message: 'Error processing tar file: cannot overwrite directory "/tmp/d/adir" with non-directory "/tmp/d"' });
    await assert.rejects(put([{ name: 'afile', type: 'dir' }], { noOverwriteDirNonDir: true }), { message: 'Error processing tar file: cannot overwrite non-directory "/tmp/d/afile" with directory "/tmp/d"' });
    await put([{ name: 'adir', content: 'x' }, { name: 'afile/', type: 'dir' }]);
    assert.equal(lstatSync(inRoot('tmp/d/adir')).isFile(), true);
    assert.equal(lstatSync(inRoot('tmp/d/afile')).isDirectory(), true);
  });

  it('goes into volumes, and leaves mount points and read-only volumes alone', async () => {
    await put([{ name: 'vol/', type: 'dir' }, { name: 'vol/inv', content: 'v' }]);
    assert.equal(readFileSync(join(work, 'vol', 'inv'), 'utf8'), 'v');
    assert.equal(existsSync(inRoot('tmp/d/vol/inv')), false);
    await assert.rejects(put([{ name: 'hosts', content: 'x' }]), /it is a mount point/);
    await assert.rejects(put([{ name: 'vol', content: 'x' }]), /it is a mount point/);
    await assert.rejects(put([{ name: 'rovol/x', content: 'x' }]), { message: 'mounted volume is marked read-only' });
    assert.equal(readFileSync(join(work, 'hosts'), 'utf8'), 'hosts\n');
  });

  it('renames entries and hardlink targets alike', async () => {
    await put([{ name: 'src/' , type: 'dir' }, { name: 'src/a', content: 'a' }, { name: 'src/b', type: 'hardlink', linkname: 'src/a' }], { rename: (n) => n.replace(/^src/, 'dst') });
    assert.equal(lstatSync(inRoot('tmp/d/dst/b')).nlink, 2);
  });
});
