import { ALU_OP, CLASS, decode, JMP_OP, MODE, SIZE, SRC, type Insn } from './ebpf.js';

/**
 * Test support (imported by *.test.ts only): runs a cgroup device program
 * the way the kernel would, from its encoded bytes, so that the filter's
 * decisions can be checked without root or a kernel. It holds the program
 * to a few of the verifier's rules too — forward jumps inside the program,
 * no read of a register never written, context loads only of whole u32
 * fields, a verdict of 0 or 1 — so that a program it accepts is not one
 * the kernel would obviously refuse. The real verifier is the integration
 * test's (test/integration/device-filter.test.ts).
 */

/** What the kernel hands the program: one access to one device node. */
export interface DeviceAccess {
  type: 'c' | 'b';
  major: number;
  minor: number;
  /** Some of "rwm": an open for reading and writing asks for "rw" at once. */
  access: string;
}

const CTX_SIZE = 12;
const MASK64 = (1n << 64n) - 1n;
const MASK32 = 0xffff_ffffn;

type Value = { kind: 'scalar'; v: bigint } | { kind: 'ctx' } | { kind: 'unset' };

/** Reasons a program would not load; thrown as errors naming the instruction. */
function refuse(pc: number, why: string): never {
  throw new Error(`bpf: insn ${pc}: ${why}`);
}

/** Checks what the verifier checks before running anything: known opcodes, jump targets. */
export function checkProgram(insns: Insn[]): void {
  if (!insns.length) throw new Error('bpf: empty program');
  insns.forEach((insn, pc) => {
    if (insn.dst > 10 || insn.src > 10) refuse(pc, 'no such register');
    const cls = insn.code & 0x07;
    if (cls === CLASS.JMP || cls === CLASS.JMP32) {
      const op = insn.code & 0xf0;
      if (op === JMP_OP.EXIT) return;
      const target = pc + 1 + insn.off;
      if (insn.off < 0) refuse(pc, 'backward jump (a loop)');
      if (target >= insns.length) refuse(pc, `jump to ${target}, past the end`);
    }
  });
}

/** The program's verdict for one access: true = allowed (1), false = refused (0). */
export function runDeviceProgram(program: Buffer, access: DeviceAccess): boolean {
  const insns = decode(program);
  checkProgram(insns);
  let bits = 0;
  for (const ch of access.access) bits |= { m: 1, r: 2, w: 4 }[ch as 'm' | 'r' | 'w'];
  const ctx = Buffer.alloc(CTX_SIZE);
  ctx.writeUInt32LE(((bits << 16) | (access.type === 'b' ? 1 : 2)) >>> 0, 0);
  ctx.writeUInt32LE(access.major, 4);
  ctx.writeUInt32LE(access.minor, 8);
  const regs: Value[] = Array.from({ length: 11 }, () => ({ kind: 'unset' }));
  regs[1] = { kind: 'ctx' };
  const scalar = (pc: number, r: number): bigint => {
    const v = regs[r]!;
    if (v.kind === 'unset') refuse(pc, `r${r} read before it is written`);
    if (v.kind === 'ctx') refuse(pc, `r${r} is the context pointer, not a number`);
    return v.v;
  };
  for (let pc = 0, steps = 0; ; pc++, steps++) {
    if (pc >= insns.length) refuse(pc, 'fell off the end of the program');
    if (steps > 100_000) refuse(pc, 'too many steps');
    const insn = insns[pc]!;
    const cls = insn.code & 0x07;
    if (cls === CLASS.LDX) {
      if (insn.code !== (CLASS.LDX | SIZE.W | MODE.MEM)) refuse(pc, `load 0x${insn.code.toString(16)}: only 32-bit loads are modelled`);
      if (regs[insn.src]!.kind !== 'ctx') refuse(pc, `load through r${insn.src}, which is not the context`);
      if (insn.off < 0 || insn.off + 4 > CTX_SIZE || insn.off % 4) refuse(pc, `context load at ${insn.off}: not a u32 field`);
      regs[insn.dst] = { kind: 'scalar', v: BigInt(ctx.readUInt32LE(insn.off)) };
    } else if (cls === CLASS.ALU || cls === CLASS.ALU64) {
      const op = insn.code & 0xf0;
      const wide = cls === CLASS.ALU64;
      const mask = wide ? MASK64 : MASK32;
      const operand = (insn.code & SRC.X ? scalar(pc, insn.src) : BigInt.asUintN(64, BigInt(insn.imm))) & mask;
      if (op === ALU_OP.MOV) {
        if (insn.code & SRC.X && regs[insn.src]!.kind === 'ctx' && wide) regs[insn.dst] = { kind: 'ctx' };
        else regs[insn.dst] = { kind: 'scalar', v: operand };
        continue;
      }
      const a = scalar(pc, insn.dst) & mask;
      const shift = operand & (wide ? 63n : 31n);
      const result: Record<number, bigint> = {
        [ALU_OP.ADD]: a + operand, [ALU_OP.SUB]: a - operand, [ALU_OP.OR]: a | operand, [ALU_OP.AND]: a & operand,
        [ALU_OP.XOR]: a ^ operand, [ALU_OP.LSH]: a << shift, [ALU_OP.RSH]: a >> shift,
      };
      const v = result[op];
      if (v === undefined) refuse(pc, `ALU op 0x${op.toString(16)} is not modelled`);
      regs[insn.dst] = { kind: 'scalar', v: BigInt.asUintN(64, v) & mask };
    } else if (cls === CLASS.JMP || cls === CLASS.JMP32) {
      const op = insn.code & 0xf0;
      if (op === JMP_OP.EXIT) {
        if (cls !== CLASS.JMP) refuse(pc, 'exit is a JMP-class instruction');
        const r0 = scalar(pc, 0);
        if (r0 !== 0n && r0 !== 1n) refuse(pc, `returns ${r0}: a device program returns 0 or 1`);
        return r0 === 1n;
      }
      if (op === JMP_OP.JA) {
        pc += insn.off;
        continue;
      }
      const mask = cls === CLASS.JMP32 ? MASK32 : MASK64;
      const a = scalar(pc, insn.dst) & mask;
      const b = (insn.code & SRC.X ? scalar(pc, insn.src) : BigInt.asUintN(64, BigInt(insn.imm))) & mask;
      const taken: Record<number, boolean> = {
        [JMP_OP.JEQ]: a === b, [JMP_OP.JNE]: a !== b, [JMP_OP.JGT]: a > b, [JMP_OP.JGE]: a >= b,
        [JMP_OP.JLT]: a < b, [JMP_OP.JLE]: a <= b, [JMP_OP.JSET]: (a & b) !== 0n,
      };
      const t = taken[op];
      if (t === undefined) refuse(pc, `jump op 0x${op.toString(16)} is not modelled`);
      if (t) pc += insn.off;
    } else {
      refuse(pc, `instruction class ${cls} is not modelled`);
    }
  }
}
