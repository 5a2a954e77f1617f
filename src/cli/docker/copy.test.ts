import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyInfoDestinationPath, getRebaseName, prepareArchiveCopy, rebaser, resolveLocalPath, splitCpArg, validateOutputPath, type CopyInfo } from './copy.js';

const info = (path: string, exists: boolean, isDir: boolean, rebaseName = ''): CopyInfo => ({ path, exists, isDir, rebaseName });

describe('berth cp: docker\'s client rules', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bth-cp-rules-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'file'), 'x');
    symlinkSync('sub', join(dir, 'to-sub'));
    symlinkSync('missing', join(dir, 'dangling'));
    symlinkSync('loop', join(dir, 'loop'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('splits CONTAINER:PATH, but not absolute paths or ./relative ones with a colon', () => {
    assert.deepEqual(splitCpArg('c1:/etc/x'), { container: 'c1', path: '/etc/x' });
    assert.deepEqual(splitCpArg('c1:'), { container: 'c1', path: '' });
    assert.deepEqual(splitCpArg('/abs:x'), { container: '', path: '/abs:x' });
    assert.deepEqual(splitCpArg('./a:b'), { container: '', path: './a:b' });
    assert.deepEqual(splitCpArg('plain'), { container: '', path: 'plain' });
    assert.deepEqual(splitCpArg('-'), { container: '', path: '-' });
  });

  it('makes local paths absolute and keeps their trailing "/" or "/."', () => {
    assert.equal(resolveLocalPath('a/b/', '/w'), '/w/a/b/');
    assert.equal(resolveLocalPath('a/.', '/w'), '/w/a/.');
    assert.equal(resolveLocalPath('../x', '/w/y'), '/w/x');
  });

  it('picks the directory to unpack in and the rename (PrepareArchiveCopy)', () => {
    // into an existing directory: as it is
    assert.deepEqual(prepareArchiveCopy(info('/c/f', true, false), info('/h/dir', true, true)), { dir: '/h/dir' });
    // onto an existing file, or to a new name: the parent, the entry renamed
    const file = prepareArchiveCopy(info('/c/f', true, false), info('/h/g', true, false));
    assert.equal(file.dir, '/h');
    assert.equal(file.rename!('f'), 'g');
    const dirToNew = prepareArchiveCopy(info('/c/d', true, true), info('/h/new', false, false));
    assert.equal(dirToNew.rename!('d/x/d'), 'new/x/d');
    const contents = prepareArchiveCopy(info('/c/d/.', true, true), info('/h/new', false, false));
    assert.equal(contents.rename!('./x'), 'new/x');
    const followed = prepareArchiveCopy(info('/etc', true, true, 'link'), info('/h/new', false, false));
    assert.equal(followed.rename!('link/passwd'), 'new/passwd');
    assert.throws(() => prepareArchiveCopy(info('/c/d', true, true), info('/h/g', true, false)), { message: 'cannot copy directory' });
    assert.throws(() => prepareArchiveCopy(info('/c/f', true, false), info('/h/new/', false, false)), { message: 'no such directory' });
    assert.throws(() => prepareArchiveCopy(info('/c/f', true, false), info('/h/new/.', false, false)), /no such directory/);
  });

  it('renames entries as RebaseArchiveEntries does, the root as an empty prefix', () => {
    assert.equal(rebaser('/', 'dst')('/bin/sh'), 'dst/bin/sh');
    assert.equal(rebaser('etc', 'x')('etc/'), 'x/');
  });

  it('rebases a followed symlink to the name asked for (GetRebaseName)', () => {
    assert.deepEqual(getRebaseName('/tmp/link', '/etc'), { path: '/etc', rebaseName: 'link' });
    assert.deepEqual(getRebaseName('/tmp/link/', '/etc'), { path: '/etc/', rebaseName: 'link' });
    assert.deepEqual(getRebaseName('/tmp/link/.', '/etc'), { path: '/etc/.', rebaseName: '' });
    assert.deepEqual(getRebaseName('/tmp/etc', '/etc'), { path: '/etc', rebaseName: '' });
  });

  it('checks an output path as docker does', () => {
    validateOutputPath(join(dir, 'new'));
    validateOutputPath(join(dir, 'file'));
    assert.throws(() => validateOutputPath(join(dir, 'nodir', 'x')), { message: `invalid output path: directory "${join(dir, 'nodir')}" does not exist` });
    assert.throws(() => validateOutputPath('/dev/null'), { message: 'invalid output path: "/dev/null" must be a directory or a regular file: got a device' });
  });

  it('follows local destination symlinks, a dangling one to where it points', () => {
    assert.deepEqual(copyInfoDestinationPath(join(dir, 'to-sub')), info(join(dir, 'sub'), true, true));
    assert.deepEqual(copyInfoDestinationPath(join(dir, 'dangling')), info(join(dir, 'missing'), false, false));
    assert.deepEqual(copyInfoDestinationPath(join(dir, 'new')), info(join(dir, 'new'), false, false));
    assert.throws(() => copyInfoDestinationPath(join(dir, 'loop')), /too many symlinks/);
    assert.throws(() => copyInfoDestinationPath(join(dir, 'file', 'x')), /not a directory/);
    assert.throws(() => copyInfoDestinationPath(join(dir, 'nodir', 'x')), /no such file or directory/);
  });
});
