import { BPF, type Insn } from './bpf.js';

/**
 * Runs a classic BPF seccomp program over one struct seccomp_data, the way
 * the kernel does, for the unit tests (never used by the runtime). Only the
 * instructions seccomp accepts are known; anything else, a read outside
 * the data or running off the end throws.
 */

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  args?: bigint[];
}

export function seccompDataBytes(d: SeccompData): Buffer {
  const buf = Buffer.alloc(64);
  buf.writeInt32LE(d.nr | 0, 0);
  buf.writeUInt32LE(d.arch >>> 0, 4);
  buf.writeBigUInt64LE(d.instructionPointer ?? 0n, 8);
  (d.args ?? []).forEach((a, i) => buf.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  return buf;
}

/** The program's verdict (SECCOMP_RET_* with data) for `d`. */
export function runFilter(prog: Insn[], d: SeccompData): number {
  const data = seccompDataBytes(d);
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const ins = prog[pc]!;
    const cls = ins.code & 0x07;
    if (ins.code === (BPF.LD | BPF.W | BPF.ABS)) {
      if (ins.k % 4 !== 0 || ins.k + 4 > data.length) throw new Error(`pc ${pc}: load outside seccomp_data at ${ins.k}`);
      a = data.readUInt32LE(ins.k);
    } else if (ins.code === (BPF.ALU | BPF.AND | BPF.K)) {
      a = (a & ins.k) >>> 0;
    } else if (ins.code === (BPF.RET | BPF.K)) {
      return ins.k >>> 0;
    } else if (ins.code === (BPF.JMP | BPF.JA)) {
      pc += ins.k;
    } else if (cls === BPF.JMP && (ins.code & 0x08) === BPF.K) {
      const k = ins.k >>> 0;
      let taken: boolean;
      switch (ins.code & 0xf0) {
        case BPF.JEQ: taken = a === k; break;
        case BPF.JGT: taken = a > k; break;
        case BPF.JGE: taken = a >= k; break;
        case BPF.JSET: taken = (a & k) !== 0; break;
        default: throw new Error(`pc ${pc}: unknown jump 0x${ins.code.toString(16)}`);
      }
      pc += taken ? ins.jt : ins.jf;
    } else {
      throw new Error(`pc ${pc}: unsupported instruction 0x${ins.code.toString(16)}`);
    }
  }
  throw new Error('the program ran off its end without returning');
}
