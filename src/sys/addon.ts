import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EngineError, errnoOf, type ErrorKind } from '../errors/engine-error.js';
import { nativeBinary } from './native-paths.js';

/**
 * berth_addon.node (native/addon/, built by node-gyp with berth-init): the
 * host syscalls Node lacks. It is loaded on first use, not at start-up: a
 * `run` that needs none of it pays nothing for it (dlopen and N-API module
 * set-up), and a build without it fails only the command that needs it.
 */
export interface BerthAddon {
  /**
   * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn array, host
   * byte order) and attaches it to the cgroup v2 directory, replacing the
   * device filters attached there before (the new one is attached before the
   * old ones are detached). Throws an Error whose code is the errno name and
   * whose message names the operation and the directory (and carries the
   * verifier's log when the kernel refused the program).
   */
  attachDeviceFilter(cgroupDir: string, program: Buffer): void;
  /** The ids of the device programs attached to the directory itself. */
  attachedDeviceFilters(cgroupDir: string): number[];
  /** mknod(2); mode holds the file type (S_IFCHR…) and permission bits (less the umask). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2); flags 0, XATTR_CREATE (1) or XATTR_REPLACE (2). */
  lsetxattr(path: string, name: string, value: Buffer, flags: number): void;
  /** lgetxattr(2); throws ENODATA when the attribute is absent. */
  lgetxattr(path: string, name: string): Buffer;
  /** llistxattr(2): the names. */
  llistxattr(path: string): string[];
  /** lremovexattr(2). */
  lremovexattr(path: string, name: string): void;
  /** mount(2); an empty fstype or data is passed as NULL. */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  /** umount2(2). */
  umount2(target: string, flags: number): void;
  /** flock(fd, LOCK_EX | LOCK_NB): false when another open file holds the lock. */
  flockNonBlocking(fd: number): boolean;
  /**
   * posix_spawn(3) (no fork of the caller): runs `file` with `argv` and this
   * process's environment, the child's fd i being the caller's fds[i]; signal
   * dispositions and mask reset. Returns the pid, which must be waitPid'ed
   * (libuv reaps only its own children).
   */
  spawnDetached(file: string, argv: string[], fds: number[]): number;
  /** waitpid(2) on the thread pool: the raw wait status. */
  waitPid(pid: number): Promise<number>;
  /** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC). */
  socketPair(): [number, number];
  /** A close-on-exec memfd with the file's bytes, sealed against any change (berth-init's sealed copy). */
  sealedCopy(path: string): number;
  /** malloc_trim(0): the free memory of glibc's heaps back to the kernel; true when some was. */
  mallocTrim(): boolean;
  /**
   * The file system tasks below run whole as one task on the thread pool
   * (see native/addon/fs_batch.c and fs-tasks.ts); they reject with an
   * Error whose code is the errno name.
   *
   * mkdir(2) of each path in order, with the mode (less the umask): per
   * path "" where it was made, else "ENAME: text"; one failure does not stop
   * the rest.
   */
  mkdirs(paths: string[], mode: number): Promise<string[]>;
  /** rmdir(2) of each path in order, reported as mkdirs reports. */
  rmdirs(paths: string[]): Promise<string[]>;
  /** rm -r that follows no symlink and refuses (EXDEV) a directory on another file system; nothing there is no error. */
  removeTree(path: string): Promise<void>;
  /** `${path}.tmp-${pid}` written (fsync'ed when durable) and renamed over path; the temporary file is removed on failure. */
  writeFileAtomic(path: string, data: Buffer, mode: number, durable: boolean): Promise<void>;
}

let loaded: BerthAddon | undefined;

/** The addon, loaded once. */
export function addon(): BerthAddon {
  if (loaded) return loaded;
  const path = nativeBinary('berth_addon.node');
  if (!existsSync(path)) {
    throw new EngineError('Internal', 'NO_ADDON', `the native addon is missing: ${path}`, { hint: 'build the native part with: npm ci' });
  }
  try {
    // createRequire from the file itself: it works the same in the CommonJS
    // bundle (no import.meta there) and in the ESM sources the tests run.
    loaded = createRequire(path)(path) as BerthAddon;
  } catch (err) {
    throw new EngineError('Internal', 'NO_ADDON', `cannot load the native addon ${path}: ${(err as Error).message}`, { cause: err, hint: 'build the native part with: npm ci' });
  }
  return loaded;
}

/** attachDeviceFilter through the addon; its errors become EngineErrors that keep the errno name. */
export function attachDeviceFilter(cgroupDir: string, program: Buffer): void {
  const native = addon();
  try {
    native.attachDeviceFilter(cgroupDir, program);
  } catch (err) {
    const errno = (err as { code?: unknown }).code;
    // a program the verifier refused is berth's bug, whatever errno it came with
    const refused = (err as Error).message.includes('BPF_PROG_LOAD');
    const kind = refused ? 'Internal' : errno === 'EPERM' || errno === 'EACCES' ? 'Forbidden' : errno === 'ENOENT' ? 'NotFound' : 'Internal';
    // the errno name on the first line, as cgroupfs errors have it; the verifier's log (if any) below
    const [first, ...log] = (err as Error).message.trimEnd().split('\n');
    const tag = typeof errno === 'string' ? ` [${errno}]` : '';
    throw new EngineError(kind, 'DEVICE_FILTER', [`${first ?? ''}${tag}`, ...log].join('\n'), { cause: err });
  }
}

/** mount(2) flags (linux/mount.h), for mount(). */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  NOATIME: 0x400,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
} as const;

/** umount2(2) flags, for umount2(). */
export const MNT = { FORCE: 0x1, DETACH: 0x2, EXPIRE: 0x4, NOFOLLOW: 0x8 } as const;

/** The file type bits of a mode, for mknod(). */
export const S_IF = { FIFO: 0o010000, CHR: 0o020000, BLK: 0o060000, REG: 0o100000 } as const;

/**
 * A native call whose failure becomes an EngineError keeping the errno name
 * at the end of the message (`set xattr "user.x" on "/a": Operation not
 * supported [EOPNOTSUPP]`) and as the cause's code. Argument mistakes
 * (TypeError, RangeError) are berth's bugs and pass through unchanged.
 */
function hostCall<T>(code: string, call: (native: BerthAddon) => T): T {
  const native = addon();
  try {
    return call(native);
  } catch (err) {
    const errno = (err as { code?: unknown }).code;
    if (typeof errno !== 'string' || err instanceof TypeError || err instanceof RangeError) throw err;
    throw new EngineError(kindOfErrno(errno), code, `${(err as Error).message} [${errno}]`, { cause: err });
  }
}

function kindOfErrno(errno: string): ErrorKind {
  switch (errno) {
    case 'EPERM':
    case 'EACCES':
    case 'EROFS':
      return 'Forbidden';
    case 'ENOENT':
    case 'ENODATA':
      return 'NotFound';
    case 'EEXIST':
    case 'EBUSY':
      return 'Conflict';
    case 'EOPNOTSUPP':
    case 'ENOTSUP':
    case 'ENODEV':
      return 'NotImplemented';
    default:
      return 'Internal';
  }
}

/** The errno name an EngineError from these wrappers carries, if any. */
export function errnoOfHostCall(err: unknown): string | undefined {
  return err instanceof EngineError ? errnoOf(err.cause) : errnoOf(err);
}

/** mknod(2): a device node, fifo or (0:0 character device) overlay whiteout. */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  hostCall('MKNOD', (n) => n.mknod(path, mode, major, minor));
}

/** lsetxattr(2): never follows a symlink. */
export function lsetxattr(path: string, name: string, value: Buffer, flags = 0): void {
  hostCall('XATTR', (n) => n.lsetxattr(path, name, value, flags));
}

/** lgetxattr(2): the value, or undefined when the file has no such attribute. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  try {
    return hostCall('XATTR', (n) => n.lgetxattr(path, name));
  } catch (err) {
    if (errnoOfHostCall(err) === 'ENODATA') return undefined;
    throw err;
  }
}

/** llistxattr(2): the attribute names of the file itself (a symlink's own). */
export function llistxattr(path: string): string[] {
  return hostCall('XATTR', (n) => n.llistxattr(path));
}

/** lremovexattr(2). */
export function lremovexattr(path: string, name: string): void {
  hostCall('XATTR', (n) => n.lremovexattr(path, name));
}

/** mount(2); flags from MS. The message names source, target, type, decoded flags and data. */
export function mount(source: string, target: string, fstype: string, flags: number, data = ''): void {
  hostCall('MOUNT', (n) => n.mount(source, target, fstype, flags, data));
}

/**
 * An exclusive lock on a file, held for as long as this process lives
 * (flock: the kernel drops it when the process dies, however it dies).
 * False when another process holds it.
 */
export function lockFile(fd: number): boolean {
  return hostCall('LOCK', (n) => n.flockNonBlocking(fd));
}

/** umount2(2); flags from MNT. */
export function umount2(target: string, flags = 0): void {
  hostCall('UNMOUNT', (n) => n.umount2(target, flags));
}
