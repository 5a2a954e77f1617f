import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import type { SnapshotInfo, SnapshotKind } from './snapshotter.js';

/**
 * The snapshotters' metadata: one small JSON file per snapshot,
 * `<root>/metadata/<key>.json`, naming the directory that holds its files.
 * A snapshot exists exactly when its record does: the record is written
 * last (after the directory is complete and in place) and removed first,
 * so a crash leaves at worst a directory no record names, which the next
 * open sweeps (store.ts) — never a record naming a half-made directory.
 * Records are created exclusively (link(2) of a complete temp file: it
 * fails if the name exists), so two processes unpacking the same layer
 * cannot both register it.
 */

export interface SnapshotRecord {
  key: string;
  kind: SnapshotKind;
  /** The snapshot's directory under the driver's root; a view has none (it shows its parent's). */
  id?: string | undefined;
  parent?: string | undefined;
  /** ISO 8601. */
  created: string;
}

/**
 * Keys become file names: letters, digits and `_.:@+-`, starting with a
 * letter or digit (`sha256:<hex>` chain IDs, `<container id>-init`).
 */
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,199}$/;
const KINDS: readonly SnapshotKind[] = ['committed', 'active', 'view'];

export function checkKey(key: string, what = 'snapshot key'): void {
  if (!KEY.test(key)) {
    throw new EngineError('InvalidArgument', 'SNAPSHOT_KEY', `invalid ${what} ${JSON.stringify(key)}: 1 to 200 letters, digits and _.:@+- starting with a letter or digit`);
  }
}

export function infoOf(record: SnapshotRecord): SnapshotInfo {
  const info: SnapshotInfo = { key: record.key, kind: record.kind, created: record.created };
  if (record.parent !== undefined) info.parent = record.parent;
  return info;
}

function corrupt(path: string, why: string, cause?: unknown): EngineError {
  return new EngineError('Internal', 'SNAPSHOT_RECORD', `read snapshot record "${path}": ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'remove the record file; the snapshot is then gone (pull or load its image again)',
  });
}

/** A record from JSON, every field checked. */
export function parseRecord(text: string, path: string): SnapshotRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, 'not JSON', err);
  }
  const r = raw as Partial<Record<keyof SnapshotRecord, unknown>>;
  if (typeof raw !== 'object' || raw === null) throw corrupt(path, 'not an object');
  if (typeof r.key !== 'string' || !KEY.test(r.key)) throw corrupt(path, 'bad "key"');
  if (typeof r.kind !== 'string' || !KINDS.includes(r.kind as SnapshotKind)) throw corrupt(path, 'bad "kind"');
  if (r.id !== undefined && (typeof r.id !== 'string' || !/^[0-9a-f]{64}$/.test(r.id))) throw corrupt(path, 'bad "id"');
  if (r.id === undefined && r.kind !== 'view') throw corrupt(path, `a ${r.kind} snapshot needs an "id"`);
  if (r.parent !== undefined && (typeof r.parent !== 'string' || !KEY.test(r.parent))) throw corrupt(path, 'bad "parent"');
  if (typeof r.created !== 'string' || Number.isNaN(Date.parse(r.created))) throw corrupt(path, 'bad "created"');
  return { key: r.key, kind: r.kind as SnapshotKind, id: r.id, parent: r.parent, created: r.created };
}

export class SnapshotRecords {
  readonly dir: string;

  constructor(root: string) {
    this.dir = `${root}/metadata`;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private path(key: string): string {
    return `${this.dir}/${key}.json`;
  }

  get(key: string): SnapshotRecord | undefined {
    if (!KEY.test(key)) return undefined;
    let text: string;
    try {
      text = readFileSync(this.path(key), 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw err;
    }
    // a volatile snapshot's record (written without fsync) that a power cut emptied: never made, as its
    // container is gone with it; the sweep at open removes it, and its directory as an orphan
    if (text === '') return undefined;
    return parseRecord(text, this.path(key));
  }

  /** Every record, in key order. Temp files (dot names) are not records. */
  list(): SnapshotRecord[] {
    return readdirSync(this.dir)
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort()
      .flatMap((n) => {
        const r = this.get(n.slice(0, -'.json'.length));
        return r ? [r] : []; // removed meanwhile
      });
  }

  /** Registers a new record (fsync'ed unless not `durable`); false when one with its key exists already. */
  create(record: SnapshotRecord, durable = true): boolean {
    const tmp = `${this.dir}/.${record.key}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(record) + '\n');
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, this.path(record.key));
      return true;
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return false;
      throw err;
    } finally {
      unlinkSync(tmp);
    }
  }

  /** Replaces an existing record whole (atomically: readers see the old one or the new one). */
  replace(record: SnapshotRecord): void {
    writeFileAtomic(this.path(record.key), JSON.stringify(record) + '\n', 0o600);
  }

  /**
   * Removes the temp files of record writes that processes for which
   * `alive` says no never finished (`.<key>.<pid>-<random>.tmp` of create,
   * `<key>.json.tmp-<pid>` of replace).
   */
  sweep(alive: (pid: number) => boolean): void {
    for (const name of readdirSync(this.dir)) {
      if (name.endsWith('.json') && !name.startsWith('.') && statSync(`${this.dir}/${name}`).size === 0) rmSync(`${this.dir}/${name}`, { force: true }); // see get()
      const pid = /^\..*\.(\d+)-[0-9a-f]+\.tmp$/.exec(name)?.[1] ?? /\.json\.tmp-(\d+)$/.exec(name)?.[1];
      if (pid !== undefined && !alive(Number(pid))) rmSync(`${this.dir}/${name}`, { force: true });
    }
  }

  /** Removes a record; a missing one is no error. */
  remove(key: string): void {
    try {
      unlinkSync(this.path(key));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
}
