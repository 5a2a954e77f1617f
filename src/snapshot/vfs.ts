import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { copyTree, copyTreeSync } from '../sys/copy-tree.js';
import { applyLayer } from './layer/apply.js';
import { plainDiff } from './layer/diff.js';
import type { SnapshotRecord } from './records.js';
import type { DiffOptions, Mount } from './snapshotter.js';
import { DirectorySnapshotter, layerError, SNAPSHOT_ID, type StoreOptions } from './store.js';

/**
 * The copy driver, for hosts without overlayfs (Docker's `vfs`): every
 * snapshot is a whole tree, `<root>/dir/<id>/`.
 *
 *   a layer       = a copy of its parent's tree with the archive applied in
 *                   'plain' mode (whiteouts delete, opaque markers clear);
 *   an active one = a copy of its parent's tree, written in place;
 *   a view        = its parent's tree itself, bind-mounted read-only (no
 *                   copy: nothing can write through it);
 *   a diff        = the two trees compared (plainDiff).
 *
 * Copies are GNU `cp -a --reflink=auto` (sys/copy-tree.ts says why). prepare
 * copies synchronously, as the interface is synchronous; applyLayer copies
 * in a child process without blocking the event loop.
 */
export class VfsSnapshotter extends DirectorySnapshotter {
  readonly driver = 'vfs';
  private readonly trees: string;
  /** An empty tree: what a snapshot without a parent is compared against. */
  private readonly empty: string;

  constructor(root: string, options: StoreOptions = {}) {
    super(root, options);
    this.trees = `${root}/dir`;
    this.empty = `${root}/empty`;
    mkdirSync(this.trees, { recursive: true, mode: 0o700 });
    mkdirSync(this.empty, { recursive: true, mode: 0o700 });
    this.sweep();
  }

  /** A tree without a parent: an empty directory, 0755 whatever the umask (a container's / unless the archive says otherwise). */
  private emptyTree(path: string): void {
    mkdirSync(path);
    chmodSync(path, 0o755);
  }

  protected directoryOf(id: string): string {
    return `${this.trees}/${id}`;
  }

  protected ownFiles(id: string): string {
    return this.directoryOf(id);
  }

  protected directoryIds(): string[] {
    return readdirSync(this.trees).filter((n) => SNAPSHOT_ID.test(n));
  }

  protected async buildLayer(key: string, id: string, parent: SnapshotRecord | undefined, tar: AsyncIterable<Uint8Array>): Promise<void> {
    const build = this.newTemp();
    try {
      if (parent) await copyTree(this.directoryOf(parent.id!), build);
      else this.emptyTree(build);
      await applyLayer(build, tar, { mode: 'plain', digest: false });
      renameSync(build, this.directoryOf(id));
    } catch (err) {
      rmSync(build, { recursive: true, force: true });
      throw layerError(key, build, err);
    }
  }

  protected buildActive(_key: string, id: string, parent: SnapshotRecord | undefined): void {
    const build = this.newTemp();
    try {
      if (parent) copyTreeSync(this.directoryOf(parent.id!), build);
      else this.emptyTree(build);
      renameSync(build, this.directoryOf(id));
    } catch (err) {
      rmSync(build, { recursive: true, force: true });
      throw err;
    }
  }

  protected mountsOf(record: SnapshotRecord, parent: SnapshotRecord | undefined): Mount[] {
    if (record.kind === 'view') return [{ type: 'bind', source: this.directoryOf(parent!.id!), options: ['bind', 'ro'] }];
    return [{ type: 'bind', source: this.directoryOf(record.id!), options: ['bind', 'rw'] }];
  }

  protected diffOf(record: SnapshotRecord, parent: SnapshotRecord | undefined, options: DiffOptions): Readable {
    const before = parent ? this.directoryOf(parent.id!) : this.empty;
    return plainDiff(this.directoryOf(record.id!), before, options.excludeContentsOf ? { excludeContentsOf: options.excludeContentsOf } : {});
  }

  protected committed(): void {
    // the tree is the snapshot: nothing to drop
  }

  protected destroy(id: string): void {
    this.discard(this.directoryOf(id));
  }
}
