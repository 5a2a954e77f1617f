// Generated from native/include/protocol.h by scripts/gen-protocol.mjs. Do not edit.

export const Plan = {
  MAGIC: 0x50545242,
  VERSION: 2,
} as const;

export const Arg = {
  U64: 1,
  STR: 2,
  BYTES: 3,
} as const;

export const Op = {
  PARENT_MODE: 1,
  CONSOLE_SOCKET: 2,
  EXEC_FIFO: 3,
  JOIN_NS: 4,
  NEW_TIME_NS: 5,
  OPEN_EXEC_ROOT: 6,
  PRESERVE_FDS: 7,
  CGROUP_JOIN: 10,
  CLONE: 19,
  CONSOLE_RELAY: 9,
  SECCOMP_AGENT: 8,
  SETGROUPS: 20,
  UID_MAP: 21,
  GID_MAP: 22,
  UID_MAP_HELPER: 23,
  GID_MAP_HELPER: 24,
  WAIT_MAPS: 40,
  SYNC: 41,
  UNSHARE: 42,
  OOM_SCORE_ADJ: 43,
  PREPARE_ROOT: 44,
  MOUNT: 45,
  MOUNT_PROPAGATION: 46,
  MKDIR: 47,
  MKNOD: 48,
  SYMLINK: 49,
  PIVOT_ROOT: 50,
  CHROOT: 51,
  ROOT_PROPAGATION: 52,
  SYSCTL: 53,
  MASK_PATH: 54,
  READONLY_PATH: 55,
  REMOUNT_ROOT_RO: 56,
  SETHOSTNAME: 57,
  SETDOMAINNAME: 58,
  SETUP_TTY: 59,
  ENTER_EXEC_ROOT: 60,
  RLIMIT: 61,
  SET_ARGV: 62,
  SET_ENV: 63,
  RESOLVE_EXEC: 64,
  READY: 65,
  WAIT_START: 66,
  HOOK: 67,
  SET_USER: 68,
  CAPS: 69,
  NO_NEW_PRIVS: 70,
  CWD: 71,
  EXEC: 72,
  SET_EXEC_PATH: 73,
  LOOPBACK_UP: 74,
  SECCOMP: 80,
} as const;

export const Dest = {
  DIR: 0,
  FILE: 1,
} as const;

export const Msg = {
  PID: 1,
  SYNC: 2,
  SYNC_ACK: 3,
  READY: 4,
  ERROR: 5,
  EXIT: 6,
  ABORT: 7,
  WARNING: 8,
} as const;

export const Sync = {
  PARENT_SETUP: 1,
  HOOKS: 2,
  RESOURCES: 3,
  SECCOMP_AGENT: 4,
} as const;

export const Err = {
  GENERIC: 1,
  EXEC_NOT_FOUND: 2,
  EXEC_DENIED: 3,
  BAD_PLAN: 4,
} as const;
