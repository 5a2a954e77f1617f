import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonReader } from './json-reader.js';
import { readSeccomp } from './seccomp.js';
import { runFilter } from '../../security/seccomp/bpf-interpreter.js';
import { AUDIT_ARCH, BAD_ARCH_ACTION, NEWER_CALL_ACTION, X32_SYSCALL_BIT, compileInsns } from '../../security/seccomp/compile.js';
import { DOCKER_DEFAULT_CAPS, dockerDefaultProfile, dockerToOci } from '../../security/seccomp/docker-profile.js';
import { RET, SYSCALL_TABLES, type Arch, type ArgCmp, type SeccompFilter, type SyscallRule } from '../../security/seccomp/profile.js';

/**
 * The compiled program against a plain reading of the filter (the oracle
 * below), for every call number of every ABI: the program's shape (a
 * search over runs of calls) is free to change, its verdicts are not.
 */

const U64 = (1n << 64n) - 1n;

function holds(cmp: ArgCmp, arg: bigint, word32: boolean): boolean {
  const w = word32 ? 0xffffffffn : U64;
  const a = arg & w;
  const v = cmp.value & w;
  switch (cmp.op) {
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_MASKED_EQ': return (a & v) === (cmp.valueTwo & w);
  }
}

/** What the filter means for one call (libseccomp's semantics, as runc uses them). */
function oracle(filter: SeccompFilter, auditArch: number, nr: number, args: bigint[]): number {
  let arch: Arch | undefined;
  if (auditArch === AUDIT_ARCH.x86_64) arch = nr & X32_SYSCALL_BIT ? (filter.arches.includes('x32') ? 'x32' : undefined) : 'x86_64';
  else if (auditArch === AUDIT_ARCH.x86 && filter.arches.includes('x86')) arch = 'x86';
  if (!arch) return BAD_ARCH_ACTION;
  const table = SYSCALL_TABLES[arch];
  const word32 = arch !== 'x86_64';
  const mine = filter.rules.filter((r) => table[r.name] === nr && r.action !== filter.defaultAction);
  // the same argument compared twice in one rule: each comparison is a rule of its own
  const split = mine.flatMap((r): SyscallRule[] => (new Set(r.args.map((a) => a.index)).size !== r.args.length ? r.args.map((a) => ({ ...r, args: [a] })) : [r]));
  const ordered = [...split.filter((r) => r.args.length > 0), ...split.filter((r) => r.args.length === 0)];
  const hit = ordered.find((r) => r.args.every((c) => holds(c, args[c.index] ?? 0n, word32)));
  if (hit) return hit.action;
  const d = filter.defaultAction;
  if (d !== RET.ALLOW && d !== RET.LOG && d !== NEWER_CALL_ACTION) {
    const named = filter.rules.map((r) => table[r.name]).filter((n): n is number => n !== undefined);
    if (named.length && nr >>> 0 > Math.max(...named)) return NEWER_CALL_ACTION;
  }
  return d;
}

/** Argument vectors that reach each side of every comparison the call's rules make. */
function argumentCases(filter: SeccompFilter, arch: Arch, nr: number): bigint[][] {
  const cmps = filter.rules.filter((r) => SYSCALL_TABLES[arch][r.name] === nr).flatMap((r) => r.args);
  const cases: bigint[][] = [[0n, 0n, 0n, 0n, 0n, 0n]];
  for (const c of cmps) {
    for (const v of [c.value, c.value + 1n, c.value - 1n, c.value | (1n << 32n), c.valueTwo, c.valueTwo | c.value, U64]) {
      const args = [0n, 0n, 0n, 0n, 0n, 0n];
      args[c.index] = v & U64;
      cases.push(args);
    }
  }
  // every comparison of a rule holding at once
  for (const r of filter.rules.filter((x) => SYSCALL_TABLES[arch][x.name] === nr && x.args.length > 1)) {
    const args = [0n, 0n, 0n, 0n, 0n, 0n];
    for (const c of r.args) args[c.index] = c.op === 'SCMP_CMP_MASKED_EQ' ? c.valueTwo : c.op === 'SCMP_CMP_GT' ? c.value + 1n : c.op === 'SCMP_CMP_LT' ? c.value - 1n : c.value;
    cases.push(args.map((a) => a & U64));
  }
  return cases;
}

function assertSameAsOracle(filter: SeccompFilter): void {
  const prog = compileInsns(filter);
  const numbers = (arch: Arch): number[] => {
    const base = arch === 'x32' ? X32_SYSCALL_BIT : 0;
    return [...Array.from({ length: 600 }, (_, i) => base + i), base + 0x3fff_ffff, -1, 0x7fff_ffff, 0xffff_fffe];
  };
  let checked = 0;
  for (const arch of ['x86_64', 'x86', 'x32'] as const) {
    const auditArch = AUDIT_ARCH[arch];
    for (const nr of numbers(arch)) {
      for (const args of argumentCases(filter, arch, nr)) {
        const want = oracle(filter, auditArch, nr, args);
        assert.equal(runFilter(prog, { nr, arch: auditArch, args }), want, `${arch} nr ${nr} args [${args.join(', ')}]`);
        checked++;
      }
    }
  }
  assert.ok(checked > 1800);
}

const read = (seccomp: unknown): SeccompFilter => readSeccomp(new JsonReader(seccomp, 'linux.seccomp'));

describe('seccomp: compiled programs decide as the profile says', () => {
  it("Docker's default profile, with the default capabilities and with CAP_SYS_ADMIN", () => {
    for (const capabilities of [DOCKER_DEFAULT_CAPS, [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE']]) {
      assertSameAsOracle(read(dockerToOci(dockerDefaultProfile(), { capabilities, kernel: '6.1.0-18-amd64' })));
    }
  });

  it('a profile with every comparison, an allowing default, and one ABI', () => {
    const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT'];
    const rules = ops.map((op, i) => ({ names: [['read', 'write', 'openat', 'close', 'mmap', 'socket'][i]], action: 'SCMP_ACT_ERRNO', args: [{ index: i, value: 2 ** 33 + 7, op }] }));
    rules.push({ names: ['ioctl'], action: 'SCMP_ACT_TRAP', args: [{ index: 1, value: 0xff00, valueTwo: 0x5400, op: 'SCMP_CMP_MASKED_EQ' } as never] });
    rules.push({ names: ['kill', 'tkill'], action: 'SCMP_ACT_KILL_PROCESS', args: [] as never });
    rules.push({ names: ['prctl'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 4, op: 'SCMP_CMP_EQ' }] as never });
    assertSameAsOracle(read({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: rules }));
    assertSameAsOracle(read({ defaultAction: 'SCMP_ACT_KILL', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: rules.map((r) => ({ ...r, action: 'SCMP_ACT_ALLOW' })) }));
  });

  it('an empty profile, and one that filters the first and the last call numbers', () => {
    assertSameAsOracle(read({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] }));
    assertSameAsOracle(read({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'], syscalls: [{ names: ['read', 'cachestat'], action: 'SCMP_ACT_ALLOW' }] }));
  });

  it("keeps Docker's profile short: runs of calls, not a compare per call", () => {
    // the kernel runs the filter for each call number when it is installed: its length is start-up time
    const prog = compileInsns(read(dockerToOci(dockerDefaultProfile(), { capabilities: DOCKER_DEFAULT_CAPS, kernel: '6.1.0-18-amd64' })));
    assert.ok(prog.length < 900, `${prog.length} instructions`);
  });
});
