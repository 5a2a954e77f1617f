/**
 * bench/images.sh's berth side of "commit 50 MiB of changes", until
 * containers exist (the engine issue): a container is a prepared snapshot
 * over the base image, as the image library sees it.
 *
 *   prepare <data-root>   a fresh "container" over bench/base with 50 MiB written
 *   commit <data-root>    commit it as bench/commit:1 (what is timed)
 *   clean <data-root>     remove both
 *
 * Bundled by esbuild first, so that Node's start is all it adds, as the
 * docker CLI's start is all `docker commit` adds.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openImageService } from '../src/cli/docker/context.js';
import { chainId } from '../src/image/config.js';
import { parseDigest } from '../src/lib/digest.js';
import { mountAll, unmount } from '../src/sys/mounts.js';

const [command, dataRoot] = process.argv.slice(2);
if (!command || !dataRoot) throw new Error('usage: commit-driver prepare|commit|clean DATA_ROOT');
const service = openImageService(dataRoot);
const snapshots = service.ctx.snapshots;
const KEY = 'bench-commit';

async function clean(): Promise<void> {
  try {
    await service.remove('bench/commit:1', { force: true });
  } catch {
    // not there
  }
  if (snapshots.stat(KEY)) snapshots.remove(KEY);
}

if (command === 'clean') await clean();
if (command === 'prepare') {
  await clean();
  const base = await service.inspect('bench/base');
  await service.ensureUnpacked(parseDigest(base.Id));
  const mounts = snapshots.prepare(KEY, chainId(base.RootFS.Layers.map((l) => parseDigest(l))));
  const target = mkdtempSync('/var/tmp/berth-bench-mnt-');
  mountAll(mounts, target);
  try {
    // 50 files of 1 MiB of random bytes: nothing compresses or dedupes
    for (let i = 0; i < 50; i++) writeFileSync(join(target, `file-${i}`), randomBytes(1 << 20));
  } finally {
    unmount(target);
    rmdirSync(target);
  }
}
if (command === 'commit') await service.commit(KEY, { parentImage: 'bench/base', ref: 'bench/commit:1' });
