import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { readFileInRoot } from './in-root.js';
import { resolveUser, resolveUserFrom } from './user.js';

// the files of test/interop's busybox image, as dockerd 20.10 resolved them
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\nstaff:x:50:alice\nalice:x:1000:\nwheel:x:10:root,alice\n';
const resolve = (spec: string, add: string[] = []) => resolveUserFrom(PASSWD, GROUP, spec, add);
const refused = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.match(err.message, message);
    return true;
  });
};

describe('resolveUserFrom: what dockerd 20.10 wrote for each -u', () => {
  it('"" is root, with the groups that list root', () => {
    assert.deepEqual(resolve(''), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
  });
  it('a name: its ids, the primary gid first, then the groups listing it in file order', () => {
    assert.deepEqual(resolve('alice'), { uid: 1000, gid: 1000, additionalGids: [1000, 50, 10], home: '/home/alice' });
  });
  it('a number is always a uid, and finds the same entry', () => {
    assert.deepEqual(resolve('1000').additionalGids, [1000, 50, 10]);
  });
  it('uid:gid and name:group set the group, with no supplementary groups', () => {
    assert.deepEqual(resolve('1000:50'), { uid: 1000, gid: 50, additionalGids: [50], home: '/home/alice' });
    assert.deepEqual(resolve('alice:wheel').additionalGids, [10]);
    assert.equal(resolve('alice:4242').gid, 4242);
  });
  it('a uid with no entry is fine, with gid 0', () => {
    assert.deepEqual(resolve('4000'), { uid: 4000, gid: 0, additionalGids: [0] });
  });
  it('--group-add: names and numbers after the user\'s groups, in order', () => {
    assert.deepEqual(resolve('nobody', ['staff', '4242', 'wheel']).additionalGids, [65534, 50, 4242, 10]);
    assert.deepEqual(resolve('', ['0']).additionalGids, [0, 10, 0]);
  });
  it('unknown names are errors with dockerd\'s messages', () => {
    refused(() => resolve('bob'), 'NO_SUCH_USER', /^unable to find user bob: no matching entries in passwd file$/);
    refused(() => resolve('alice:nogrp'), 'NO_SUCH_GROUP', /^unable to find group nogrp: no matching entries in group file$/);
    refused(() => resolve('', ['nogrp']), 'NO_SUCH_GROUP', /^Unable to find group nogrp: no matching entries in group file$/);
    // a group asked twice: the second finds its gid taken, and is no number (runc's rule)
    refused(() => resolve('', ['staff', 'staff']), 'NO_SUCH_GROUP', /Unable to find group staff/);
  });
  it('ids out of range are refused', () => {
    refused(() => resolve('-1'), 'USER_ID_RANGE', /uids and gids must be in range 0-2147483647/);
    refused(() => resolve('2147483648'), 'USER_ID_RANGE', /range/);
    refused(() => resolve('0:-5'), 'USER_ID_RANGE', /range/);
  });
  it('without the files, numbers still work and names do not', () => {
    assert.deepEqual(resolveUserFrom(undefined, undefined, '', []), { uid: 0, gid: 0, additionalGids: [0] });
    assert.deepEqual(resolveUserFrom(undefined, undefined, '5:6', ['7']), { uid: 5, gid: 6, additionalGids: [6, 7] });
    refused(() => resolveUserFrom(undefined, undefined, 'root', []), 'NO_SUCH_USER', /root/);
  });
  it('reads odd lines as libcontainer does: first match wins, bad numbers are 0, blank lines skipped', () => {
    const passwd = '\n  dup:x:7:7::/a:/bin/sh  \ndup:x:8:8::/b:/bin/sh\nbad:x:zz:1\n';
    assert.equal(resolveUserFrom(passwd, '', 'dup', []).uid, 7);
    assert.equal(resolveUserFrom(passwd, '', 'bad', []).uid, 0);
  });
});

describe('resolveUser and readFileInRoot: files inside the root only', () => {
  let dir: string;
  let root: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-spec-user-'));
    root = join(dir, 'rootfs');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'real'), { recursive: true });
    writeFileSync(join(dir, 'host-secret'), 'evil:x:0:0::/:/bin/sh\n');
    writeFileSync(join(root, 'real', 'group'), GROUP);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads <rootfs>/etc/passwd and /etc/group', () => {
    writeFileSync(join(root, 'etc', 'passwd'), PASSWD);
    symlinkSync('../real/group', join(root, 'etc', 'group'));
    assert.deepEqual(resolveUser(root, 'alice', ['wheel']).additionalGids, [1000, 50, 10, 10]);
  });
  it('resolves absolute and ../ symlinks against the root, never the host', () => {
    symlinkSync('/../../../host-secret', join(root, 'abs'));
    symlinkSync('../../../../host-secret', join(root, 'etc', 'rel'));
    assert.equal(readFileInRoot(root, '/abs'), undefined);
    assert.equal(readFileInRoot(root, '/etc/rel'), undefined);
    writeFileSync(join(root, 'host-secret'), 'inside\n');
    assert.equal(readFileInRoot(root, '/abs'), 'inside\n');
    assert.equal(readFileInRoot(root, '/etc/rel'), 'inside\n');
    assert.equal(readFileInRoot(root, '/../../etc/../host-secret'), 'inside\n');
  });
  it('follows symlinked directories inside the root', () => {
    symlinkSync('/real', join(root, 'linkdir'));
    assert.equal(readFileInRoot(root, '/linkdir/group'), GROUP);
  });
  it('answers undefined for what is missing or is no regular file', () => {
    assert.equal(readFileInRoot(root, '/nope/passwd'), undefined);
    assert.equal(readFileInRoot(root, '/etc'), undefined);
    assert.equal(readFileInRoot(root, '/etc/passwd/x'), undefined);
    assert.equal(readFileInRoot(root, '/'), undefined);
  });
  it('fails on a symlink loop', () => {
    symlinkSync('loop2', join(root, 'loop1'));
    symlinkSync('loop1', join(root, 'loop2'));
    assert.throws(() => readFileInRoot(root, '/loop1'), (err: unknown) => isEngineError(err, 'ROOTFS_SYMLINK_LOOP'));
  });
  it('a root with no /etc gives the numeric defaults', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    assert.deepEqual(resolveUser(empty, undefined, null), { uid: 0, gid: 0, additionalGids: [0] });
  });
});
