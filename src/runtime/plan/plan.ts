import { Arg, Op, Plan as PlanHeader } from '../../sys/native-protocol.generated.js';

export type OpName = keyof typeof Op;
/** STR, U64, or BYTES (a Uint8Array: raw data that may contain NULs). */
export type PlanArg = string | number | bigint | Uint8Array;

export interface PlanOp {
  op: OpName;
  args: PlanArg[];
}

const U64_MASK = (1n << 64n) - 1n;

/**
 * A launch plan: the ordered operations berth-init executes (see
 * native/include/protocol.h). Built as data so that tests can read it,
 * encoded to the binary form only when handed to C.
 */
export class LaunchPlan {
  readonly ops: PlanOp[] = [];

  add(op: OpName, ...args: PlanArg[]): this {
    this.ops.push({ op, args });
    return this;
  }

  has(op: OpName): boolean {
    return this.ops.some((o) => o.op === op);
  }

  encode(): Buffer {
    const chunks: Buffer[] = [];
    for (const { op, args } of this.ops) {
      const encodedArgs = args.map(encodeArg);
      const size = encodedArgs.reduce((n, b) => n + b.length, 0);
      const head = Buffer.alloc(8);
      head.writeUInt16LE(Op[op], 0);
      head.writeUInt16LE(args.length, 2);
      head.writeUInt32LE(size, 4);
      chunks.push(head, ...encodedArgs);
    }
    const body = Buffer.concat(chunks);
    const header = Buffer.alloc(16);
    header.writeUInt32LE(PlanHeader.MAGIC, 0);
    header.writeUInt32LE(PlanHeader.VERSION, 4);
    header.writeUInt32LE(this.ops.length, 8);
    header.writeUInt32LE(body.length, 12);
    return Buffer.concat([header, body]);
  }
}

function encodeArg(arg: PlanArg): Buffer {
  if (arg instanceof Uint8Array) {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(Arg.BYTES, 0);
    head.writeUInt32LE(arg.length, 4);
    return Buffer.concat([head, arg]);
  }
  if (typeof arg === 'string') {
    if (arg.includes('\0')) throw new Error(`launch plan string contains a NUL byte: ${JSON.stringify(arg)}`);
    const bytes = Buffer.from(arg + '\0', 'utf8');
    const head = Buffer.alloc(8);
    head.writeUInt32LE(Arg.STR, 0);
    head.writeUInt32LE(bytes.length, 4);
    return Buffer.concat([head, bytes]);
  }
  const value = typeof arg === 'bigint' ? arg : BigInt(arg);
  const buf = Buffer.alloc(16);
  buf.writeUInt32LE(Arg.U64, 0);
  buf.writeUInt32LE(8, 4);
  buf.writeBigUInt64LE(value & U64_MASK, 8);
  return buf;
}
