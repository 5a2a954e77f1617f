import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../errors/engine-error.js';
import { classifyName, entryComponents, isLayerXattr, whiteoutName } from './paths.js';

const refused = (name: string, why: RegExp) => () =>
  assert.throws(() => entryComponents(name), (err: unknown) => err instanceof EngineError && err.code === 'LAYER_UNSAFE_PATH' && err.kind === 'InvalidArgument' && why.test(err.message));

describe('archive names', () => {
  it('become components relative to the root', () => {
    assert.deepEqual(entryComponents('etc/passwd'), ['etc', 'passwd']);
    assert.deepEqual(entryComponents('./etc//x/'), ['etc', 'x']);
    assert.deepEqual(entryComponents('././a/./b'), ['a', 'b']);
    assert.deepEqual(entryComponents('.'), []);
    assert.deepEqual(entryComponents('./'), []);
    assert.deepEqual(entryComponents('..foo/...'), ['..foo', '...']);
  });
  it('refuses absolute names', refused('/etc/passwd', /unsafe name "\/etc\/passwd" in the archive: it is absolute/));
  it('refuses a leading ..', refused('../outside', /it has a "\.\." component/));
  it('refuses .. in the middle, even one that stays inside', refused('a/../b', /it has a "\.\." component/));
  it('refuses a trailing ..', refused('a/b/..', /it has a "\.\." component/));
  it('refuses NUL', refused('a\0b', /NUL/));

  it('classifies whiteouts, opaque markers and AUFS metadata', () => {
    assert.deepEqual(classifyName('.wh.foo'), { kind: 'whiteout', name: 'foo' });
    assert.deepEqual(classifyName('.wh..wh..opq'), { kind: 'opaque' });
    assert.deepEqual(classifyName('.wh..wh.plnk'), { kind: 'meta' });
    assert.deepEqual(classifyName('.wh..hidden'), { kind: 'whiteout', name: '.hidden' });
    assert.deepEqual(classifyName('foo.wh.'), { kind: 'normal' });
    assert.throws(() => classifyName('.wh...'), /a whiteout must name a file/);
    assert.throws(() => classifyName('.wh.'), /a whiteout must name a file/);
    assert.throws(() => classifyName('.wh..'), /a whiteout must name a file/);
  });

  it('names whiteouts beside the deleted path', () => {
    assert.equal(whiteoutName('a'), '.wh.a');
    assert.equal(whiteoutName('a/b/c'), 'a/b/.wh.c');
  });

  it('carries capabilities and user xattrs only', () => {
    assert.ok(isLayerXattr('security.capability'));
    assert.ok(isLayerXattr('user.mime_type'));
    for (const n of ['trusted.overlay.opaque', 'trusted.x', 'security.selinux', 'security.ima', 'system.posix_acl_access', 'user.overlay.opaque']) assert.ok(!isLayerXattr(n), n);
  });
});
