import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MemorySnapshotter } from '../../test/fakes/snapshotter.js';
import { LocalContentStore } from '../content/local-store.js';
import { hexOf, sha256Of, type Digest } from '../lib/digest.js';
import { buildTar, type FixtureEntry } from '../snapshot/layer/testing.js';
import type { ContainerUse } from './context.js';
import { formatReference } from './reference.js';
import { ImageService } from './service.js';
import { ImageStore } from './store.js';

/**
 * Helpers for the image tests (berth itself does not use them): a service
 * over a temporary content store, a temporary image store and the
 * in-memory snapshotter; layer and archive builders; and a picture of the
 * three stores, to show that a failed operation left them as they were.
 */

export interface Harness {
  service: ImageService;
  content: LocalContentStore;
  images: ImageStore;
  snapshots: MemorySnapshotter;
  /** containers "using" images, as the engine would report them */
  users: Map<Digest, ContainerUse[]>;
  /** moves the pinned clock forward */
  tick(seconds?: number): void;
  root: string;
}

const roots: string[] = [];

/** A fresh service; call cleanupHarnesses() in an after() hook. */
export function harness(): Harness {
  const root = mkdtempSync(join(tmpdir(), 'berth-images-'));
  roots.push(root);
  const content = new LocalContentStore(join(root, 'content'));
  const images = new ImageStore(join(root, 'images'), content);
  const snapshots = new MemorySnapshotter();
  const users = new Map<Digest, ContainerUse[]>();
  let now = Date.UTC(2024, 0, 2, 3, 4, 5);
  const service = new ImageService({
    content,
    images,
    snapshots,
    containersUsing: (id) => users.get(id) ?? [],
    platform: { architecture: 'amd64', os: 'linux' },
    now: () => new Date(now),
    engineVersion: '0.1.0-test',
  });
  return { service, content, images, snapshots, users, root, tick: (s = 1) => void (now += s * 1000) };
}

export function cleanupHarnesses(): void {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
}

/** A layer tar of files (name → content); names ending in / are directories. */
export function layer(files: Record<string, string>, extra: FixtureEntry[] = []): Buffer {
  return buildTar([
    ...Object.entries(files).map(([name, content]): FixtureEntry => (name.endsWith('/') ? { name, type: 'dir' } : { name, content })),
    ...extra,
  ]);
}

/** An archive (image archive or layer) of named members in the order given: Buffers are files, strings symlinks. */
export function archive(members: [string, Buffer | string | { dir: true }][]): Buffer {
  return buildTar(
    members.map(([name, v]): FixtureEntry => {
      if (typeof v === 'string') return { name, type: 'symlink', linkname: v };
      if (Buffer.isBuffer(v)) return { name, content: v };
      return { name, type: 'dir' };
    }),
  );
}

export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
export const gzip = (b: Buffer): Buffer => gzipSync(b);
export const blobName = (d: Digest | string): string => `blobs/sha256/${hexOf(d as Digest)}`;

/**
 * A zstd frame holding `data` in raw (stored) blocks: valid zstd that any
 * decoder reads, made without a zstd encoder (Node 20 has none).
 */
export function zstdRaw(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50])]; // magic; no content size, no checksum; 1 MiB window
  const max = 128 * 1024;
  let off = 0;
  do {
    const block = data.subarray(off, off + max);
    off += block.length;
    const header = (block.length << 3) | (off >= data.length ? 1 : 0); // block type 0 (raw); bit 0: the last block
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
  } while (off < data.length);
  return Buffer.concat(parts);
}

/** An image config for tests. */
export function imageConfig(diffIds: Digest[], extra: Record<string, unknown> = {}): Buffer {
  return json({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `step ${i}` })),
    ...extra,
  });
}

export async function* chunks(data: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
}

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** What the three stores hold: equal pictures before and after mean an operation changed nothing. */
export async function picture(h: Harness): Promise<{ blobs: string[]; images: string[]; refs: string[]; snapshots: string[]; ingests: string[] }> {
  return {
    blobs: (await h.content.list()).map((b) => b.digest).sort(),
    images: h.images.list().map((r) => r.id).sort(),
    refs: h.images.references().map((e) => `${formatReference(e.ref)} ${e.id}`),
    snapshots: h.snapshots.keys(),
    ingests: await h.content.ingests(),
  };
}

export { sha256Of };
