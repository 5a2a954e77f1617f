import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EngineError, errnoOf } from '../../errors/engine-error.js';
import { applyLayer, type ApplyMode } from './apply.js';
import { BLOCK } from './tar-header.js';
import { buildTar } from './testing.js';

/**
 * Malformed archives, generated: cut at every block, bits flipped in
 * headers (with and without a recomputed checksum), absurd sizes, garbage.
 * Each must either unpack inside its target or fail with an EngineError —
 * never crash with another error, never hang, never touch anything beside
 * the target (a sentinel file there keeps its content and its single link).
 * Runs without root: a mutation that asks for another owner or a device
 * fails cleanly with EPERM, which is one of the accepted outcomes.
 */
const me = { uid: process.getuid!(), gid: process.getgid!() };

const base = buildTar(
  [
    { name: 'etc', type: 'dir', mode: 0o755 },
    { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
    { name: 'etc/link', type: 'symlink', linkname: '../etc/passwd' },
    { name: 'etc/hard', type: 'hardlink', linkname: 'etc/passwd' },
    { name: `long/${'n'.repeat(180)}/file`, content: 'x'.repeat(1500), xattrs: { 'user.k': Buffer.from([0xff, 0, 1]) } },
    { name: 'gone/.wh.old' },
    { name: 'opq', type: 'dir' },
    { name: 'opq/.wh..wh..opq' },
    { name: 'opq/new', content: 'n' },
    { name: 'tmp', type: 'dir', mode: 0o1777 },
  ],
  me,
);

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets of the header blocks of base (where flips matter most). */
function headerBlocks(tar: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const block = tar.subarray(at, at + BLOCK);
    if (block.every((b) => b === 0)) break;
    out.push(at);
    const size = parseInt(block.toString('latin1', 124, 135), 8) || 0;
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

function fixChecksum(tar: Buffer, at: number): void {
  tar.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + BLOCK; i++) sum += tar[i]!;
  tar.write(sum.toString(8).padStart(6, '0') + '\0 ', at + 148, 'latin1');
}

let sandbox = '';
before(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'berth-test-fuzz-'));
});
after(() => rmSync(sandbox, { recursive: true, force: true }));

let n = 0;
/** Applies one mutant in a fresh box; checks the outcome and the box. */
async function tryArchive(label: string, archive: Buffer, mode: ApplyMode): Promise<'ok' | 'refused'> {
  const box = join(sandbox, String(n++));
  mkdirSync(join(box, 'target'), { recursive: true });
  writeFileSync(join(box, 'sentinel'), 'untouched');
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: apply hung`)), 10_000);
  });
  let outcome: 'ok' | 'refused' = 'ok';
  try {
    await Promise.race([applyLayer(join(box, 'target'), (async function* () { yield archive; })(), { mode }), hang]);
  } catch (err) {
    assert.ok(err instanceof EngineError, `${label}: not an EngineError: ${(err as Error).stack}`);
    // an Internal error must come from the system (an errno), not from a bug in the reader or unpacker
    if (err.code === 'LAYER_APPLY') assert.ok(errnoOf(err.cause) !== undefined, `${label}: ${err.message}`);
    outcome = 'refused';
  } finally {
    clearTimeout(timer);
  }
  assert.deepEqual(readdirSync(box).sort(), ['sentinel', 'target'], label);
  assert.equal(readFileSync(join(box, 'sentinel'), 'utf8'), 'untouched', label);
  assert.equal(lstatSync(join(box, 'sentinel')).nlink, 1, `${label}: a hardlink to the sentinel was made`);
  rmSync(box, { recursive: true, force: true });
  return outcome;
}

describe('applyLayer on malformed archives (fuzz, no root)', () => {
  it('the unmutated archive applies', async () => {
    assert.equal(await tryArchive('base', base, 'plain'), 'ok');
  });

  it('truncated at every block boundary, and inside blocks', async () => {
    for (const mode of ['plain', 'overlay'] as const) {
      for (let blocks = 0; blocks * BLOCK < base.length; blocks++) {
        const outcome = await tryArchive(`cut at block ${blocks}`, base.subarray(0, blocks * BLOCK), mode);
        if (blocks > 0 && blocks * BLOCK < base.length - 2 * BLOCK) assert.equal(outcome, 'refused', `cut at block ${blocks} (${mode}) was accepted`);
      }
      for (const cut of [1, 100, 511, 513, 1000, base.length - 1]) await tryArchive(`cut at byte ${cut}`, base.subarray(0, cut), mode);
    }
    const gz = gzipSync(base);
    for (let cut = 0; cut < gz.length; cut += 37) await tryArchive(`gzip cut at ${cut}`, gz.subarray(0, cut), 'plain');
  });

  it('bit flips in headers, checksum left wrong or recomputed', async () => {
    const rand = random(20241122);
    const headers = headerBlocks(base);
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < 400; i++) {
      const mutant = Buffer.from(base);
      const at = headers[Math.floor(rand() * headers.length)]!;
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        const byte = at + Math.floor(rand() * BLOCK);
        mutant[byte] = mutant[byte]! ^ (1 << Math.floor(rand() * 8));
      }
      const fixed = i % 2 === 1;
      if (fixed) fixChecksum(mutant, at);
      outcomes[await tryArchive(`flip #${i}${fixed ? ' (checksum fixed)' : ''}`, mutant, i % 4 < 2 ? 'plain' : 'overlay')]++;
    }
    // both paths were exercised: some mutants still unpack (a flipped mode bit, say), most are refused
    assert.ok(outcomes.ok > 10 && outcomes.refused > 100, JSON.stringify(outcomes));
  });

  it('huge and absurd sizes, garbage blocks', async () => {
    const first = headerBlocks(base)[1]!; // etc/passwd
    for (const size of ['77777777777', '00000000000', '99999999999', '-0000000001']) {
      const mutant = Buffer.from(base);
      mutant.write(size, first + 124, 11, 'latin1');
      fixChecksum(mutant, first);
      await tryArchive(`size ${size}`, mutant, 'plain');
    }
    const b256 = Buffer.from(base);
    b256.fill(0, first + 124, first + 136);
    b256[first + 124] = 0x80;
    b256.writeUIntBE(2 ** 47, first + 130, 6);
    fixChecksum(b256, first);
    assert.equal(await tryArchive('size 2^47 base-256', b256, 'plain'), 'refused');
    const rand = random(7);
    for (let i = 0; i < 50; i++) {
      const garbage = Buffer.alloc(BLOCK * (1 + Math.floor(rand() * 4)));
      for (let j = 0; j < garbage.length; j++) garbage[j] = Math.floor(rand() * 256);
      await tryArchive(`garbage #${i}`, i % 2 ? garbage : Buffer.concat([base.subarray(0, BLOCK * 3), garbage]), 'plain');
    }
  });
});
