import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TreeFs, TreePathError, type TreeMount } from './tree-fs.js';

/**
 * TreeFs over a temporary tree: symlinks that point at the host (absolute,
 * climbing, through a volume) resolve inside the tree; mounts are entered
 * at their destinations. No root needed.
 */
describe('TreeFs: paths resolved inside a root', () => {
  let work: string;
  let root: string;
  let fs: TreeFs;
  const read = (path: string, follow = true): string => readFileSync(fs.resolve(path, follow).access, 'utf8');
  const failsWith = (path: string, errno: string): void => {
    assert.throws(() => fs.resolve(path, true), (err: unknown) => err instanceof TreePathError && err.errno === errno, `${path}: ${errno}`);
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bth-treefs-'));
    root = join(work, 'root');
    for (const d of ['etc', 'tmp', 'srv/data', 'vol']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'container passwd\n');
    writeFileSync(join(root, 'etc', 'hosts'), '');
    writeFileSync(join(root, 'tmp', 'file'), 'f');
    symlinkSync('/etc', join(root, 'tmp', 'hostetc'));
    symlinkSync('../../../../', join(root, 'tmp', 'up'));
    symlinkSync('../etc', join(root, 'tmp', 'rel'));
    symlinkSync('loop', join(root, 'tmp', 'loop'));
    symlinkSync('/nowhere/x', join(root, 'tmp', 'dangling'));
    symlinkSync('/srv/data', join(root, 'data'));
    const vol = join(work, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'inv'), 'in the volume');
    symlinkSync('/etc/passwd', join(vol, 'pw'));
    const data = join(work, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'x'), 'data volume');
    writeFileSync(join(work, 'hosts'), '127.0.0.1 localhost\n');
    const mounts: TreeMount[] = [
      { destination: '/vol', source: vol, writable: true },
      { destination: '/etc/hosts', source: join(work, 'hosts'), writable: true },
      { destination: '/data', source: data, writable: false },
    ];
    fs = new TreeFs(root, mounts);
  });
  after(() => {
    fs.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('follows symlinks inside the root: absolute ones from it, ".." stops at it', () => {
    assert.equal(read('/tmp/hostetc/passwd'), 'container passwd\n');
    assert.equal(read('/tmp/up/etc/passwd'), 'container passwd\n');
    assert.equal(read('/tmp/rel/passwd'), 'container passwd\n');
    assert.equal(read('/../../../etc/passwd'), 'container passwd\n');
    assert.deepEqual(fs.resolve('/tmp/hostetc/..', true).path, []);
    assert.deepEqual(fs.resolve('/tmp/up', true).path, []);
  });

  it('never reaches a host file the root does not have', () => {
    failsWith('/tmp/hostetc/shadow', 'ENOENT');
    failsWith('/tmp/up/etc/shadow', 'ENOENT');
    failsWith('/tmp/loop', 'ELOOP');
    failsWith('/tmp/file/x', 'ENOTDIR');
  });

  it('leaves the last component alone unless told, and says where a dangling link leads', () => {
    const link = fs.resolve('/tmp/hostetc', false);
    assert.equal(link.st.isSymbolicLink(), true);
    assert.deepEqual(link.path, ['tmp', 'hostetc']);
    assert.deepEqual(fs.resolve('/tmp/hostetc', true).path, ['etc']);
    assert.deepEqual(fs.resolveLenient('/tmp/dangling'), ['nowhere', 'x']);
    assert.deepEqual(fs.resolveLenient('/tmp/up'), []);
  });

  it('enters mounts at their destinations, even one reached through a symlink of the image', () => {
    assert.equal(read('/vol/inv'), 'in the volume');
    assert.equal(fs.resolve('/vol', true).mount?.destination, '/vol');
    assert.equal(fs.resolve('/vol', true).pinned, true);
    assert.equal(read('/etc/hosts'), '127.0.0.1 localhost\n');
    assert.equal(read('/tmp/hostetc/hosts'), '127.0.0.1 localhost\n');
    assert.equal(read('/srv/data/x'), 'data volume');
    assert.equal(read('/data/x'), 'data volume');
    assert.equal(fs.resolve('/data/x', true).mount?.writable, false);
    // a symlink in a volume resolves in the container, and ".." leaves the volume for its mount point's parent
    assert.equal(read('/vol/pw'), 'container passwd\n');
    assert.deepEqual(fs.resolve('/vol/..', true).path, []);
    assert.equal(fs.hasMountUnder(['etc']), true);
    assert.equal(fs.hasMountUnder(['tmp']), false);
  });

  it('lists a tree as tar items, mounts included, names rebased', () => {
    const names = [...fs.items(fs.resolve('/vol', true), 'v')].map((i) => i.header.name);
    assert.deepEqual(names, ['v', 'v/inv', 'v/pw']);
    const etc = [...fs.items(fs.resolve('/etc/.', true), '.')].map((i) => [i.header.name, i.header.size]);
    assert.deepEqual(etc, [['.', 0], ['./hosts', 20], ['./passwd', 17]]);
    const top = [...fs.childItems(fs.resolve('/', true), (n) => n)].map((i) => i.header.name);
    assert.ok(top.includes('data') && top.includes('tmp/hostetc') && top.includes('vol/inv'), top.join(' '));
  });
});
