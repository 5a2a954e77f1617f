import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceRule } from '../../spec/oci-resources.js';
import { engineErrorOf } from '../cgroup-fixture.js';
import { runDeviceProgram, type DeviceAccess } from './bpf-interpreter.js';
import { compileDeviceFilter, deviceFilterProgram, planDeviceFilter } from './device-filter.js';
import { Assembler, decode, encode, Label } from './ebpf.js';

const allow = (type: 'a' | 'c' | 'b', major?: number, minor?: number, access = 'rwm'): DeviceRule => ({ allow: true, type, ...(major === undefined ? {} : { major }), ...(minor === undefined ? {} : { minor }), access });
const deny = (type: 'a' | 'c' | 'b', major?: number, minor?: number, access = 'rwm'): DeviceRule => ({ ...allow(type, major, minor, access), allow: false });

/** docker's default rules for a container (deny all, then the usual nodes; fuse denied). */
const DOCKER: DeviceRule[] = [
  { allow: false, access: 'rwm' },
  allow('c', 1, 5), allow('c', 1, 3), allow('c', 1, 9), allow('c', 1, 8), allow('c', 5, 0), allow('c', 5, 1),
  deny('c', 10, 229),
];

/** Runs the compiled program: "c 1:3 rw" → allowed? */
function verdict(rules: DeviceRule[], what: string): boolean {
  const m = /^([cb]) (\d+):(\d+) ([rwm]+)$/.exec(what);
  if (!m) throw new Error(`bad access ${what}`);
  return runDeviceProgram(deviceFilterProgram(rules), { type: m[1] as 'c' | 'b', major: Number(m[2]), minor: Number(m[3]), access: m[4]! });
}

function allowed(rules: DeviceRule[], ...what: string[]): void {
  for (const w of what) assert.equal(verdict(rules, w), true, `${w} should be allowed`);
}

function refused(rules: DeviceRule[], ...what: string[]): void {
  for (const w of what) assert.equal(verdict(rules, w), false, `${w} should be refused`);
}

/**
 * The rules as the spec reads them, written plainly for comparison: for
 * each requested bit, the last rule that matches the device and has the bit
 * decides; no rule, deny. The program must agree with this everywhere.
 */
function reference(rules: DeviceRule[], a: DeviceAccess): boolean {
  for (const bit of a.access) {
    let verdictForBit = false;
    for (const r of rules) {
      const type = r.type ?? 'a';
      const matches = type === 'a' || (type === a.type && (r.major === undefined || r.major === a.major) && (r.minor === undefined || r.minor === a.minor));
      if (matches && (r.access || 'rwm').includes(bit)) verdictForBit = r.allow;
    }
    if (!verdictForBit) return false;
  }
  return true;
}

describe('cgroup v2 device filter', () => {
  it("applies docker's default rules: the usual nodes, nothing else", () => {
    allowed(DOCKER, 'c 1:3 rw', 'c 1:3 r', 'c 1:3 w', 'c 1:5 r', 'c 1:9 rwm', 'c 5:0 rw', 'c 5:1 w');
    refused(DOCKER, 'b 8:0 r', 'b 8:0 m', 'c 10:229 rw', 'c 4:1 r', 'c 1:7 r', 'c 1:3 rw'.replace('1:3', '3:1'), 'c 136:0 rw', 'c 1:1 r');
  });

  it('decides each access bit by the last rule that has it', () => {
    // the later deny takes back w of what the earlier allow gave
    const rules = [deny('a'), allow('c', 1), deny('c', 1, 3, 'w')];
    allowed(rules, 'c 1:3 r', 'c 1:3 m', 'c 1:5 w', 'c 1:5 rw');
    refused(rules, 'c 1:3 w', 'c 1:3 rw', 'c 1:3 rwm');
    // bits granted by two rules add up; an open for both needs both
    const split = [deny('a'), allow('c', 1, 3, 'r'), allow('c', 1, 3, 'w')];
    allowed(split, 'c 1:3 r', 'c 1:3 w', 'c 1:3 rw');
    refused(split, 'c 1:3 m', 'c 1:3 rwm', 'c 1:4 r');
    // a later allow overrides an earlier deny
    allowed([deny('a'), deny('c', 1, 3), allow('c', 1, 3, 'r')], 'c 1:3 r');
  });

  it('takes an "a" rule as the new default, dropping what it overrides', () => {
    const open = [allow('a'), deny('c', 10, 229), deny('b', undefined, undefined, 'w')];
    allowed(open, 'c 1:3 rw', 'b 8:0 r', 'b 8:0 m', 'c 10:228 rwm');
    refused(open, 'c 10:229 r', 'b 8:0 w', 'b 8:0 rw');
    assert.deepEqual(planDeviceFilter(open), { defaultAllow: true, rules: [{ allow: false, type: 'b', major: undefined, minor: undefined, access: 'w' }, { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }] });
    // rules before the last "a" are overridden by it: the program never sees them
    const reset = [allow('c', 1, 3), deny('b', 8), deny('a')];
    refused(reset, 'c 1:3 r', 'b 8:0 r');
    assert.deepEqual(planDeviceFilter(reset), { defaultAllow: false, rules: [] });
    assert.equal(compileDeviceFilter(reset).length, 6 + 2, 'the context loads and "return 0"');
    // a rule with no type is an "a" rule
    refused([allow('c', 1, 3), { allow: false }], 'c 1:3 r');
    // rules that only repeat the default at the start are left out
    assert.deepEqual(planDeviceFilter([deny('c', 1, 3), deny('b', 8, 0), allow('c', 1, 5)]).rules.map((r) => r.minor), [5]);
  });

  it('denies everything not allowed when no "a" rule says otherwise', () => {
    refused([allow('c', 1, 3)], 'c 1:5 r', 'b 8:0 r');
    allowed([allow('c', 1, 3)], 'c 1:3 rwm');
    refused([], 'c 1:3 r');
  });

  it('compares device numbers as the u32s they are, major and minor apart', () => {
    const rules = [deny('a'), allow('c', 0xffff_ffff, 7), allow('b', 7, 0xffff_ffff, 'r'), allow('c', undefined, 0)];
    allowed(rules, `c ${0xffff_ffff}:7 r`, `b 7:${0xffff_ffff} r`, 'c 42:0 w', 'c 0:0 m');
    refused(rules, 'c 7:4294967295 r', `b 7:${0xffff_ffff} w`, `c 4294967294:7 r`, 'b 42:0 r', 'c 7:7 r');
  });

  it('agrees with the plain reading of the rules on random rule lists', () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
    const accesses = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'] as const;
    for (let round = 0; round < 300; round++) {
      const rules: DeviceRule[] = [];
      for (let i = rand(7); i >= 0; i--) {
        if (rand(8) === 0) rules.push({ allow: rand(2) === 0 });
        else rules.push({ allow: rand(2) === 0, type: pick(['c', 'b'] as const), ...(rand(3) ? { major: rand(3) } : {}), ...(rand(3) ? { minor: rand(3) } : {}), access: pick(accesses) });
      }
      const program = deviceFilterProgram(rules);
      for (const type of ['c', 'b'] as const) {
        for (let major = 0; major < 4; major++) {
          for (let minor = 0; minor < 4; minor++) {
            for (const access of accesses) {
              const a = { type, major, minor, access };
              assert.equal(runDeviceProgram(program, a), reference(rules, a), `${JSON.stringify(rules)}: ${type} ${major}:${minor} ${access}`);
            }
          }
        }
      }
    }
  });

  it('refuses rules the v1 kernel would read otherwise, naming them', () => {
    const narrowed = engineErrorOf(() => compileDeviceFilter([deny('a'), allow('a', undefined, undefined, 'r')]));
    assert.equal(narrowed.code, 'BAD_RESOURCE');
    assert.match(narrowed.message, /^linux\.resources\.devices\[1\]: a rule of type "a" \(all devices\) cannot be limited to access "r"/);
    assert.match(engineErrorOf(() => compileDeviceFilter([{ allow: true, type: 'c', access: 'rx' }])).message, /^linux\.resources\.devices\[0\]\.access: "rx"/);
    assert.match(engineErrorOf(() => compileDeviceFilter([{ allow: true, type: 'c', major: 2 ** 32 }])).message, /devices\[0\]\.major: 4294967296 is out of range/);
  });

  it('encodes struct bpf_insn as the kernel lays it out', () => {
    const program = deviceFilterProgram(DOCKER);
    assert.equal(program.length % 8, 0);
    // r2 = *(u32 *)(r1 + 0): LDX|W|MEM, dst r2 in the low nibble on a little-endian host
    assert.deepEqual([...program.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
    // ends with r0 = 0 (ALU|K|MOV), exit (JMP|EXIT)
    assert.deepEqual([...program.subarray(-16)], [0xb4, 0x00, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const insns = compileDeviceFilter(DOCKER);
    assert.deepEqual(decode(encode(insns)), insns);
    assert.deepEqual(decode(encode(insns, false), false), insns);
    assert.equal(encode(insns, false)[1], 0x21, 'big-endian: dst in the high nibble');
    const jne = insns.find((i) => i.code === 0x56)!; // JMP32|K|JNE
    assert.ok(jne.off > 0);
  });
});

describe('ebpf assembler and test interpreter', () => {
  it('resolves labels, and refuses one never placed or a value that does not fit', () => {
    const asm = new Assembler();
    const end = new Label('end');
    asm.alu32Imm('MOV', 0, 1);
    asm.jump(end);
    asm.alu32Imm('MOV', 0, 0);
    asm.place(end);
    asm.exit();
    assert.equal(asm.assemble()[1]!.off, 1);
    assert.equal(runDeviceProgram(encode(asm.assemble()), { type: 'c', major: 1, minor: 3, access: 'r' }), true);
    const dangling = new Assembler();
    dangling.jump(new Label('nowhere'));
    assert.throws(() => dangling.assemble(), /label nowhere never placed/);
    assert.throws(() => new Assembler().alu32Imm('MOV', 0, 2 ** 32), /does not fit in 32 bits/);
    assert.throws(() => asm.place(end), /placed twice/);
  });

  it('refuses what the verifier would: loops, unset registers, bad verdicts, falling off the end', () => {
    const a: DeviceAccess = { type: 'c', major: 1, minor: 3, access: 'r' };
    const run = (build: (asm: Assembler) => void): boolean => {
      const asm = new Assembler();
      build(asm);
      return runDeviceProgram(encode(asm.assemble()), a);
    };
    assert.throws(() => run((x) => x.exit()), /r0 read before it is written/);
    assert.throws(() => run((x) => x.ret(2)), /returns 2/);
    assert.throws(() => run((x) => x.alu32Imm('MOV', 0, 1)), /fell off the end/);
    assert.throws(() => run((x) => x.loadWord(0, 2, 0)), /r2 read before|not the context/);
    assert.throws(() => run((x) => x.loadWord(0, 1, 2)), /not a u32 field/);
    assert.throws(() => run((x) => {
      const top = new Label('top');
      x.place(top);
      x.jump(top);
    }), /backward jump/);
  });
});
