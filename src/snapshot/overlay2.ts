import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { applyLayer } from './layer/apply.js';
import { overlayDiff } from './layer/diff.js';
import { activeMounts, formatLower, isShortId, MAX_DEPTH, newShortId, parseLower, tooDeep, viewMounts } from './overlay-mounts.js';
import type { SnapshotRecord } from './records.js';
import type { DiffOptions, Mount } from './snapshotter.js';
import { DirectorySnapshotter, layerError, SNAPSHOT_ID, type StoreOptions } from './store.js';

/**
 * The overlay2 driver, on Docker's layout (overlay-mounts.ts draws it):
 *
 *   <root>/<id>/diff    the snapshot's own files; whiteouts as 0:0 devices,
 *                       opaque directories as trusted.overlay.opaque=y
 *          /link        its short name
 *          /lower       the short names below it (absent for a base layer)
 *          /work        overlayfs's work directory (active snapshots only)
 *   <root>/l/<short>    → ../<id>/diff
 *   <root>/metadata/    records (records.ts); <root>/tmp/ builds
 *
 * A layer is unpacked straight into the diff directory of a fresh build:
 * one pass over the archive, no copy of anything below it. A view is only
 * a record: its mounts show its parent's directories read-only.
 */
export class Overlay2Snapshotter extends DirectorySnapshotter {
  readonly driver = 'overlay2';
  private readonly links: string;

  constructor(root: string, options: StoreOptions = {}) {
    super(root, options);
    this.links = `${root}/l`;
    mkdirSync(this.links, { recursive: true, mode: 0o700 });
    this.sweep();
  }

  protected directoryOf(id: string): string {
    return `${this.root}/${id}`;
  }

  protected ownFiles(id: string): string {
    return `${this.root}/${id}/diff`;
  }

  protected directoryIds(): string[] {
    return readdirSync(this.root).filter((n) => SNAPSHOT_ID.test(n));
  }

  /** The short names of a committed snapshot's chain: its own first, then those below. */
  private chain(record: SnapshotRecord): string[] {
    const path = `${this.directoryOf(record.id!)}/link`;
    const own = readFileSync(path, 'utf8').trim();
    if (!isShortId(own)) throw new EngineError('Internal', 'SNAPSHOT_LAYOUT', `read "${path}": not a short id`, { hint: 'the snapshot directory is damaged; remove the image and pull it again' });
    return [own, ...this.lowerOf(record.id!)];
  }

  private lowerOf(id: string): string[] {
    const path = `${this.directoryOf(id)}/lower`;
    try {
      return parseLower(readFileSync(path, 'utf8'), path);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * Moves a finished build into place as `id`: its short link first (the
   * symlink is created exclusively, so a name clash just draws another
   * one), then `link` and `lower`, then the rename that makes it whole.
   */
  private place(build: string, id: string, lower: readonly string[]): void {
    let short = newShortId();
    for (;;) {
      try {
        symlinkSync(`../${id}/diff`, `${this.links}/${short}`);
        break;
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw err;
        short = newShortId();
      }
    }
    try {
      writeFileSync(`${build}/link`, short);
      if (lower.length > 0) writeFileSync(`${build}/lower`, formatLower(lower));
      renameSync(build, this.directoryOf(id));
    } catch (err) {
      unlinkSync(`${this.links}/${short}`);
      throw err;
    }
  }

  private newBuild(): string {
    const build = this.newTemp();
    mkdirSync(build, { mode: 0o710 });
    mkdirSync(`${build}/diff`);
    // a container's / when the layer's archive has no entry for it: 0755 whatever the umask
    chmodSync(`${build}/diff`, 0o755);
    return build;
  }

  protected async buildLayer(key: string, id: string, parent: SnapshotRecord | undefined, tar: AsyncIterable<Uint8Array>): Promise<void> {
    const lower = parent ? this.chain(parent) : [];
    if (lower.length + 1 > MAX_DEPTH) throw tooDeep('apply layer as', key, lower.length + 1);
    const build = this.newBuild();
    try {
      await applyLayer(`${build}/diff`, tar, { mode: 'overlay', digest: false });
      this.place(build, id, lower);
    } catch (err) {
      rmSync(build, { recursive: true, force: true });
      throw layerError(key, `${build}/diff`, err);
    }
  }

  protected buildActive(key: string, id: string, parent: SnapshotRecord | undefined): void {
    const lower = parent ? this.chain(parent) : [];
    if (lower.length + 1 > MAX_DEPTH) throw tooDeep('prepare', key, lower.length + 1);
    const build = this.newBuild();
    try {
      if (lower.length > 0) mkdirSync(`${build}/work`, { mode: 0o700 });
      this.place(build, id, lower);
    } catch (err) {
      rmSync(build, { recursive: true, force: true });
      throw err;
    }
  }

  protected mountsOf(record: SnapshotRecord, parent: SnapshotRecord | undefined): Mount[] {
    if (record.kind === 'view') return viewMounts(this.root, parent!.id!, this.chain(parent!));
    return activeMounts(this.root, record.id!, this.lowerOf(record.id!));
  }

  protected diffOf(record: SnapshotRecord, _parent: SnapshotRecord | undefined, options: DiffOptions): Readable {
    // the upper directory is the diff: whiteouts and opaque marks become their tar forms
    return overlayDiff(this.ownFiles(record.id!), options.excludeContentsOf ? { excludeContentsOf: options.excludeContentsOf } : {});
  }

  graphDriverData(key: string): Record<string, string> | null {
    const record = this.get('inspect', key);
    if (!record.id) return null;
    const dir = this.directoryOf(record.id);
    // Docker names the real directories the short links point to
    const real = this.lowerOf(record.id).map((short) => resolve(this.links, readlinkSync(`${this.links}/${short}`)));
    const data: Record<string, string> = { MergedDir: `${dir}/merged`, UpperDir: `${dir}/diff`, WorkDir: `${dir}/work` };
    if (real.length > 0) data['LowerDir'] = real.join(':');
    return data;
  }

  protected committed(id: string): void {
    rmSync(`${this.directoryOf(id)}/work`, { recursive: true, force: true });
  }

  protected destroy(id: string): void {
    let short: string | undefined;
    try {
      short = readFileSync(`${this.directoryOf(id)}/link`, 'utf8').trim();
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
    if (short && isShortId(short)) rmSync(`${this.links}/${short}`, { force: true });
    this.discard(this.directoryOf(id));
  }

  /**
   * Besides the common sweep: short links whose directory is gone (a crash
   * between the link and the rename, or during a remove) once they are
   * older than a live build could have left them.
   */
  protected override sweep(): void {
    super.sweep();
    const ids = new Set(this.directoryIds());
    const now = Date.now();
    for (const short of readdirSync(this.links)) {
      const path = `${this.links}/${short}`;
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st?.isSymbolicLink() || now - st.ctimeMs < this.orphanGraceMs) continue;
      const id = /^\.\.\/([0-9a-f]{64})\/diff$/.exec(readlinkSync(path))?.[1];
      if (id && !ids.has(id)) rmSync(path, { force: true });
    }
  }
}
