import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMount, splitTmpfs, volumeHasSource } from './mounts.js';

describe('--mount', () => {
  it('builds the API mount, leaving out what is not set', () => {
    assert.deepEqual(parseMount('type=bind,src=/a,dst=/b,readonly,bind-propagation=RSHARED'), {
      Type: 'bind',
      Source: '/a',
      Target: '/b',
      ReadOnly: true,
      BindOptions: { Propagation: 'rshared' },
    });
    assert.deepEqual(parseMount('target=/v'), { Type: 'volume', Target: '/v' });
    assert.deepEqual(parseMount('type=volume,destination=/v,volume-nocopy,volume-label=a=b,volume-label=c,volume-driver=local,volume-opt=o=1'), {
      Type: 'volume',
      Target: '/v',
      VolumeOptions: { NoCopy: true, Labels: { a: 'b', c: '' }, DriverConfig: { Name: 'local', Options: { o: '1' } } },
    });
    assert.deepEqual(parseMount('type=volume,target=/v,volume-nocopy=false'), { Type: 'volume', Target: '/v', VolumeOptions: { DriverConfig: {} } });
    assert.deepEqual(parseMount('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1777'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 2 ** 20, Mode: 0o1777 } });
    assert.deepEqual(parseMount('type=bind,source=/x,target=/y,bind-nonrecursive=false'), { Type: 'bind', Source: '/x', Target: '/y', BindOptions: {} });
    assert.deepEqual(parseMount('TYPE=BIND,Source=/x,TARGET=/y,RO=true,consistency=Cached'), { Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true, Consistency: 'cached' });
  });
  it("refuses what the CLI refuses, with its messages", () => {
    assert.throws(() => parseMount('type=bind'), { message: 'target is required' });
    assert.throws(() => parseMount('type=,target=/a'), { message: 'type is required' });
    assert.throws(() => parseMount('bogus'), { message: "invalid field 'bogus' must be a key=value pair" });
    assert.throws(() => parseMount('target=/a,foo=bar'), { message: "unexpected key 'foo' in 'foo=bar'" });
    assert.throws(() => parseMount('target=/a,readonly=maybe'), { message: 'invalid value for readonly: maybe' });
    assert.throws(() => parseMount('type=tmpfs,target=/a,tmpfs-mode=9'), { message: 'invalid value for tmpfs-mode: 9' });
    assert.throws(() => parseMount('type=tmpfs,target=/a,tmpfs-size=x'), { message: 'invalid value for tmpfs-size: x' });
    assert.throws(() => parseMount('type=bind,target=/a,volume-nocopy'), { message: "cannot mix 'volume-*' options with mount type 'bind'" });
    assert.throws(() => parseMount('target=/a,bind-propagation=shared'), { message: "cannot mix 'bind-*' options with mount type 'volume'" });
    assert.throws(() => parseMount('target=/a,tmpfs-size=1'), { message: "cannot mix 'tmpfs-*' options with mount type 'volume'" });
    assert.throws(() => parseMount(''), { message: 'EOF' });
  });
});

describe('-v', () => {
  it('tells binds and named volumes (a source) from anonymous volumes', () => {
    for (const bind of ['/h:/c', '/h:/c:ro', 'vol:/v', './rel:/r', '~/x:/y', 'a::b', 'vol:/v:nocopy']) assert.equal(volumeHasSource(bind), true, bind);
    for (const anon of ['/data', 'c:/foo', '/a', 'ab', '', 'C:\\x']) assert.equal(volumeHasSource(anon), false, anon);
  });
});

describe('--tmpfs', () => {
  it('splits the path from the options at the first colon', () => {
    assert.deepEqual(splitTmpfs('/run:rw,size=64m'), ['/run', 'rw,size=64m']);
    assert.deepEqual(splitTmpfs('/x'), ['/x', '']);
    assert.deepEqual(splitTmpfs('/x:a:b'), ['/x', 'a:b']);
  });
});
