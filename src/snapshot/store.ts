import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, rmSync, type Dirent } from 'node:fs';
import type { Readable } from 'node:stream';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { mountPointsUsing } from '../sys/mounts.js';
import { removeInBackground } from '../sys/fs-tasks.js';
import { checkKey, infoOf, SnapshotRecords, type SnapshotRecord } from './records.js';
import type { DiffOptions, Mount, SnapshotInfo, Snapshotter } from './snapshotter.js';

/**
 * What both drivers share: records (records.ts), the checks every
 * operation makes, and the crash-safe order of each change. A driver says
 * only how a snapshot's directory is built, shown, diffed and destroyed.
 *
 * Order, so that a crash at any point leaves nothing half-visible:
 *   create: build under `<root>/tmp/<pid>-<random>/`, rename into place,
 *           then write the record (the commit point);
 *   remove: delete the record first, then rename the directory into tmp/
 *           and delete it;
 *   commit: write the new record, then delete the old one (a crash in
 *           between leaves two records of one directory: the next open
 *           keeps the committed one); under the same key, one atomic
 *           rewrite of the record.
 * What a crash leaves — temp directories of dead processes, directories no
 * record names — is swept when the store is opened (sweep()).
 *
 * Within one process, operations are synchronous except applyLayer, which
 * reads its input; while it runs, its parent cannot be removed and a second
 * applyLayer of the same key waits for it instead of unpacking twice.
 * Across processes, records are created exclusively; other races (removing
 * a parent while another process prepares over it) are the daemon's to
 * prevent: it is the single writer.
 */

/** Orphan directories younger than this may be another process's, between its rename and its record. */
export const ORPHAN_GRACE_MS = 10 * 60 * 1000;

export type SnapshotDriver = Snapshotter['driver'];

export interface StoreOptions {
  /** Default ORPHAN_GRACE_MS; tests that simulate a crash set 0. */
  orphanGraceMs?: number | undefined;
}

function notFound(op: string, key: string): EngineError {
  return new EngineError('NotFound', 'SNAPSHOT_NOT_FOUND', `${op} snapshot ${JSON.stringify(key)}: no such snapshot`);
}

function wrongKind(op: string, record: SnapshotRecord, want: string): EngineError {
  return new EngineError('InvalidArgument', 'SNAPSHOT_KIND', `${op} snapshot ${JSON.stringify(record.key)}: it is ${record.kind === 'active' ? 'an' : 'a'} ${record.kind} snapshot, not ${want}`);
}

function exists(op: string, key: string): EngineError {
  return new EngineError('Conflict', 'SNAPSHOT_EXISTS', `${op} snapshot ${JSON.stringify(key)}: a snapshot with this key exists already`, { hint: 'remove it first, or choose another key' });
}

/**
 * A failure to unpack layer `key` into the build directory `target`, named
 * by the layer rather than by a temp path the user never sees: `apply
 * layer "sha256:…": corrupt tar archive at byte 1536: …`.
 */
export function layerError(key: string, target: string, err: unknown): unknown {
  if (!(err instanceof EngineError)) return err;
  const inner = `apply layer to ${JSON.stringify(target)}: `;
  const why = err.message.startsWith(inner) ? err.message.slice(inner.length) : err.message;
  return new EngineError(err.kind, err.code, `apply layer ${JSON.stringify(key)}: ${why}`, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
};

/** Bytes of the files under dir (apparent sizes, a hardlinked file once, directories not counted), as Docker's directory.Size. */
export function diskUsage(dir: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (d: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const st = lstatSync(p);
      if (st.nlink > 1) {
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
      }
      total += st.size;
    }
  };
  walk(dir);
  return total;
}

export abstract class DirectorySnapshotter implements Snapshotter {
  abstract readonly driver: SnapshotDriver;
  protected readonly records: SnapshotRecords;
  /** Where directories are built and taken apart: inside root, so that rename moves them. */
  protected readonly tmp: string;
  private readonly applying = new Map<string, { parent: string | undefined; done: Promise<SnapshotInfo> }>();

  /** How old a directory no record names must be before a sweep removes it. */
  protected readonly orphanGraceMs: number;

  constructor(
    readonly root: string,
    options: StoreOptions = {},
  ) {
    this.orphanGraceMs = options.orphanGraceMs ?? ORPHAN_GRACE_MS;
    mkdirSync(root, { recursive: true, mode: 0o710 });
    this.records = new SnapshotRecords(root);
    this.tmp = `${root}/tmp`;
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
  }

  // --- what a driver provides ---------------------------------------------

  /** The ids of the snapshot directories on disk, for the sweep. */
  protected abstract directoryIds(): string[];
  /** Snapshot `id`'s directory (its age decides whether an orphan is old enough to sweep). */
  protected abstract directoryOf(id: string): string;
  /** Unpacks a layer over parent into a new directory `id`, complete and in place when it resolves; on failure nothing is left. */
  protected abstract buildLayer(key: string, id: string, parent: SnapshotRecord | undefined, tar: AsyncIterable<Uint8Array>): Promise<void>;
  /** Makes the directory `id` of a new active snapshot over parent; on failure nothing is left. */
  protected abstract buildActive(key: string, id: string, parent: SnapshotRecord | undefined): void;
  protected abstract mountsOf(record: SnapshotRecord, parent: SnapshotRecord | undefined): Mount[];
  protected abstract diffOf(record: SnapshotRecord, parent: SnapshotRecord | undefined, options: DiffOptions): Readable;
  /** The directory whose files are this snapshot's own (for usage). */
  protected abstract ownFiles(id: string): string;
  /** Removes directory `id` and whatever else names it (a short link). */
  protected abstract destroy(id: string): void;
  /** After an active snapshot was committed (overlay drops its work directory). */
  protected abstract committed(id: string): void;

  // --- the interface -------------------------------------------------------

  stat(key: string): SnapshotInfo | undefined {
    const r = this.records.get(key);
    return r && infoOf(r);
  }

  list(): SnapshotInfo[] {
    return this.records.list().map(infoOf);
  }

  async applyLayer(key: string, parent: string | undefined, tar: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    checkKey(key);
    const pending = this.applying.get(key);
    if (pending) {
      try {
        return await pending.done;
      } catch {
        // its failure was its own input's: try with ours
      }
    }
    const existing = this.records.get(key);
    if (existing) return this.reuse(existing, parent);
    const done = this.unpack(key, parent, tar);
    this.applying.set(key, { parent, done });
    try {
      return await done;
    } finally {
      this.applying.delete(key);
    }
  }

  private reuse(existing: SnapshotRecord, parent: string | undefined): SnapshotInfo {
    // the input is left unread: the caller owns it (a file stream is closed by its owner or by GC)
    if (existing.kind !== 'committed') throw wrongKind('apply layer as', existing, 'a committed layer');
    if (existing.parent !== parent) {
      throw new EngineError('Conflict', 'SNAPSHOT_EXISTS', `apply layer as snapshot ${JSON.stringify(existing.key)}: it exists over ${JSON.stringify(existing.parent ?? null)}, not ${JSON.stringify(parent ?? null)}`, {
        hint: 'layers are keyed by chain ID, which names the whole stack below them',
      });
    }
    return infoOf(existing);
  }

  private async unpack(key: string, parent: string | undefined, tar: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    const parentRecord = parent === undefined ? undefined : this.committedParent('apply layer as', key, parent);
    const id = newId();
    await this.buildLayer(key, id, parentRecord, tar);
    const record: SnapshotRecord = { key, kind: 'committed', id, parent, created: new Date().toISOString() };
    if (!this.records.create(record)) {
      // another process registered the same layer meanwhile: theirs stays, ours goes
      this.destroy(id);
      return this.reuse(this.records.get(key) ?? record, parent);
    }
    return infoOf(record);
  }

  prepare(key: string, parent: string | undefined, opts: { volatile?: boolean } = {}): Mount[] {
    return this.mounts(this.create('prepare', key, parent, 'active', opts.volatile === true).key);
  }

  view(key: string, parent: string): Mount[] {
    return this.mounts(this.create('view', key, parent, 'view').key);
  }

  private create(op: string, key: string, parent: string | undefined, kind: 'active' | 'view', volatile = false): SnapshotRecord {
    checkKey(key);
    if (this.records.get(key)) throw exists(op, key);
    const parentRecord = parent === undefined ? undefined : this.committedParent(op, key, parent);
    const record: SnapshotRecord = { key, kind, parent, created: new Date().toISOString() };
    if (kind === 'active') {
      record.id = newId();
      this.buildActive(key, record.id, parentRecord);
    }
    if (!this.records.create(record, !volatile)) {
      if (record.id) this.destroy(record.id);
      throw exists(op, key);
    }
    return record;
  }

  mounts(key: string): Mount[] {
    const record = this.get('mount', key);
    if (record.kind === 'committed') throw wrongKind('mount', record, 'an active snapshot or a view (make a view of it)');
    return this.mountsOf(record, record.parent === undefined ? undefined : this.get('mount', record.parent));
  }

  commit(name: string, key: string): SnapshotInfo {
    checkKey(name, 'snapshot name');
    const record = this.get('commit', key);
    if (record.kind !== 'active') throw wrongKind('commit', record, 'an active one');
    if (name !== key && this.records.get(name)) throw exists('commit', name);
    this.notMounted('commit', record);
    const done: SnapshotRecord = { key: name, kind: 'committed', id: record.id, parent: record.parent, created: new Date().toISOString() };
    if (name === key) {
      // committed under its own key (a container's init layer): one atomic rewrite
      this.records.replace(done);
    } else {
      if (!this.records.create(done)) throw exists('commit', name);
      this.records.remove(key);
    }
    this.committed(record.id!);
    return infoOf(done);
  }

  diff(key: string, options: DiffOptions = {}): Readable {
    const record = this.get('diff', key);
    if (record.kind === 'view') throw wrongKind('diff', record, 'an active or committed one');
    return this.diffOf(record, record.parent === undefined ? undefined : this.get('diff', record.parent), options);
  }

  remove(key: string): void {
    const record = this.get('remove', key);
    const children = this.records.list().filter((r) => r.parent === key).map((r) => r.key);
    for (const [k, a] of this.applying) if (a.parent === key) children.push(k);
    if (children.length > 0) {
      throw new EngineError('Conflict', 'SNAPSHOT_IN_USE', `remove snapshot ${JSON.stringify(key)}: snapshots are over it (${children.map((c) => JSON.stringify(c)).join(', ')})`, {
        hint: 'remove them first',
      });
    }
    this.notMounted('remove', record);
    this.records.remove(key);
    if (record.id) this.destroy(record.id);
  }

  usage(key: string): number {
    const record = this.get('usage of', key);
    return record.id === undefined ? 0 : diskUsage(this.ownFiles(record.id));
  }

  // --- helpers for drivers -------------------------------------------------

  protected get(op: string, key: string): SnapshotRecord {
    const record = this.records.get(key);
    if (!record) throw notFound(op, key);
    return record;
  }

  private committedParent(op: string, key: string, parent: string): SnapshotRecord {
    checkKey(parent, 'parent key');
    const record = this.records.get(parent);
    if (!record) throw new EngineError('NotFound', 'SNAPSHOT_NOT_FOUND', `${op} snapshot ${JSON.stringify(key)}: its parent ${JSON.stringify(parent)} does not exist`);
    if (record.kind !== 'committed') throw wrongKind(`${op} snapshot ${JSON.stringify(key)} over`, record, 'a committed one');
    return record;
  }

  /** A snapshot mounted in this mount namespace must not change under its mount. */
  private notMounted(op: string, record: SnapshotRecord): void {
    if (!record.id) return;
    const at = mountPointsUsing(record.id);
    if (at.length > 0) {
      throw new EngineError('Conflict', 'SNAPSHOT_IN_USE', `${op} snapshot ${JSON.stringify(record.key)}: it is mounted at ${at.map((p) => JSON.stringify(p)).join(', ')}`, {
        hint: 'unmount it first',
      });
    }
  }

  /** A path in tmp/ for a new build; the pid in its name lets a sweep tell a live build from a crashed one. */
  protected newTemp(): string {
    return `${this.tmp}/${process.pid}-${randomBytes(8).toString('hex')}`;
  }

  private readonly deleting = new Set<Promise<void>>();
  /** set while sweeping on open, which deletes at once: a store opened is a clean one */
  private sweeping = false;

  /** Takes a directory out of sight at once (a rename into tmp/), then deletes it in the background. */
  protected discard(path: string): void {
    if (this.sweeping) {
      rmSync(path, { recursive: true, force: true });
      return;
    }
    const deletion = removeInBackground(path, this.newTemp());
    if (!deletion) return;
    this.deleting.add(deletion);
    void deletion.finally(() => this.deleting.delete(deletion));
  }

  /** Resolves once the trees of removed snapshots are deleted from disk (remove returns before). */
  async removalsSettled(): Promise<void> {
    while (this.deleting.size) await Promise.all(this.deleting);
  }

  /**
   * Clears what crashes left (see the file's comment): temp directories and
   * record files of processes that are gone, the second record of an
   * interrupted commit, and directories no record names once they are
   * older than the grace.
   */
  protected sweep(): void {
    for (const name of readdirSync(this.tmp)) {
      const pid = Number(name.split('-')[0]);
      if (!Number.isInteger(pid) || !alive(pid)) rmSync(`${this.tmp}/${name}`, { recursive: true, force: true });
    }
    this.records.sweep(alive);
    const byId = new Map<string, SnapshotRecord>();
    for (const r of this.records.list()) {
      if (!r.id) continue;
      const other = byId.get(r.id);
      if (!other) byId.set(r.id, r);
      else {
        const drop = other.kind === 'committed' ? r : other;
        this.records.remove(drop.key);
        byId.set(r.id, drop === r ? other : r);
      }
    }
    const now = Date.now();
    for (const id of this.directoryIds()) {
      if (byId.has(id)) continue;
      const st = lstatSync(this.directoryOf(id), { throwIfNoEntry: false });
      if (!st || now - st.ctimeMs < this.orphanGraceMs) continue;
      this.sweeping = true;
      try {
        this.destroy(id);
      } finally {
        this.sweeping = false;
      }
    }
  }
}

/** A snapshot directory's id: 32 random bytes in hex, as Docker's cache IDs. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export const SNAPSHOT_ID = /^[0-9a-f]{64}$/;
