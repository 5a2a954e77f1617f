import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goBase, goClean, goDir, goJoin, preserveTrailingDotOrSeparator, replaceFirst, specifiesCurrentDir, splitPathDirEntry } from './go-path.js';

describe('go-path: path/filepath as Go has it', () => {
  it('Clean drops trailing slashes, dots and double slashes', () => {
    const cases: [string, string][] = [['', '.'], ['/', '/'], ['//a//b/', '/a/b'], ['a/./b/..', 'a'], ['/../x', '/x'], ['../a', '../a'], ['a/..', '.']];
    for (const [input, want] of cases) assert.equal(goClean(input), want, input);
  });
  it('Base and Dir differ from Node where Go differs', () => {
    assert.equal(goBase('/a/b/'), 'b');
    assert.equal(goBase('/'), '/');
    assert.equal(goBase(''), '.');
    assert.equal(goBase('/a/.'), '.');
    assert.equal(goDir('/a/'), '/a');
    assert.equal(goDir('/a'), '/');
    assert.equal(goDir('a'), '.');
    assert.equal(goJoin('/', '/etc/'), '/etc');
    assert.equal(goJoin('/tmp/d', '/etc'), '/tmp/d/etc');
    assert.equal(goJoin('/tmp/d', '../../x'), '/x');
  });
  it('keeps a trailing "/" or "/." through cleaning (PreserveTrailingDotOrSeparator)', () => {
    assert.equal(preserveTrailingDotOrSeparator('/tmp/d', '/tmp/d/'), '/tmp/d/');
    assert.equal(preserveTrailingDotOrSeparator('/tmp/d', '/tmp/d/.'), '/tmp/d/.');
    assert.equal(preserveTrailingDotOrSeparator('/', '/.'), '/.');
    assert.equal(preserveTrailingDotOrSeparator('/tmp/d', 'tmp/d'), '/tmp/d');
    assert.equal(specifiesCurrentDir('/x/./'), true);
  });
  it('splits a path into its directory and entry, "." kept (SplitPathDirEntry)', () => {
    assert.deepEqual(splitPathDirEntry('/a/b/'), { dir: '/a', base: 'b' });
    assert.deepEqual(splitPathDirEntry('/a/b/.'), { dir: '/a/b', base: '.' });
    assert.deepEqual(splitPathDirEntry('/'), { dir: '/', base: '/' });
    assert.deepEqual(splitPathDirEntry('f'), { dir: '.', base: 'f' });
  });
  it('replaces the first occurrence only, and an empty old string prefixes', () => {
    assert.equal(replaceFirst('d/d/x', 'd', 'e'), 'e/d/x');
    assert.equal(replaceFirst('/bin', '', 'new'), 'new/bin');
    assert.equal(replaceFirst('abc', 'z', 'y'), 'abc');
  });
});
