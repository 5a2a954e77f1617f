import type { DeviceRule } from '../../spec/oci-resources.js';
import { checkDeviceRules, type CheckedDeviceRule } from '../device-rules.js';
import { Assembler, encode, Label, type Insn, type Reg } from './ebpf.js';

/**
 * The cgroup v2 device filter: linux.resources.devices compiled into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program, which the kernel runs at every open
 * and mknod of a device node by a process in the cgroup; it returns 1 to
 * allow and 0 to refuse (EPERM). cgroup v2 has no devices files: this
 * program is the whole of its device control.
 *
 * The program sees struct bpf_cgroup_dev_ctx (include/uapi/linux/bpf.h):
 *
 *   u32 access_type;  // (access << 16) | device type
 *   u32 major;
 *   u32 minor;
 *
 * How the rules read — as the spec and runc read them: in order, a later
 * rule overriding an earlier one. So the program tries them from the last
 * to the first, and the first that matches decides. Access is decided bit
 * by bit, because a request can carry several bits (an open for reading and
 * writing asks for r and w at once) and rules can grant them separately:
 * walking backwards, a rule that matches the device and covers a bit still
 * undecided decides that bit — a deny refuses the request at once, an allow
 * settles its bits, and once no bit is left the request is allowed. Bits no
 * rule decides take the default: deny, unless an "a" rule (every device,
 * rwm) set it — everything before the last "a" rule is overridden by it, so
 * it is dropped, and that rule's action becomes the default.
 *
 * Registers:  r2 device type, r3 access bits still undecided, r4 major,
 *             r5 minor, r1 scratch (it held the context pointer), r0 the verdict.
 */

/** BPF_DEVCG_DEV_* and BPF_DEVCG_ACC_* (include/uapi/linux/bpf.h). */
export const DEV_TYPE = { b: 1, c: 2 } as const;
export const ACCESS = { m: 1, r: 2, w: 4 } as const;

/** Offsets of struct bpf_cgroup_dev_ctx's fields. */
const CTX = { accessType: 0, major: 4, minor: 8 } as const;
const R_TYPE: Reg = 2;
const R_ACCESS: Reg = 3;
const R_MAJOR: Reg = 4;
const R_MINOR: Reg = 5;
const R_SCRATCH: Reg = 1;

const ALL_ACCESS = ACCESS.r | ACCESS.w | ACCESS.m;

/** What the program will do, before it is code: the default and the rules that can change it, last first. */
export interface FilterPlan {
  defaultAllow: boolean;
  /** The rules after the last "a" rule, in the order the program tries them (the last rule first). */
  rules: CheckedDeviceRule[];
}

/** The rules checked (an error names the rule), the shadowed ones dropped, in the program's order. */
export function planDeviceFilter(rules: DeviceRule[]): FilterPlan {
  const checked = checkDeviceRules(rules);
  let start = 0;
  let defaultAllow = false;
  checked.forEach((r, i) => {
    // checkDeviceRule leaves an "a" rule only in its whole form: every device, rwm
    if (r.type === 'a') {
      start = i + 1;
      defaultAllow = r.allow;
    }
  });
  // A rule that gives the default's own verdict and covers every bit of what
  // it matches could still matter (it shields later-tried rules)… except at
  // the end of the program's order, where only the default follows; drop
  // those from the end, so "deny all, allow X, deny all" costs nothing.
  const tried = checked.slice(start).reverse();
  while (tried.length && tried[tried.length - 1]!.allow === defaultAllow) tried.pop();
  return { defaultAllow, rules: tried };
}

/** access string ("rw") → BPF_DEVCG_ACC_* bits. */
export function accessBits(access: string): number {
  let bits = 0;
  for (const ch of access) bits |= ACCESS[ch as keyof typeof ACCESS];
  return bits;
}

/** The filter as instructions (see the top of this file for how it decides). */
export function compileDeviceFilter(rules: DeviceRule[]): Insn[] {
  const plan = planDeviceFilter(rules);
  const asm = new Assembler();
  // The context's fields into registers once; the type and access share a word.
  asm.loadWord(R_TYPE, 1, CTX.accessType);
  asm.alu32Reg('MOV', R_ACCESS, R_TYPE);
  asm.alu32Imm('RSH', R_ACCESS, 16);
  asm.alu32Imm('AND', R_TYPE, 0xffff);
  asm.loadWord(R_MAJOR, 1, CTX.major);
  asm.loadWord(R_MINOR, 1, CTX.minor);
  plan.rules.forEach((rule, i) => emitRule(asm, rule, new Label(`rule${i}.next`)));
  asm.ret(plan.defaultAllow ? 1 : 0);
  return asm.assemble();
}

/** The program's bytes, as bpf(BPF_PROG_LOAD) takes them. */
export function deviceFilterProgram(rules: DeviceRule[]): Buffer {
  return encode(compileDeviceFilter(rules));
}

/**
 * One rule: each test that fails jumps past it. The device tests come
 * first; then, unless the rule covers every bit (rwm, so any undecided bit
 * is its to decide), whether it covers one still undecided.
 */
function emitRule(asm: Assembler, rule: CheckedDeviceRule, next: Label): void {
  if (rule.type !== 'a') asm.jump32Imm('JNE', R_TYPE, DEV_TYPE[rule.type], next);
  if (rule.major !== undefined) asm.jump32Imm('JNE', R_MAJOR, rule.major, next);
  if (rule.minor !== undefined) asm.jump32Imm('JNE', R_MINOR, rule.minor, next);
  const bits = accessBits(rule.access);
  const partial = bits !== ALL_ACCESS;
  if (partial) {
    asm.alu32Reg('MOV', R_SCRATCH, R_ACCESS);
    asm.alu32Imm('AND', R_SCRATCH, bits);
    asm.jump32Imm('JEQ', R_SCRATCH, 0, next);
  }
  if (!rule.allow) {
    asm.ret(0);
  } else if (!partial) {
    asm.ret(1);
  } else {
    // these bits are allowed; the rest is left to earlier rules
    asm.alu32Imm('AND', R_ACCESS, ~bits & ALL_ACCESS);
    asm.jump32Imm('JNE', R_ACCESS, 0, next);
    asm.ret(1);
  }
  asm.place(next);
}
