import { SYSCALLS_X32 } from './syscalls-x32.generated.js';
import { SYSCALLS_X86 } from './syscalls-x86.generated.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.generated.js';

/**
 * A seccomp filter as the BPF compiler takes it (read from `linux.seccomp`
 * by runtime/config/seccomp.ts): every action resolved to its SECCOMP_RET_*
 * value, every name checked against the ABIs' tables. Semantics follow
 * runc on libseccomp, so that a profile means the same under both runtimes.
 */

/** The ABIs an x86_64 kernel runs; a filter sees them as (audit arch, nr). */
export type Arch = 'x86_64' | 'x86' | 'x32';

export const SYSCALL_TABLES: Record<Arch, Readonly<Record<string, number>>> = {
  x86_64: SYSCALLS_X86_64,
  x86: SYSCALLS_X86,
  x32: SYSCALLS_X32,
};

/** SECCOMP_RET_* (linux/seccomp.h); ERRNO and TRACE carry 16 bits of data. */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** The SECCOMP_FILTER_FLAG_* a spec may ask for (linux.seccomp.flags). */
export const FILTER_FLAG = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
} as const;
/** Set by the runtime itself when an action is SCMP_ACT_NOTIFY. */
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

/** libseccomp's architecture names; those of other CPUs never reach an x86_64 kernel's filter. */
export const ARCHES: Record<string, Arch | null> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X32: 'x32',
  ...Object.fromEntries(
    ['ARM', 'AARCH64', 'LOONGARCH64', 'M68K', 'MIPS', 'MIPS64', 'MIPS64N32', 'MIPSEL', 'MIPSEL64', 'MIPSEL64N32', 'PPC', 'PPC64', 'PPC64LE', 'S390', 'S390X', 'PARISC', 'PARISC64', 'RISCV64', 'SH', 'SHEB'].map((a) => [`SCMP_ARCH_${a}`, null]),
  ),
};

export type CmpOp = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';
export const OPS: readonly CmpOp[] = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

/** One comparison of syscall argument `index`. MASKED_EQ: (arg & value) == valueTwo. */
export interface ArgCmp {
  index: number;
  op: CmpOp;
  value: bigint;
  valueTwo: bigint;
}

/** A match for one system call: all of `args` must hold (an empty list always matches). */
export interface SyscallRule {
  name: string;
  /** SECCOMP_RET_* with its data */
  action: number;
  args: ArgCmp[];
}

export interface SeccompFilter {
  defaultAction: number;
  /** Always x86_64 first: libseccomp keeps the native ABI in every filter. */
  arches: Arch[];
  flags: number;
  rules: SyscallRule[];
  /** Set when an action is SCMP_ACT_NOTIFY. */
  listenerPath?: string | undefined;
  listenerMetadata?: string | undefined;
  usesNotify: boolean;
}
