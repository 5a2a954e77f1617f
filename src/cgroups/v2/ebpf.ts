import { endianness } from 'node:os';

/**
 * A small eBPF assembler: the instructions the cgroup device filter needs,
 * written by name, with jumps to labels resolved when the program is done.
 * The encoding is the kernel's struct bpf_insn (include/uapi/linux/bpf.h):
 *
 *   u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm;   — 8 bytes, host byte order
 *
 * where code = operation | source | class. Only what berth emits is named
 * here; the test interpreter (bpf-interpreter.ts) decodes the same table.
 */

/** Instruction classes (the low 3 bits of code). */
export const CLASS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
/** Load/store size and mode (LDX: size | MEM | class). */
export const SIZE = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const MODE = { IMM: 0x00, MEM: 0x60 } as const;
/** Where the second operand comes from: the immediate (K) or src_reg (X). */
export const SRC = { K: 0x00, X: 0x08 } as const;
/** Arithmetic operations (ALU = 32-bit, the upper half of dst zeroed; ALU64 = 64-bit). */
export const ALU_OP = { ADD: 0x00, SUB: 0x10, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, XOR: 0xa0, MOV: 0xb0 } as const;
/** Jump operations (JMP compares 64-bit registers, JMP32 their lower halves). */
export const JMP_OP = { JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0 } as const;

export type AluOp = keyof typeof ALU_OP;
export type JmpOp = Exclude<keyof typeof JMP_OP, 'JA' | 'EXIT'>;

/** r0 holds the return value; r1 holds the context pointer on entry; r10 is the read-only frame pointer. */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  /** Jumps: how many instructions to skip after this one; loads: the byte offset. */
  off: number;
  imm: number;
}

export const INSN_SIZE = 8;

/** A place in the program that jumps can name before it is placed. */
export class Label {
  at: number | undefined;
  constructor(readonly name: string) {}
}

/**
 * Builds a program in order. Jumps take a Label; assemble() turns each into
 * the kernel's relative offset (target − (this + 1)), and fails on a label
 * never placed or an offset beyond s16, rather than emit a wrong program.
 */
export class Assembler {
  private readonly insns: { insn: Insn; target?: Label }[] = [];

  get length(): number {
    return this.insns.length;
  }

  /** Places a label at the next instruction. */
  place(label: Label): void {
    if (label.at !== undefined) throw new Error(`ebpf: label ${label.name} placed twice`);
    label.at = this.insns.length;
  }

  /** dst = *(u32 *)(src + off): a 32-bit load, zero-extended. */
  loadWord(dst: Reg, src: Reg, off: number): void {
    this.emit({ code: CLASS.LDX | SIZE.W | MODE.MEM, dst, src, off, imm: 0 });
  }

  /** 32-bit dst = dst <op> imm (MOV: dst = imm). */
  alu32Imm(op: AluOp, dst: Reg, imm: number): void {
    this.emit({ code: CLASS.ALU | SRC.K | ALU_OP[op], dst, src: 0, off: 0, imm: toS32(imm) });
  }

  /** 32-bit dst = dst <op> src (MOV: dst = src). */
  alu32Reg(op: AluOp, dst: Reg, src: Reg): void {
    this.emit({ code: CLASS.ALU | SRC.X | ALU_OP[op], dst, src, off: 0, imm: 0 });
  }

  /** if ((u32)dst <op> (u32)imm) goto target. */
  jump32Imm(op: JmpOp, dst: Reg, imm: number, target: Label): void {
    this.emit({ code: CLASS.JMP32 | SRC.K | JMP_OP[op], dst, src: 0, off: 0, imm: toS32(imm) }, target);
  }

  /** goto target. */
  jump(target: Label): void {
    this.emit({ code: CLASS.JMP | JMP_OP.JA, dst: 0, src: 0, off: 0, imm: 0 }, target);
  }

  /** return r0. */
  exit(): void {
    this.emit({ code: CLASS.JMP | JMP_OP.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
  }

  /** r0 = value; return. */
  ret(value: number): void {
    this.alu32Imm('MOV', 0, value);
    this.exit();
  }

  assemble(): Insn[] {
    return this.insns.map(({ insn, target }, i) => {
      if (!target) return insn;
      if (target.at === undefined) throw new Error(`ebpf: label ${target.name} never placed`);
      const off = target.at - (i + 1);
      if (off < -0x8000 || off > 0x7fff) throw new Error(`ebpf: jump to ${target.name} is out of range (${off} instructions)`);
      return { ...insn, off };
    });
  }

  private emit(insn: Insn, target?: Label): void {
    this.insns.push(target ? { insn, target } : { insn });
  }
}

/** A u32 (or s32) as the signed 32-bit imm field holds it: the JMP32 and ALU forms compare and compute on the same 32 bits. */
function toS32(value: number): number {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0xffff_ffff) throw new Error(`ebpf: ${value} does not fit in 32 bits`);
  return value | 0;
}

const HOST_LE = endianness() === 'LE';

/**
 * The bytes bpf(BPF_PROG_LOAD) takes. The register nibbles follow the C
 * bitfield order, which is the byte order's: dst_reg is the low nibble on a
 * little-endian host, the high one on a big-endian host.
 */
export function encode(insns: Insn[], littleEndian = HOST_LE): Buffer {
  const buf = Buffer.alloc(insns.length * INSN_SIZE);
  insns.forEach((insn, i) => {
    const at = i * INSN_SIZE;
    buf.writeUInt8(insn.code, at);
    buf.writeUInt8(littleEndian ? (insn.src << 4) | insn.dst : (insn.dst << 4) | insn.src, at + 1);
    if (littleEndian) {
      buf.writeInt16LE(insn.off, at + 2);
      buf.writeInt32LE(insn.imm, at + 4);
    } else {
      buf.writeInt16BE(insn.off, at + 2);
      buf.writeInt32BE(insn.imm, at + 4);
    }
  });
  return buf;
}

/** The inverse of encode. */
export function decode(buf: Buffer, littleEndian = HOST_LE): Insn[] {
  if (buf.length % INSN_SIZE !== 0) throw new Error(`ebpf: ${buf.length} bytes is not a whole number of instructions`);
  const out: Insn[] = [];
  for (let at = 0; at < buf.length; at += INSN_SIZE) {
    const regs = buf.readUInt8(at + 1);
    out.push({
      code: buf.readUInt8(at),
      dst: littleEndian ? regs & 0xf : regs >> 4,
      src: littleEndian ? regs >> 4 : regs & 0xf,
      off: littleEndian ? buf.readInt16LE(at + 2) : buf.readInt16BE(at + 2),
      imm: littleEndian ? buf.readInt32LE(at + 4) : buf.readInt32BE(at + 4),
    });
  }
  return out;
}
