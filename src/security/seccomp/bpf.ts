/**
 * Classic BPF, as seccomp runs it: instruction encoding and a small
 * assembler with labels. Conditional jumps only reach 255 instructions
 * forward (their offsets are u8), so the assembler rewrites a far
 * conditional jump into a short one around `ja` trampolines (whose offset
 * is 32-bit) until every jump fits: big profiles (Docker's has ~350 calls
 * on three ABIs) need it.
 */

export const BPF = {
  LD: 0x00,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  W: 0x00,
  ABS: 0x20,
  K: 0x00,
  AND: 0x50,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
} as const;

/** struct sock_filter */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** A jump target: a label, or null for the next instruction. */
export type Target = string | null;

type Item =
  | { kind: 'label'; name: string }
  | { kind: 'insn'; code: number; k: number }
  | { kind: 'cond'; code: number; k: number; jt: Target; jf: Target }
  | { kind: 'ja'; target: string };

export class Assembler {
  private items: Item[] = [];
  private next = 0;

  /** A fresh label name (placed later with `place`). */
  label(hint = 'L'): string {
    return `${hint}#${this.next++}`;
  }

  place(name: string): this {
    this.items.push({ kind: 'label', name });
    return this;
  }

  /** A = the 32-bit word at `offset` of struct seccomp_data. */
  load(offset: number): this {
    this.items.push({ kind: 'insn', code: BPF.LD | BPF.W | BPF.ABS, k: offset });
    return this;
  }

  and(k: number): this {
    this.items.push({ kind: 'insn', code: BPF.ALU | BPF.AND | BPF.K, k: k >>> 0 });
    return this;
  }

  ret(k: number): this {
    this.items.push({ kind: 'insn', code: BPF.RET | BPF.K, k: k >>> 0 });
    return this;
  }

  /** if (A <op> k) goto jt else goto jf; op is BPF.JEQ, JGT, JGE or JSET. */
  jump(op: number, k: number, jt: Target, jf: Target): this {
    this.items.push({ kind: 'cond', code: BPF.JMP | op | BPF.K, k: k >>> 0, jt, jf });
    return this;
  }

  goto(target: string): this {
    this.items.push({ kind: 'ja', target });
    return this;
  }

  assemble(): Insn[] {
    while (this.relax());
    const at = this.positions();
    const out: Insn[] = [];
    const dist = (t: Target, pc: number): number => (t === null ? 0 : at.get(t)! - pc - 1);
    for (const it of this.items) {
      const pc = out.length;
      if (it.kind === 'label') continue;
      if (it.kind === 'insn') out.push({ code: it.code, jt: 0, jf: 0, k: it.k });
      else if (it.kind === 'ja') out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: dist(it.target, pc) });
      else out.push({ code: it.code, jt: dist(it.jt, pc), jf: dist(it.jf, pc), k: it.k });
    }
    if (out.length > BPF_MAXINSNS) throw new Error(`seccomp program of ${out.length} instructions is longer than the kernel's limit of ${BPF_MAXINSNS}`);
    return out;
  }

  /** Label → instruction index; checks that every label is placed once and jumps go forward. */
  private positions(): Map<string, number> {
    const at = new Map<string, number>();
    let pc = 0;
    for (const it of this.items) {
      if (it.kind !== 'label') pc++;
      else if (at.has(it.name)) throw new Error(`BPF label ${it.name} placed twice`);
      else at.set(it.name, pc);
    }
    pc = 0;
    for (const it of this.items) {
      if (it.kind === 'label') continue;
      const targets = it.kind === 'cond' ? [it.jt, it.jf] : it.kind === 'ja' ? [it.target] : [];
      for (const t of targets) {
        if (t === null) continue;
        const to = at.get(t);
        if (to === undefined) throw new Error(`BPF label ${t} is never placed`);
        if (to <= pc) throw new Error(`BPF jump to ${t} goes backwards`);
      }
      pc++;
    }
    return at;
  }

  /** One pass of far-jump rewriting; true if anything changed. */
  private relax(): boolean {
    const at = this.positions();
    const out: Item[] = [];
    let pc = 0;
    let changed = false;
    for (const it of this.items) {
      if (it.kind === 'label') {
        out.push(it);
        continue;
      }
      const far = (t: Target): boolean => t !== null && at.get(t)! - pc - 1 > 255;
      if (it.kind !== 'cond' || (!far(it.jt) && !far(it.jf))) {
        out.push(it);
        pc++;
        continue;
      }
      changed = true;
      // jt/jf of null ("next") must keep meaning the instruction after the original jump
      const after = this.label('after');
      const jt = it.jt ?? after;
      const jf = it.jf ?? after;
      const viaT = far(it.jt) ? this.label('tramp') : jt;
      const viaF = far(it.jf) ? this.label('tramp') : jf;
      out.push({ ...it, jt: viaT, jf: viaF });
      if (viaT !== jt) out.push({ kind: 'label', name: viaT }, { kind: 'ja', target: jt });
      if (viaF !== jf) out.push({ kind: 'label', name: viaF }, { kind: 'ja', target: jf });
      out.push({ kind: 'label', name: after });
      pc++;
    }
    this.items = out;
    return changed;
  }
}

/** struct sock_filter[] as the kernel reads it (little-endian host). */
export function encodeProgram(insns: Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((ins, i) => {
    buf.writeUInt16LE(ins.code, i * 8);
    buf.writeUInt8(ins.jt, i * 8 + 2);
    buf.writeUInt8(ins.jf, i * 8 + 3);
    buf.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return buf;
}

export function decodeProgram(buf: Uint8Array): Insn[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Insn[] = [];
  for (let off = 0; off + 8 <= b.length; off += 8) out.push({ code: b.readUInt16LE(off), jt: b[off + 2]!, jf: b[off + 3]!, k: b.readUInt32LE(off + 4) });
  return out;
}
