import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Arg, Op, Plan } from '../../sys/native-protocol.generated.js';
import { LaunchPlan } from './plan.js';

describe('LaunchPlan.encode', () => {
  it('writes the header, ops and typed args as protocol.h says', () => {
    const buf = new LaunchPlan().add('SETHOSTNAME', 'box').add('CLONE', 0x20000).encode();
    assert.equal(buf.readUInt32LE(0), Plan.MAGIC);
    assert.equal(buf.readUInt32LE(4), Plan.VERSION);
    assert.equal(buf.readUInt32LE(8), 2);
    assert.equal(buf.readUInt32LE(12), buf.length - 16);
    assert.equal(buf.readUInt16LE(16), Op.SETHOSTNAME);
    assert.equal(buf.readUInt16LE(18), 1);
    assert.equal(buf.readUInt32LE(20), 8 + 4);
    assert.equal(buf.readUInt32LE(24), Arg.STR);
    assert.equal(buf.readUInt32LE(28), 4);
    assert.equal(buf.subarray(32, 36).toString('latin1'), 'box\0');
    assert.equal(buf.readUInt16LE(36), Op.CLONE);
    assert.equal(buf.readUInt32LE(44), Arg.U64);
    assert.equal(buf.readBigUInt64LE(52), 0x20000n);
  });

  it('carries negative numbers as two\'s complement', () => {
    const buf = new LaunchPlan().add('NEW_TIME_NS', -5, 0, 0, 0).encode();
    assert.equal(buf.readBigInt64LE(16 + 8 + 8), -5n);
  });

  it('carries bytes as they are, NULs included', () => {
    const buf = new LaunchPlan().add('SECCOMP', Uint8Array.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]), 0, '').encode();
    assert.equal(buf.readUInt32LE(24), Arg.BYTES);
    assert.equal(buf.readUInt32LE(28), 8);
    assert.deepEqual([...buf.subarray(32, 40)], [6, 0, 0, 0, 0, 0, 0xff, 0x7f]);
    assert.equal(buf.readUInt32LE(40), Arg.U64);
  });

  it('refuses strings with a NUL inside', () => {
    assert.throws(() => new LaunchPlan().add('SETHOSTNAME', 'a\0b').encode(), /NUL byte/);
  });
});

describe('protocol.h', () => {
  it('is the source of the generated TypeScript constants', () => {
    execFileSync(process.execPath, ['scripts/gen-protocol.mjs', '--check'], { stdio: 'pipe' });
  });

  it('the syscall tables are what scripts/gen-syscalls.mjs makes of the installed headers', () => {
    execFileSync(process.execPath, ['scripts/gen-syscalls.mjs', '--check'], { stdio: 'pipe' });
  });
});
