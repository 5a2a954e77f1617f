/**
 * Times the snapshotters on the sizes, as root:
 *   apply  — a 100 MiB rootfs-like layer (2,600 files in 130 directories,
 *            sizes from 1 KiB to 256 KiB, symlinks and hardlinks) unpacked
 *            from an uncompressed tar file: what `import` pays on top of
 *            storing the blob;
 *   diff   — 50 MiB of changes written through a prepared mount, read back
 *            as a layer tar (what `commit` streams into the content store);
 *   commit — that diff applied as a new layer (Docker's commit makes one).
 * GNU tar unpacking the same archive is timed too, as the disk's floor.
 * Usage: node --import tsx bench/snapshot.ts [overlay2|vfs] [runs]
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSnapshotter } from '../src/snapshot/create.js';
import { mountAll, unmount } from '../src/sys/mounts.js';

const driver = (process.argv[2] ?? 'overlay2') as 'overlay2' | 'vfs';
const runs = Number(process.argv[3] ?? 5);
const MiB = 1024 * 1024;

/** A directory of about `total` bytes in files of mixed sizes; random bytes so nothing compresses or dedups. */
function makeTree(dir: string, total: number, prefix: string): void {
  let written = 0;
  for (let d = 0; written < total; d++) {
    const sub = join(dir, `${prefix}${d % 13}`, `d${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 20 && written < total; f++) {
      const size = Math.min(total - written, 1024 * 2 ** ((d * 7 + f) % 9));
      writeFileSync(join(sub, `f${f}`), randomBytes(size));
      written += size;
    }
    symlinkSync('f0', join(sub, 'link'));
    linkSync(join(sub, 'f0'), join(sub, 'hard'));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

const work = mkdtempSync(join(tmpdir(), 'berth-bench-snap-'));
try {
  const src = join(work, 'src');
  mkdirSync(src);
  makeTree(src, 100 * MiB, 'usr');
  const tar = join(work, 'rootfs.tar');
  execFileSync('tar', ['-C', src, '--numeric-owner', '-cf', tar, '.']);
  const times = { tar: [] as number[], apply: [] as number[], diff: [] as number[], commit: [] as number[] };
  for (let run = 0; run < runs; run++) {
    execFileSync('sync');
    // the floor: GNU tar unpacking the same archive (same files to create, in C)
    const plain = mkdtempSync(join(work, 'tar-'));
    let t0 = process.hrtime.bigint();
    execFileSync('tar', ['-C', plain, '-xf', tar]);
    times.tar.push(ms(t0));
    rmSync(plain, { recursive: true, force: true });
    execFileSync('sync');
    const root = mkdtempSync(join(work, 'root-'));
    const s = createSnapshotter(root, { driver });
    t0 = process.hrtime.bigint();
    await s.applyLayer('sha256:base', undefined, createReadStream(tar, { highWaterMark: 1 * MiB }));
    times.apply.push(ms(t0));

    const target = mkdtempSync(join(work, 'mnt-'));
    mountAll(s.prepare('c', 'sha256:base'), target);
    makeTree(target, 50 * MiB, 'new');
    unmount(target);
    t0 = process.hrtime.bigint();
    const hash = createHash('sha256');
    for await (const chunk of s.diff('c')) hash.update(chunk as Buffer);
    times.diff.push(ms(t0));
    t0 = process.hrtime.bigint();
    await s.applyLayer('sha256:committed', 'sha256:base', s.diff('c'));
    times.commit.push(ms(t0));
    rmSync(root, { recursive: true, force: true });
  }
  console.log(`${driver}, ${runs} runs, medians: apply 100 MiB ${median(times.apply).toFixed(0)} ms (GNU tar -x: ${median(times.tar).toFixed(0)} ms); diff 50 MiB ${median(times.diff).toFixed(0)} ms; diff+apply (commit) 50 MiB ${median(times.commit).toFixed(0)} ms`);
  console.log(JSON.stringify(times));
} finally {
  rmSync(work, { recursive: true, force: true });
}
