import { Assembler, BPF, encodeProgram, type Insn, type Target } from './bpf.js';
import { RET, SYSCALL_TABLES, type Arch, type ArgCmp, type SeccompFilter, type SyscallRule } from './profile.js';

/**
 * A checked seccomp filter → a classic BPF program over struct
 * seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }.
 *
 * Layout, as libseccomp builds it: the audit arch is checked first (an ABI
 * the filter does not list is killed, libseccomp's default "bad arch"
 * action — as a whole process, so that no thread is left half-dead); x32
 * calls arrive with the x86_64 audit arch and are told apart by
 * __X32_SYSCALL_BIT in nr. Then, per ABI, a binary search over the
 * filtered call numbers (see emitAbi), the default action, a block per
 * call that has argument rules.
 *
 * Calls newer than the profile answer ENOSYS rather than the default
 * action, as runc does: a profile written before fchmodat2 or clone3
 * existed would otherwise answer them EPERM, and libc only falls back to
 * the older call on ENOSYS. "Newer" means a number above the highest the
 * profile names for that ABI; an allowing default needs no such answer.
 */

export const AUDIT_ARCH = { x86_64: 0xc000003e, x86: 0x40000003, x32: 0xc000003e } as const;
export const X32_SYSCALL_BIT = 0x40000000;
/** Where the kernel kills a call from an ABI the filter does not cover. */
export const BAD_ARCH_ACTION = RET.KILL_PROCESS;

export const DATA = { nr: 0, arch: 4, ip: 8, args: 16 } as const;

const ENOSYS = 38;
export const NEWER_CALL_ACTION = (RET.ERRNO | ENOSYS) >>> 0;

/** libseccomp treats x86 and x32 as 32-bit ABIs: only an argument's low word is compared there. */
const WORD32: Record<Arch, boolean> = { x86_64: false, x86: true, x32: true };

export function compileSeccomp(filter: SeccompFilter): Buffer {
  return encodeProgram(compileInsns(filter));
}

export function compileInsns(filter: SeccompFilter): Insn[] {
  const asm = new Assembler();
  const badArch = asm.label('badarch');
  const entry = new Map<Arch, string>(filter.arches.map((a) => [a, asm.label(a)]));
  const rets = new Map<number, string>();
  const retLabel = (action: number): string => {
    if (!rets.has(action)) rets.set(action, asm.label('ret'));
    return rets.get(action)!;
  };

  asm.load(DATA.arch);
  asm.jump(BPF.JEQ, AUDIT_ARCH.x86_64, entry.get('x86_64')!, null);
  if (entry.has('x86')) asm.jump(BPF.JEQ, AUDIT_ARCH.x86, entry.get('x86')!, null);
  asm.ret(BAD_ARCH_ACTION);

  asm.place(entry.get('x86_64')!).load(DATA.nr);
  if (entry.has('x32')) asm.jump(BPF.JSET, X32_SYSCALL_BIT, entry.get('x32')!, null);
  else asm.jump(BPF.JGE, X32_SYSCALL_BIT, badArch, null);
  emitAbi(asm, filter, 'x86_64', retLabel);
  for (const arch of ['x32', 'x86'] as const) {
    if (!entry.has(arch)) continue;
    asm.place(entry.get(arch)!).load(DATA.nr);
    emitAbi(asm, filter, arch, retLabel);
  }
  asm.place(badArch).ret(BAD_ARCH_ACTION);
  for (const [action, label] of rets) asm.place(label).ret(action);
  return asm.assemble();
}

/**
 * Rules by call number for one ABI, in profile order except that rules with
 * argument checks come before unconditional ones (which would shadow
 * them). Rules whose action is the default are left out, as runc does.
 * Where one rule compares the same argument twice, runc adds each
 * comparison as a rule of its own (so they are ORed): so do we.
 */
function rulesByNumber(filter: SeccompFilter, arch: Arch): Map<number, SyscallRule[]> {
  const table = SYSCALL_TABLES[arch];
  const byNr = new Map<number, SyscallRule[]>();
  for (const rule of filter.rules) {
    const nr = table[rule.name];
    if (nr === undefined || rule.action === filter.defaultAction) continue;
    const indexes = rule.args.map((a) => a.index);
    const split = new Set(indexes).size !== indexes.length ? rule.args.map((a) => ({ ...rule, args: [a] })) : [rule];
    byNr.set(nr, [...(byNr.get(nr) ?? []), ...split]);
  }
  for (const [nr, rules] of byNr) byNr.set(nr, [...rules.filter((r) => r.args.length > 0), ...rules.filter((r) => r.args.length === 0)]);
  return byNr;
}

/** The highest call number the profile names for this ABI, when newer calls should answer ENOSYS. */
function newestKnown(filter: SeccompFilter, arch: Arch): number | undefined {
  const d = filter.defaultAction;
  if (d === RET.ALLOW || d === RET.LOG || d === NEWER_CALL_ACTION) return undefined;
  const table = SYSCALL_TABLES[arch];
  const nrs = filter.rules.map((r) => table[r.name]).filter((nr): nr is number => nr !== undefined);
  return nrs.length ? Math.max(...nrs) : undefined;
}

/** Call numbers [from, next segment's from) that get one verdict: a return, or a call's argument rules. */
type Segment = { from: number; action: number } | { from: number; rules: SyscallRule[] };

/**
 * The call numbers 0.. cut into runs of one verdict: the calls between
 * filtered ones get the default action, and neighbours that return the
 * same action merge (Docker's profile allows most calls, in long runs).
 */
function segments(byNr: Map<number, SyscallRule[]>, defaultAction: number): Segment[] {
  const out: Segment[] = [];
  const add = (seg: Segment): void => {
    const last = out[out.length - 1];
    if (last && 'action' in last && 'action' in seg && last.action === seg.action) return;
    out.push(seg);
  };
  let next = 0;
  for (const nr of [...byNr.keys()].sort((x, y) => x - y)) {
    if (nr > next) add({ from: next, action: defaultAction });
    const rules = byNr.get(nr)!;
    add(rules[0]!.args.length === 0 ? { from: nr, action: rules[0]!.action } : { from: nr, rules });
    next = nr + 1;
  }
  add({ from: next, action: defaultAction });
  return out;
}

/**
 * One ABI's part of the program: a binary search on the call number over
 * runs of calls with one verdict (a JGE per level), each run ending in its
 * return or its argument rules. Docker's profile is ~100 runs per ABI where
 * it names ~350 calls: a chain of one compare per call made the kernel's
 * check at install (it runs the filter for every call number and ABI, to
 * cache the calls it always allows) ~1 ms of every start and exec, and it
 * was as slow for every filtered call the container made.
 */
function emitAbi(asm: Assembler, filter: SeccompFilter, arch: Arch, retLabel: (a: number) => string): void {
  const byNr = rulesByNumber(filter, arch);
  const newest = newestKnown(filter, arch);
  // A holds nr through the whole search; every listed nr is <= newest
  if (newest !== undefined) asm.jump(BPF.JGT, newest, retLabel(NEWER_CALL_ACTION), null);
  const search = (segs: Segment[]): void => {
    if (segs.length === 1) {
      const seg = segs[0]!;
      if ('action' in seg) asm.ret(seg.action);
      else emitArgRules(asm, seg.rules, filter.defaultAction, WORD32[arch]);
      return;
    }
    const mid = segs.length >> 1;
    const upper = asm.label('upper');
    asm.jump(BPF.JGE, segs[mid]!.from, upper, null);
    search(segs.slice(0, mid));
    asm.place(upper);
    search(segs.slice(mid));
  };
  search(segments(byNr, filter.defaultAction));
}

/** One call's rules in order (the first that holds decides), then the default action. */
function emitArgRules(asm: Assembler, rules: SyscallRule[], defaultAction: number, word32: boolean): void {
  for (const rule of rules) {
    if (rule.args.length === 0) {
      asm.ret(rule.action);
      return;
    }
    const next = asm.label('next');
    for (const cmp of rule.args) emitCompare(asm, cmp, word32, next);
    asm.ret(rule.action);
    asm.place(next);
  }
  asm.ret(defaultAction);
}

const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
const lo32 = (v: bigint): number => Number(v & 0xffffffffn);

/**
 * Falls through when `cmp` holds, jumps to `fail` when not. A 64-bit
 * comparison is decided on the high words unless they are equal, then on
 * the low words (BPF compares are unsigned 32-bit).
 */
function emitCompare(asm: Assembler, cmp: ArgCmp, word32: boolean, fail: string): void {
  const lo = DATA.args + 8 * cmp.index; // little-endian: low word first
  const hi = lo + 4;
  const pass = asm.label('pass');
  const high = (onGreater: Target, onLess: Target): void => {
    // decide on the high word; fall through to the low word when equal
    if (word32) return;
    asm.load(hi);
    asm.jump(BPF.JGT, hi32(cmp.value), onGreater, null);
    asm.jump(BPF.JEQ, hi32(cmp.value), null, onLess);
  };
  switch (cmp.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE': {
      const [ok, ko] = cmp.op === 'SCMP_CMP_EQ' ? [pass, fail] : [fail, pass];
      if (!word32) asm.load(hi).jump(BPF.JEQ, hi32(cmp.value), null, ko);
      asm.load(lo).jump(BPF.JEQ, lo32(cmp.value), ok, ko);
      break;
    }
    case 'SCMP_CMP_MASKED_EQ':
      if (!word32) asm.load(hi).and(hi32(cmp.value)).jump(BPF.JEQ, hi32(cmp.valueTwo), null, fail);
      asm.load(lo).and(lo32(cmp.value)).jump(BPF.JEQ, lo32(cmp.valueTwo), pass, fail);
      break;
    case 'SCMP_CMP_GT':
      high(pass, fail);
      asm.load(lo).jump(BPF.JGT, lo32(cmp.value), pass, fail);
      break;
    case 'SCMP_CMP_GE':
      high(pass, fail);
      asm.load(lo).jump(BPF.JGE, lo32(cmp.value), pass, fail);
      break;
    case 'SCMP_CMP_LT':
      high(fail, pass);
      asm.load(lo).jump(BPF.JGE, lo32(cmp.value), fail, pass);
      break;
    case 'SCMP_CMP_LE':
      high(fail, pass);
      asm.load(lo).jump(BPF.JGT, lo32(cmp.value), fail, pass);
      break;
  }
  asm.place(pass);
}
