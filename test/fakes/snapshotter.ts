import { Readable } from 'node:stream';
import type { DiffOptions, Mount, SnapshotInfo, Snapshotter } from '../../src/snapshot/snapshotter.js';
import { entryComponents, pathKey, classifyName } from '../../src/snapshot/layer/paths.js';
import { readTar } from '../../src/snapshot/layer/tar-reader.js';
import { END_OF_ARCHIVE } from '../../src/snapshot/layer/tar-header.js';

/**
 * An in-memory Snapshotter for unit tests (no root, no disk): a committed
 * snapshot keeps the entries of the layer it was unpacked from, an active
 * one the changes a test wrote into it (`write`). It checks what the real
 * drivers must check — a key exists once, a parent is committed, a
 * snapshot with children cannot go — and parses every layer with berth's
 * strict tar reader, so a corrupt layer fails here as it would there. A
 * key in `failApply` makes applyLayer fail after reading its input, to
 * test that callers clean up.
 */

export interface FakeFile {
  type: string;
  size: number;
  content?: Buffer;
  whiteout?: boolean;
  opaque?: boolean;
}

interface Snap {
  info: SnapshotInfo;
  /** this snapshot's own entries by path key (whiteouts and opaque markers included) */
  files: Map<string, FakeFile>;
  /** the layer tar a test wrote into an active snapshot, returned by diff() */
  changes?: Buffer;
}

export class MemorySnapshotter implements Snapshotter {
  readonly driver = 'vfs' as const;
  readonly failApply = new Set<string>();
  /** every applyLayer that read its input, by key */
  readonly applied: string[] = [];
  private readonly snaps = new Map<string, Snap>();
  private clock = 0;

  stat(key: string): SnapshotInfo | undefined {
    const s = this.snaps.get(key);
    return s ? { ...s.info } : undefined;
  }

  list(): SnapshotInfo[] {
    return [...this.snaps.values()].map((s) => ({ ...s.info }));
  }

  async applyLayer(key: string, parent: string | undefined, tar: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    const existing = this.snaps.get(key);
    if (existing) return { ...existing.info };
    this.requireCommitted(parent);
    const files = new Map<string, FakeFile>();
    for await (const { header, body } of readTar(tar)) {
      const parts = entryComponents(header.name);
      if (parts.length === 0) continue;
      const base = parts[parts.length - 1]!;
      const kind = classifyName(base);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk);
      if (kind.kind === 'opaque') files.set(pathKey(parts.slice(0, -1)), { ...(files.get(pathKey(parts.slice(0, -1))) ?? { type: 'dir', size: 0 }), opaque: true });
      else if (kind.kind === 'whiteout') files.set(pathKey([...parts.slice(0, -1), kind.name]), { type: 'whiteout', size: 0, whiteout: true });
      else files.set(pathKey(parts), { type: header.type, size: header.size, content: Buffer.concat(chunks) });
    }
    this.applied.push(key);
    if (this.failApply.has(key)) throw new Error(`fake: applyLayer ${key} fails on purpose`);
    if (this.snaps.has(key)) return { ...this.snaps.get(key)!.info };
    const info = this.newInfo(key, 'committed', parent);
    this.snaps.set(key, { info, files });
    return { ...info };
  }

  prepare(key: string, parent: string | undefined): Mount[] {
    this.requireNew(key);
    this.requireCommitted(parent);
    this.snaps.set(key, { info: this.newInfo(key, 'active', parent), files: new Map() });
    return this.mounts(key);
  }

  view(key: string, parent: string): Mount[] {
    this.requireNew(key);
    this.requireCommitted(parent);
    this.snaps.set(key, { info: this.newInfo(key, 'view', parent), files: new Map() });
    return this.mounts(key);
  }

  mounts(key: string): Mount[] {
    const s = this.mustGet(key);
    if (s.info.kind === 'committed') throw new Error(`fake: ${key} is committed: it has no mounts`);
    return [{ type: 'bind', source: `/fake/${key}`, options: ['rbind', s.info.kind === 'view' ? 'ro' : 'rw'] }];
  }

  commit(name: string, key: string): SnapshotInfo {
    const s = this.mustGet(key);
    if (s.info.kind !== 'active') throw new Error(`fake: ${key} is not active`);
    // committing under its own key is how a container's init layer is made
    if (name !== key) this.requireNew(name);
    this.snaps.delete(key);
    const info = this.newInfo(name, 'committed', s.info.parent);
    this.snaps.set(name, { info, files: s.files });
    return { ...info };
  }

  diff(key: string, options?: DiffOptions): Readable {
    void options;
    const s = this.mustGet(key);
    if (s.info.kind !== 'active') throw new Error(`fake: ${key} is not active`);
    return Readable.from([s.changes ?? END_OF_ARCHIVE]);
  }

  /** Removal is synchronous here: nothing is ever pending. */
  removalsSettled(): Promise<void> {
    return Promise.resolve();
  }

  remove(key: string): void {
    this.mustGet(key);
    const child = [...this.snaps.values()].find((s) => s.info.parent === key);
    if (child) throw new Error(`fake: cannot remove ${key}: ${child.info.key} is over it`);
    this.snaps.delete(key);
  }

  usage(key: string): number {
    let total = 0;
    for (const f of this.mustGet(key).files.values()) total += f.size;
    return total;
  }

  // ——— for tests ———

  /** What a container "wrote" into an active snapshot: the layer tar diff() returns. */
  write(key: string, layerTar: Buffer): void {
    const s = this.mustGet(key);
    if (s.info.kind !== 'active') throw new Error(`fake: ${key} is not active`);
    s.changes = layerTar;
  }

  /** The merged tree of a snapshot and its parents: path → content (directories as ''). */
  tree(key: string): Record<string, string> {
    const chain: Snap[] = [];
    for (let k: string | undefined = key; k !== undefined; k = this.mustGet(k).info.parent) chain.unshift(this.mustGet(k));
    const out = new Map<string, string>();
    for (const s of chain) {
      for (const [path, f] of s.files) {
        if (f.whiteout || f.opaque) for (const p of [...out.keys()]) if (p.startsWith(`${path}/`)) out.delete(p);
        if (f.whiteout) out.delete(path);
        else out.set(path, f.type === 'dir' ? '' : (f.content ?? Buffer.alloc(0)).toString());
      }
    }
    return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
  }

  keys(): string[] {
    return [...this.snaps.keys()].sort();
  }

  private newInfo(key: string, kind: SnapshotInfo['kind'], parent: string | undefined): SnapshotInfo {
    return { key, kind, parent, created: new Date(Date.UTC(2024, 0, 1, 0, 0, this.clock++)).toISOString() };
  }

  private mustGet(key: string): Snap {
    const s = this.snaps.get(key);
    if (!s) throw new Error(`fake: no snapshot ${key}`);
    return s;
  }

  private requireNew(key: string): void {
    if (this.snaps.has(key)) throw new Error(`fake: snapshot ${key} exists`);
  }

  private requireCommitted(parent: string | undefined): void {
    if (parent !== undefined && this.snaps.get(parent)?.info.kind !== 'committed') throw new Error(`fake: parent ${parent} is not a committed snapshot`);
  }
}
