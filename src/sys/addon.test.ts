import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EngineError } from '../errors/engine-error.js';
import { addon, attachDeviceFilter, errnoOfHostCall, lgetxattr, llistxattr, lremovexattr, lsetxattr, mknod, mount, MS, S_IF, umount2 } from './addon.js';
import { nativeBinary } from './native-paths.js';

/** One instruction: r0 = 1 (ALU|K|MOV), then exit: a program that allows everything. */
const ALLOW_ALL = Buffer.from([0xb4, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

describe('native addon loader', () => {
  // first, while nothing is loaded yet: a missing build says how to make it
  it('says how to build the addon when it is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'berth-noaddon-'));
    const saved = process.env['BERTH_NATIVE_DIR'];
    process.env['BERTH_NATIVE_DIR'] = empty;
    try {
      assert.throws(addon, (err: unknown) => err instanceof EngineError && err.code === 'NO_ADDON' && err.message.includes(join(empty, 'berth_addon.node')) && err.hint === 'build the native part with: npm ci');
    } finally {
      if (saved === undefined) delete process.env['BERTH_NATIVE_DIR'];
      else process.env['BERTH_NATIVE_DIR'] = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });

  const built = existsSync(nativeBinary('berth_addon.node')) || 'needs the native build (npm run build)';
  it('checks its arguments and names the operation and directory when one fails (no root needed)', { skip: built === true ? false : built }, () => {
    const native = addon();
    assert.throws(() => native.attachDeviceFilter('/x', Buffer.alloc(12)), /program must be 1 to 1000000 instructions of 8 bytes/);
    assert.throws(() => native.attachDeviceFilter('/x', 'insns' as unknown as Buffer), TypeError);
    assert.throws(() => native.attachDeviceFilter('/x\0y', ALLOW_ALL), /cgroupDir must be a string without NUL/);
    assert.throws(
      () => attachDeviceFilter('/nonexistent/berth-cgroup', ALLOW_ALL),
      (err: unknown) => err instanceof EngineError && err.code === 'DEVICE_FILTER' && err.kind === 'NotFound' && err.message === 'attach device filter to "/nonexistent/berth-cgroup": open: No such file or directory [ENOENT]',
    );
    assert.throws(() => native.attachedDeviceFilters('/nonexistent/berth-cgroup'), (err: unknown) => (err as { code?: string }).code === 'ENOENT' && /^query device filters of "\/nonexistent\/berth-cgroup": open/.test((err as Error).message));
  });

  it('checks the arguments of the file-system calls', { skip: built === true ? false : built }, () => {
    const native = addon();
    assert.throws(() => (native.mknod as (...a: unknown[]) => void)('/x', 0o20644, 1), /mknod\(path, mode, major, minor\) takes 4 arguments/);
    assert.throws(() => native.mknod('/x', -1, 0, 0), /mode must be an integer/);
    assert.throws(() => native.mknod('/x', 0o20644, 1.5, 0), /major must be an integer/);
    assert.throws(() => native.mknod('/x\0y', 0o20644, 1, 3), /path must be a string without NUL/);
    assert.throws(() => native.lsetxattr('/x', 'user.a', 'y' as unknown as Buffer, 0), /value must be a Buffer/);
    assert.throws(() => native.lsetxattr('/x', 'user.a', Buffer.from('y'), 4), /flags must be 0, 1/);
    assert.throws(() => native.mount('a', 'b', 'c', 2 ** 32, ''), /flags must be a non-negative integer below 2\^32/);
  });

  it('reports failures as EngineErrors with the errno name (no root needed)', { skip: built === true ? false : built }, () => {
    const isErr = (kind: string, code: string, message: string) => (err: unknown) =>
      err instanceof EngineError && err.kind === kind && err.code === code && err.message === message;
    assert.throws(() => mknod('/nonexistent/berth-dev', S_IF.CHR | 0o600, 1, 3), isErr('NotFound', 'MKNOD', 'mknod "/nonexistent/berth-dev" (char 1:3, mode 0600): No such file or directory [ENOENT]'));
    assert.throws(() => lsetxattr('/nonexistent/f', 'user.a', Buffer.from('v')), isErr('NotFound', 'XATTR', 'set xattr "user.a" on "/nonexistent/f": No such file or directory [ENOENT]'));
    assert.throws(() => llistxattr('/nonexistent/f'), isErr('NotFound', 'XATTR', 'list xattrs of "/nonexistent/f": No such file or directory [ENOENT]'));
    assert.throws(() => lremovexattr('/nonexistent/f', 'user.a'), (err: unknown) => errnoOfHostCall(err) === 'ENOENT');
    assert.throws(
      () => mount('none', '/nonexistent/berth-mnt', 'tmpfs', MS.NOSUID | MS.NODEV | MS.REC | 0x10000000, 'size=1m'),
      (err: unknown) => err instanceof EngineError && err.code === 'MOUNT' && /^mount "none" on "\/nonexistent\/berth-mnt" \(tmpfs, MS_NOSUID\|MS_NODEV\|MS_REC\|0x10000000, "size=1m"\): .* \[E[A-Z]+\]$/.test(err.message),
    );
    assert.throws(() => umount2('/nonexistent/berth-mnt', 2), (err: unknown) => err instanceof EngineError && err.code === 'UNMOUNT' && /^unmount "\/nonexistent\/berth-mnt" \(MNT_DETACH\): /.test(err.message));
  });

  it('sets, reads, lists and removes user xattrs, never through a symlink', { skip: built === true ? false : built }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-test-xattr-'));
    try {
      const file = join(dir, 'f');
      writeFileSync(file, '');
      try {
        lsetxattr(file, 'user.berth', Buffer.from([0, 0xff, 0x80, 1]));
      } catch (err) {
        if (errnoOfHostCall(err) === 'EOPNOTSUPP') return t.skip(`${tmpdir()} has no user xattrs`);
        throw err;
      }
      assert.deepEqual(lgetxattr(file, 'user.berth'), Buffer.from([0, 0xff, 0x80, 1]));
      assert.equal(lgetxattr(file, 'user.none'), undefined);
      assert.ok(llistxattr(file).includes('user.berth'));
      assert.throws(() => lsetxattr(file, 'user.berth', Buffer.from('x'), 1), (err: unknown) => err instanceof EngineError && err.kind === 'Conflict' && errnoOfHostCall(err) === 'EEXIST');
      // through a symlink: the link's own attributes (user.* cannot be set on a symlink), never the target's
      symlinkSync('f', join(dir, 'l'));
      assert.deepEqual(llistxattr(join(dir, 'l')), []);
      assert.throws(() => lsetxattr(join(dir, 'l'), 'user.other', Buffer.from('x')), (err: unknown) => errnoOfHostCall(err) === 'EPERM');
      assert.equal(lgetxattr(file, 'user.other'), undefined);
      lremovexattr(file, 'user.berth');
      assert.equal(lgetxattr(file, 'user.berth'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
