import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonReader } from './json-reader.js';
import { Assembler, BPF, decodeProgram, encodeProgram } from '../../security/seccomp/bpf.js';
import { runFilter, type SeccompData } from '../../security/seccomp/bpf-interpreter.js';
import { AUDIT_ARCH, compileInsns, compileSeccomp } from '../../security/seccomp/compile.js';
import { RET } from '../../security/seccomp/profile.js';
import { readSeccomp } from './seccomp.js';
import { SYSCALLS_X32 } from '../../security/seccomp/syscalls-x32.generated.js';
import { SYSCALLS_X86 } from '../../security/seccomp/syscalls-x86.generated.js';
import { SYSCALLS_X86_64 } from '../../security/seccomp/syscalls-x86_64.generated.js';

const read = (seccomp: unknown) => readSeccomp(JsonReader.root({ linux: { seccomp } }).field('linux').field('seccomp'));
const verdict = (seccomp: unknown, d: Partial<SeccompData> & { name?: string }) => {
  const arch = d.arch ?? AUDIT_ARCH.x86_64;
  const nr = d.nr ?? (arch === AUDIT_ARCH.x86 ? SYSCALLS_X86 : SYSCALLS_X86_64)[d.name!]!;
  return runFilter(compileInsns(read(seccomp)), { nr, arch, args: d.args ?? [] });
};
const EPERM = RET.ERRNO | 1;

describe('seccomp: reading linux.seccomp', () => {
  it('names the field of every problem', () => {
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO' }, { names: ['mkdir', 'Foo Bar'], action: 'SCMP_ACT_ERRNO' }] }), {
      message: 'linux.seccomp.syscalls[1].names[1]: "Foo Bar" is not a system call name',
    });
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_NOPE' }), { message: 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"' });
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }), /architectures\[0\]: unknown architecture/);
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }), /syscalls\[0\]\.args\[0\]\.index: 6 is out of range/);
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }] }), /args\[0\]\.op: unknown comparison/);
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }), /linux.seccomp.listenerPath: is required/);
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }), /flags\[0\]: unknown/);
    assert.throws(() => read({ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 3 }), /defaultErrnoRet: only applies/);
  });

  it('knows names on any listed ABI, and flags', () => {
    const f = read({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'], flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'], syscalls: [{ names: ['chown32'], action: 'SCMP_ACT_ERRNO' }] });
    assert.deepEqual(f.arches, ['x86_64', 'x86']);
    assert.equal(f.flags, 7);
  });

  it('skips names no listed ABI knows, as runc does (engines send every CPU\'s calls)', () => {
    const f = read({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['recv', 'read', 'arm_fadvise64_64', 'chown32'], action: 'SCMP_ACT_ALLOW' }] });
    assert.deepEqual(f.rules.map((r) => r.name), ['read']);
  });

  it('the x32 table is x86_64 numbering with the x32 bit, only where x32 has the call', () => {
    assert.equal(SYSCALLS_X32['read'], 0x40000000);
    assert.equal(SYSCALLS_X32['execve'], 0x40000000 + 520);
    assert.equal(SYSCALLS_X32['ptrace'], 0x40000000 + 521);
    assert.equal(SYSCALLS_X32['mkdir'], 0x40000000 + SYSCALLS_X86_64['mkdir']!);
    assert.equal(SYSCALLS_X32['rt_sigaction'], 0x40000000 + 512);
    assert.equal(SYSCALLS_X86['mkdir'], 39);
    assert.equal(SYSCALLS_X86_64['cachestat'], 451);
  });
});

describe('seccomp: compiled programs', () => {
  const profile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['mkdir', 'rmdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['tkill'], action: 'SCMP_ACT_KILL' },
      { names: ['getuid'], action: 'SCMP_ACT_TRAP' },
      { names: ['getgid'], action: 'SCMP_ACT_TRACE' },
      { names: ['geteuid'], action: 'SCMP_ACT_LOG' },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  };

  it('answers each action', () => {
    assert.equal(verdict(profile, { name: 'read' }), RET.ALLOW);
    assert.equal(verdict(profile, { name: 'mkdir' }), EPERM);
    assert.equal(verdict(profile, { name: 'rmdir' }), EPERM);
    assert.equal(verdict(profile, { name: 'getpid' }), RET.ERRNO | 38);
    assert.equal(verdict(profile, { name: 'kill' }), RET.KILL_PROCESS);
    assert.equal(verdict(profile, { name: 'tkill' }), RET.KILL_THREAD);
    assert.equal(verdict(profile, { name: 'getuid' }), RET.TRAP);
    assert.equal(verdict(profile, { name: 'getgid' }), RET.TRACE | 1);
    assert.equal(verdict(profile, { name: 'geteuid' }), RET.LOG);
  });

  it('masked-equal: (arg & mask) == value', () => {
    assert.equal(verdict(profile, { name: 'clone', args: [0x11n] }), EPERM); // no namespace flag: masked value 0
    assert.equal(verdict(profile, { name: 'clone', args: [0x10000000n | 0x11n] }), RET.ALLOW); // CLONE_NEWUSER
    assert.equal(verdict(profile, { name: 'clone', args: [1n << 40n] }), EPERM); // high word outside the mask
  });

  it('uses each ABI\'s numbering: x86, x32, and kills unknown ABIs', () => {
    assert.equal(verdict(profile, { arch: AUDIT_ARCH.x86, nr: SYSCALLS_X86['mkdir']! }), EPERM);
    assert.equal(verdict(profile, { arch: AUDIT_ARCH.x86, nr: SYSCALLS_X86_64['mkdir']! }), RET.ALLOW); // 83 on i386 is symlink
    assert.equal(verdict(profile, { arch: AUDIT_ARCH.x86_64, nr: SYSCALLS_X32['mkdir']! }), EPERM);
    assert.equal(verdict(profile, { arch: AUDIT_ARCH.x86_64, nr: SYSCALLS_X32['read']! }), RET.ALLOW);
    assert.equal(verdict(profile, { arch: 0xc00000b7, nr: 0 }), RET.KILL_PROCESS); // aarch64
    const only64 = { ...profile, architectures: ['SCMP_ARCH_X86_64'] };
    assert.equal(verdict(only64, { arch: AUDIT_ARCH.x86, nr: 39 }), RET.KILL_PROCESS);
    assert.equal(verdict(only64, { arch: AUDIT_ARCH.x86_64, nr: SYSCALLS_X32['read']! }), RET.KILL_PROCESS);
    assert.equal(verdict(only64, { name: 'mkdir' }), EPERM);
  });

  it('every comparison, on 64-bit values', () => {
    const big = 0x1_0000_0005n;
    const cases: [string, bigint, bigint[], bigint[]][] = [
      ['SCMP_CMP_EQ', big, [big], [5n, big + 1n, 0n]],
      ['SCMP_CMP_NE', big, [5n, big + 1n, 0n], [big]],
      ['SCMP_CMP_GT', big, [big + 1n, 0x2_0000_0000n], [big, 5n, 0xffff_ffffn]],
      ['SCMP_CMP_GE', big, [big, big + 1n, 0x2_0000_0000n], [big - 1n, 5n]],
      ['SCMP_CMP_LT', big, [big - 1n, 5n, 0n], [big, 0x2_0000_0000n]],
      ['SCMP_CMP_LE', big, [big, 5n, 0n], [big + 1n, 0x2_0000_0000n]],
    ];
    for (const [op, value, matching, other] of cases) {
      const p = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: Number(value), op }] }] };
      for (const v of matching) assert.equal(verdict(p, { name: 'ioctl', args: [0n, 0n, v] }), EPERM, `${op} ${v}`);
      for (const v of other) assert.equal(verdict(p, { name: 'ioctl', args: [0n, 0n, v] }), RET.ALLOW, `${op} ${v}`);
    }
  });

  it('ANDs the args of one rule, ORs rules and comparisons of the same arg (as runc)', () => {
    const p = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    assert.equal(verdict(p, { name: 'socket', args: [1n, 2n] }), RET.ALLOW);
    assert.equal(verdict(p, { name: 'socket', args: [1n, 3n] }), EPERM);
    assert.equal(verdict(p, { name: 'personality', args: [8n] }), RET.ALLOW);
    assert.equal(verdict(p, { name: 'personality', args: [0n] }), RET.ALLOW);
    assert.equal(verdict(p, { name: 'personality', args: [1n] }), EPERM);
  });

  it('encodes sock_filter and stays within the kernel limit', () => {
    const bytes = compileSeccomp(read(profile));
    assert.equal(bytes.length % 8, 0);
    assert.deepEqual(decodeProgram(bytes), compileInsns(read(profile)));
  });
});

describe('seccomp: BPF assembler', () => {
  it('turns far conditional jumps into trampolines', () => {
    const asm = new Assembler();
    const far = asm.label();
    asm.load(0).jump(BPF.JEQ, 7, far, null).jump(BPF.JEQ, 8, null, far);
    for (let i = 0; i < 600; i++) asm.jump(BPF.JEQ, 1000 + i, null, null);
    asm.ret(1).place(far).ret(2);
    const prog = asm.assemble();
    for (const ins of prog) assert.ok(ins.jt <= 255 && ins.jf <= 255);
    assert.equal(runFilter(prog, { nr: 7, arch: 0 }), 2);
    assert.equal(runFilter(prog, { nr: 9, arch: 0 }), 2);
    assert.equal(runFilter(prog, { nr: 8, arch: 0 }), 1);
    assert.equal(encodeProgram(prog).length, prog.length * 8);
  });
});

describe('seccomp: calls newer than the profile', () => {
  const ENOSYS = (RET.ERRNO | 38) >>> 0;
  const denyAll = (extra: Record<string, unknown> = {}) => ({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' }], ...extra });

  it('answers ENOSYS above the highest call the profile names, the default action below it', () => {
    assert.equal(verdict(denyAll(), { name: 'read' }), RET.ALLOW);
    assert.equal(verdict(denyAll(), { name: 'mkdir' }), EPERM); // 83 < openat's 257
    assert.equal(verdict(denyAll(), { name: 'fchmodat2' }), ENOSYS);
    assert.equal(verdict(denyAll(), { nr: 999 }), ENOSYS);
  });

  it('does so per ABI, by that ABI\'s numbers', () => {
    assert.equal(verdict(denyAll(), { arch: AUDIT_ARCH.x86, nr: SYSCALLS_X86['openat']! }), RET.ALLOW);
    assert.equal(verdict(denyAll(), { arch: AUDIT_ARCH.x86, nr: SYSCALLS_X86['mkdir']! }), EPERM);
    assert.equal(verdict(denyAll(), { arch: AUDIT_ARCH.x86, nr: SYSCALLS_X86['openat']! + 1 }), ENOSYS);
    assert.equal(verdict(denyAll(), { nr: SYSCALLS_X32['openat']! }), RET.ALLOW);
    assert.equal(verdict(denyAll(), { nr: SYSCALLS_X32['mkdir']! }), EPERM);
    assert.equal(verdict(denyAll(), { nr: SYSCALLS_X32['openat']! + 1 }), ENOSYS);
  });

  it('leaves an allowing default alone, and KILL and TRAP defaults get ENOSYS too', () => {
    const allow = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    assert.equal(verdict(allow, { name: 'fchmodat2' }), RET.ALLOW);
    assert.equal(verdict({ ...allow, defaultAction: 'SCMP_ACT_LOG' }, { name: 'fchmodat2' }), RET.LOG);
    assert.equal(verdict(denyAll({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }), { name: 'fchmodat2' }), ENOSYS);
    assert.equal(verdict(denyAll({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }), { name: 'mkdir' }), RET.KILL_PROCESS);
  });
});
