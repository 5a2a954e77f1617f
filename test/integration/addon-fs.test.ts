/**
 * The addon's file-system calls as root, on the real kernel: device nodes
 * and fifos by mknod, trusted.* and security.capability xattrs (which only
 * root may set), and mount/umount2 of a tmpfs and an overlay whose upper
 * layer has a whiteout (0:0 character device) and an opaque directory.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EngineError } from '../../src/errors/engine-error.js';
import { lgetxattr, llistxattr, lsetxattr, mknod, mount, MNT, MS, S_IF, umount2 } from '../../src/sys/addon.js';
import { missing } from '../helpers/requirements.js';

/** A file capability (VFS_CAP_REVISION_2, cap_net_raw in permitted, effective): bytes a UTF-8 string cannot hold. */
const CAP_NET_RAW = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

describe('addon file-system calls (root)', { skip: missing('root') }, () => {
  let dir = '';
  const mounted: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-test-addon-'));
  });
  afterEach(() => {
    for (const m of mounted.splice(0).reverse()) umount2(m, MNT.DETACH);
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes character and block devices and fifos', () => {
    mknod(join(dir, 'null'), S_IF.CHR | 0o666, 1, 3);
    mknod(join(dir, 'loop'), S_IF.BLK | 0o600, 7, 1000);
    mknod(join(dir, 'fifo'), S_IF.FIFO | 0o644, 0, 0);
    const c = lstatSync(join(dir, 'null'));
    assert.ok(c.isCharacterDevice());
    assert.equal(c.rdev, (1 << 8) | 3);
    writeFileSync(join(dir, 'null'), 'discarded');
    const b = lstatSync(join(dir, 'loop'));
    assert.ok(b.isBlockDevice());
    // new-style dev_t: minor's high bits above bit 20
    assert.equal(b.rdev, (7 << 8) | (1000 & 0xff) | ((1000 & ~0xff) << 12));
    assert.ok(lstatSync(join(dir, 'fifo')).isFIFO());
    assert.throws(() => mknod(join(dir, 'null'), S_IF.CHR, 1, 3), (err: unknown) => err instanceof EngineError && err.kind === 'Conflict' && /^mknod ".*\/null" \(char 1:3, mode 0000\): File exists \[EEXIST\]$/.test(err.message));
  });

  it('sets trusted.* and security.capability, binary values intact', () => {
    const f = join(dir, 'f');
    writeFileSync(f, '');
    lsetxattr(f, 'security.capability', CAP_NET_RAW);
    lsetxattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
    assert.deepEqual(lgetxattr(f, 'security.capability'), CAP_NET_RAW);
    assert.deepEqual(lgetxattr(dir, 'trusted.overlay.opaque'), Buffer.from('y'));
    assert.ok(llistxattr(f).includes('security.capability'));
  });

  it('mounts and unmounts a tmpfs, read-only by flag', () => {
    const m = join(dir, 'm');
    mkdirSync(m);
    mount('berth-test', m, 'tmpfs', MS.NOSUID | MS.NODEV | MS.RDONLY, 'size=1m,mode=0755');
    mounted.push(m);
    const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === m);
    assert.ok(line, 'the tmpfs is in mountinfo');
    assert.match(line, / ro,nosuid,nodev/);
    assert.throws(() => writeFileSync(join(m, 'x'), ''), /EROFS/);
    umount2(m, 0);
    mounted.pop();
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${m} `));
  });

  it('mounts an overlay where a whiteout hides a lower file and an opaque directory hides a lower tree', () => {
    for (const d of ['lower/keep', 'lower/opq', 'upper/opq', 'work', 'merged']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'lower/gone'), 'lower');
    writeFileSync(join(dir, 'lower/keep/a'), 'lower');
    writeFileSync(join(dir, 'lower/opq/hidden'), 'lower');
    writeFileSync(join(dir, 'upper/opq/new'), 'upper');
    mknod(join(dir, 'upper/gone'), S_IF.CHR, 0, 0);
    lsetxattr(join(dir, 'upper/opq'), 'trusted.overlay.opaque', Buffer.from('y'));
    const merged = join(dir, 'merged');
    mount('overlay', merged, 'overlay', 0, `lowerdir=${join(dir, 'lower')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`);
    mounted.push(merged);
    assert.deepEqual(readdirSync(merged).sort(), ['keep', 'opq']);
    assert.ok(!existsSync(join(merged, 'gone')));
    assert.deepEqual(readdirSync(join(merged, 'opq')), ['new']);
    assert.equal(readFileSync(join(merged, 'keep/a'), 'utf8'), 'lower');
  });

  it('names the overlay and its options when the kernel refuses the mount', () => {
    const merged = join(dir, 'merged');
    mkdirSync(merged);
    assert.throws(
      () => mount('overlay', merged, 'overlay', MS.RDONLY, `lowerdir=${join(dir, 'absent')}`),
      (err: unknown) => err instanceof EngineError && err.code === 'MOUNT' && err.message.startsWith(`mount "overlay" on "${merged}" (overlay, MS_RDONLY, "lowerdir=${join(dir, 'absent')}"): `),
    );
  });
});
