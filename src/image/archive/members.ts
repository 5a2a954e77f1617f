import { Readable } from 'node:stream';
import type { BlobInfo } from '../../content/content-store.js';
import { EngineError } from '../../errors/engine-error.js';
import { digestFromHex, sha256Of, type Digest } from '../../lib/digest.js';
import { decompress, detectCompression } from '../../snapshot/layer/compression.js';
import { readTar } from '../../snapshot/layer/tar-reader.js';
import type { ImageContext } from '../context.js';
import type { Lease } from '../leases.js';
import { blobCompression } from '../unpack.js';

/**
 * The members of an image archive, read in one pass. `docker save` puts
 * manifest.json after the layers, so nothing can be interpreted until the
 * archive has been read to its end; meanwhile small members (the JSON
 * documents, tiny layers) are kept in memory and large ones go straight
 * into the content store — where a layer must end up anyway — so a load
 * writes each large layer once. Members named blobs/sha256/<hex> are
 * checked against that digest as they are stored.
 *
 * Archives are untrusted: names are checked (no absolute paths, no `..`,
 * no NUL, no duplicates), symbolic links (Docker 20.10 writes one for a
 * layer two images share) are resolved only inside the archive, and only
 * directories, files and links may appear.
 */

/** Members up to this size stay in memory; larger ones are spooled to the content store. */
const IN_MEMORY_MAX = 1 << 20;
/** Beyond this many bytes held in memory, every further member is spooled. */
const MEMORY_BUDGET = 256 << 20;
/** A JSON document larger than this is refused rather than parsed. */
const DOCUMENT_MAX = 32 << 20;
const LINK_HOPS_MAX = 40;
const BLOB_PATH = /^blobs\/sha256\/([0-9a-f]{64})$/;

export function archiveError(code: string, message: string, hint = 'the archive is damaged, or was not written by docker save or an OCI tool'): EngineError {
  return new EngineError('InvalidArgument', code, `load: ${message}`, { hint });
}

function unsafe(name: string, why: string): EngineError {
  return archiveError('ARCHIVE_UNSAFE_PATH', `unsafe member name ${JSON.stringify(name)}: ${why}`, 'the archive tries to name something outside itself; it was refused');
}

/** A member name as a relative path without `.` components; '' is the archive's root. */
export function memberPath(name: string): string {
  if (name.includes('\0')) throw unsafe(name, 'it contains a NUL byte');
  if (name.startsWith('/')) throw unsafe(name, 'it is absolute');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(name, 'it has a ".." component');
  return parts.join('/');
}

interface FileMember {
  size: number;
  data?: Buffer;
  blob?: BlobInfo;
}

export class ArchiveMembers {
  private readonly files = new Map<string, FileMember>();
  private readonly links = new Map<string, string>();
  private readonly dirs = new Set<string>();
  private memory = 0;
  /** blobs this load put into the content store (or found there): candidates for cleanup */
  readonly ingested = new Set<Digest>();

  constructor(
    private readonly ctx: ImageContext,
    private readonly lease: Lease,
  ) {}

  /** Reads the whole archive (plain tar, or gzip/zstd-compressed). */
  async read(archive: AsyncIterable<Uint8Array>): Promise<void> {
    const { stream } = await decompress(archive);
    let entries = 0;
    for await (const { header, body } of readTar(stream)) {
      entries++;
      const path = memberPath(header.name);
      if (path === '') continue;
      if (this.files.has(path) || this.links.has(path)) throw archiveError('ARCHIVE_INVALID', `the archive has two members named ${JSON.stringify(path)}`);
      switch (header.type) {
        case 'dir':
          this.dirs.add(path);
          break;
        case 'symlink':
          if (header.linkname.startsWith('/')) throw unsafe(`${path} -> ${header.linkname}`, 'a link to an absolute path');
          this.links.set(path, header.linkname);
          break;
        case 'hardlink': {
          const target = this.files.get(this.resolve(memberPath(header.linkname)));
          if (!target) throw archiveError('ARCHIVE_INVALID', `member ${JSON.stringify(path)} is a hard link to ${JSON.stringify(header.linkname)}, which is not an earlier file of the archive`);
          this.files.set(path, target);
          break;
        }
        case 'file':
          this.files.set(path, await this.store(path, header.size, body));
          break;
        default:
          throw archiveError('ARCHIVE_INVALID', `member ${JSON.stringify(path)} is a ${header.type}: an image archive holds only files, directories and links`);
      }
    }
    if (entries === 0) throw archiveError('ARCHIVE_EMPTY', 'the archive is empty', 'give a file written by docker save or an OCI image layout');
  }

  private async store(path: string, size: number, body: AsyncIterable<Buffer>): Promise<FileMember> {
    const hex = BLOB_PATH.exec(path)?.[1];
    const expected = hex === undefined ? undefined : digestFromHex(hex);
    if (size <= IN_MEMORY_MAX && this.memory + size <= MEMORY_BUDGET) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk);
      const data = Buffer.concat(chunks, size);
      if (expected !== undefined && sha256Of(data) !== expected) {
        throw archiveError('DIGEST_MISMATCH', `member ${JSON.stringify(path)} has digest ${sha256Of(data)}, not the one its name says`);
      }
      this.memory += size;
      return { size, data };
    }
    if (expected !== undefined) this.lease.blobs.add(expected);
    const blob = await this.ctx.content.ingest(Readable.from(body), expected === undefined ? { size } : { digest: expected, size });
    this.lease.blobs.add(blob.digest);
    this.ingested.add(blob.digest);
    return { size, blob };
  }

  /** Where a path leads after the archive's symbolic links (each component may be one), never out of the archive. */
  resolve(path: string): string {
    let parts = path === '' ? [] : path.split('/');
    let hops = 0;
    for (let i = 0; i < parts.length; ) {
      const link = this.links.get(parts.slice(0, i + 1).join('/'));
      if (link === undefined) {
        i++;
        continue;
      }
      if (++hops > LINK_HOPS_MAX) throw archiveError('ARCHIVE_INVALID', `too many levels of links resolving ${JSON.stringify(path)}`);
      if (link.startsWith('/')) throw unsafe(path, 'it leads to an absolute link');
      const next: string[] = [];
      for (const p of [...parts.slice(0, i), ...link.split('/'), ...parts.slice(i + 1)]) {
        if (p === '' || p === '.') continue;
        if (p === '..') {
          if (next.length === 0) throw unsafe(path, `a link (to ${JSON.stringify(link)}) leads out of the archive`);
          next.pop();
        } else next.push(p);
      }
      parts = next;
      i = 0;
    }
    return parts.join('/');
  }

  private member(path: string, what: string): FileMember {
    const m = this.files.get(this.resolve(memberPath(path)));
    if (!m) throw archiveError('ARCHIVE_MISSING_MEMBER', `${what} ${JSON.stringify(path)} is not in the archive`);
    return m;
  }

  has(path: string): boolean {
    return this.files.has(this.resolve(memberPath(path)));
  }

  size(path: string, what: string): number {
    return this.member(path, what).size;
  }

  /** Directories at the top of the archive (explicit, or implied by their members): the legacy format's layers. */
  topDirectories(): string[] {
    const out = new Set<string>();
    for (const d of this.dirs) if (!d.includes('/')) out.add(d);
    for (const p of [...this.files.keys(), ...this.links.keys()]) if (p.includes('/')) out.add(p.slice(0, p.indexOf('/')));
    return [...out].sort();
  }

  /** A JSON document's bytes (what = how errors name it: "manifest.json", "the config of …"). */
  async document(path: string, what: string): Promise<Buffer> {
    const m = this.member(path, what);
    if (m.data) return m.data;
    if (m.size > DOCUMENT_MAX) throw archiveError('ARCHIVE_INVALID', `${what} ${JSON.stringify(path)} is ${m.size} bytes: too large for a JSON document`);
    return this.ctx.content.read(m.blob!.digest);
  }

  /** The member's digest (computed, for one kept in memory). */
  digest(path: string, what: string): Digest {
    const m = this.member(path, what);
    return m.blob?.digest ?? sha256Of(m.data!);
  }

  /** How the member is compressed, from its first bytes. */
  async compression(path: string, what: string): Promise<ReturnType<typeof detectCompression>> {
    const m = this.member(path, what);
    return m.data ? detectCompression(m.data.subarray(0, 8)) : blobCompression(this.ctx, m.blob!.digest);
  }

  /** The member as a blob in the content store: stored now if it was kept in memory. */
  async blob(path: string, what: string): Promise<BlobInfo> {
    const m = this.member(path, what);
    if (!m.blob) {
      this.lease.blobs.add(sha256Of(m.data!));
      m.blob = await this.ctx.content.ingest(m.data!, { size: m.size });
      this.ingested.add(m.blob.digest);
    }
    return m.blob;
  }
}
