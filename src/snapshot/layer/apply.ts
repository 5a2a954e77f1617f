import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { EngineError, errnoOf } from '../../errors/engine-error.js';
import { lsetxattr, mknod, S_IF } from '../../sys/addon.js';
import { decompress, type Compression } from './compression.js';
import { classifyName, entryComponents, isLayerXattr, pathKey } from './paths.js';
import { writeRegularFile } from './restore-file.js';
import type { TarHeader } from './tar-header.js';
import { readTar, type TarEntry } from './tar-reader.js';
import { lstatOrUndefined } from '../../lib/fs.js';

/**
 * Unpacks a layer archive into a directory.
 *
 * - 'overlay': the target is a fresh, empty overlay2 diff directory; a
 *   whiteout `.wh.<name>` becomes a 0:0 character device <name>, and
 *   `.wh..wh..opq` sets trusted.overlay.opaque=y on its directory — what
 *   overlayfs reads as "deleted" and "hides the lower layers' contents".
 * - 'plain': the target already holds a copy of the parent's tree (the
 *   copy fallback driver); a whiteout deletes <name>, and `.wh..wh..opq`
 *   removes what the lower layers had in its directory (keeping what this
 *   layer put there).
 *
 * Never writes outside the target. Names with `..` or a leading `/` are
 * refused (paths.ts). Every parent directory of an entry is checked
 * component by component with lstat from the root: Node has no openat, so
 * this is a walk by path — safe because the target is a directory only
 * this call writes to (a fresh layer, or a copy no container uses yet):
 * nothing can swap a checked directory for a symlink between the check and
 * the use. A symlink (or other non-directory) among the parents is:
 *   - refused when this archive made it — a symlink entry followed by
 *     entries written "through" it is the classic escape, and an honest
 *     diff never produces it (a symlink has no children);
 *   - in plain mode, when a lower layer made it, replaced by a directory:
 *     that is what overlayfs shows for the same layer (an upper directory
 *     hides a lower non-directory), so both drivers give the same tree.
 * Symlinks are never followed to resolve a name, so none is "resolved
 * inside the root" either: no entry can be written anywhere but at its own
 * name. Files are created with O_EXCL|O_NOFOLLOW after any previous entry
 * at the name is removed (a symlink is removed, not followed; a directory
 * is kept only when the entry is a directory too: "a symlink replaced by a
 * directory" yields a real directory). Hardlinks may point only at files
 * this same archive unpacked.
 *
 * On failure the target is left as it is: the caller removes it (it
 * applies into a directory of its own, which it discards on error — in
 * plain mode apply could not restore the parent's copy anyway).
 */

export type ApplyMode = 'overlay' | 'plain';

export interface ApplyOptions {
  mode: ApplyMode;
  /**
   * Hash the archive for its diff ID (default true). Snapshotters say no:
   * their callers have checked the bytes already (the content store on
   * ingest, or unpack's own check of a decompressed blob), and hashing
   * twice costs as much as writing the files.
   */
  digest?: boolean;
}

export interface ApplyResult {
  /** Bytes of regular-file content unpacked (Docker's layer size). */
  size: number;
  /** sha256 of the uncompressed archive: the layer's DiffID (unless options.digest was false). */
  diffId: string | undefined;
  compression: Compression;
}


function unsafe(name: string, why: string): EngineError {
  return new EngineError('InvalidArgument', 'LAYER_UNSAFE_PATH', `unsafe entry ${JSON.stringify(name)} in the archive: ${why}`, {
    hint: 'the archive tries to write outside its target; it was refused',
  });
}

class Unpacker {
  /** Relative paths this archive made: its entries and the missing parents made for them. */
  private readonly created = new Set<string>();
  /** Ancestors of created paths. */
  private readonly touched = new Set<string>();
  /** Directories already checked to be real directories (valid until something is removed). */
  private readonly checkedDirs = new Set<string>();
  /** Directory mtimes, set last: creating files inside changes them. */
  private readonly dirTimes = new Map<string, number>();
  size = 0;
  current = '';
  /**
   * The target was empty at the start: then nothing can be at a name but
   * what this archive put there, and the lstat of each new name (to
   * replace an earlier entry) is needed only for names already created —
   * one system call less per entry when unpacking into a fresh layer.
   */
  private readonly fresh: boolean;

  constructor(
    private readonly root: string,
    private readonly mode: ApplyMode,
  ) {
    this.fresh = readdirSync(root).length === 0;
  }

  private abs(key: string): string {
    return key === '' ? this.root : `${this.root}/${key}`;
  }

  private markCreated(key: string): void {
    this.created.add(key);
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) this.touched.add(key.slice(0, i));
  }

  private remove(key: string): void {
    // recursive removal never follows symlinks: a symlink is unlinked, not its target
    rmSync(this.abs(key), { recursive: true, force: true });
    this.checkedDirs.clear();
    this.dirTimes.delete(key);
  }

  /**
   * The absolute path of the directory `parts`, each component checked (see
   * the file's comment). Missing ones are made (0755, root, as Docker does)
   * when `create`; otherwise undefined is returned for a missing one or a
   * non-directory, meaning there is nothing there to act on.
   */
  private directory(parts: readonly string[], create: boolean): string | undefined {
    let key = '';
    for (const part of parts) {
      key = key === '' ? part : `${key}/${part}`;
      if (this.checkedDirs.has(key)) continue;
      const p = this.abs(key);
      const st = lstatOrUndefined(p);
      if (!st || !st.isDirectory()) {
        if (st && (this.mode === 'overlay' || this.created.has(key))) {
          throw unsafe(this.current, `its parent "${key}" is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'} in this layer`);
        }
        if (!create) return undefined;
        if (st) this.remove(key);
        mkdirSync(p);
        chmodSync(p, 0o755); // whatever the umask
        this.markCreated(key);
      }
      this.checkedDirs.add(key);
    }
    return this.abs(key);
  }

  private setXattrs(path: string, h: TarHeader): void {
    for (const [name, value] of h.xattrs) if (isLayerXattr(name)) lsetxattr(path, name, value);
  }

  async entry(entry: TarEntry): Promise<void> {
    const h = entry.header;
    this.current = h.name;
    const parts = entryComponents(h.name);
    if (parts.length === 0) {
      if (h.type !== 'dir') throw unsafe(h.name, 'the root can only be a directory');
      this.restoreDir('', h);
      return;
    }
    const base = parts[parts.length - 1]!;
    const parent = parts.slice(0, -1);
    const kind = classifyName(base);
    // AUFS metadata (.wh..wh.plnk/…, .wh..wh.aufs) is skipped with everything in it, as Docker skips it
    if (kind.kind === 'meta' || parent.some((p) => classifyName(p).kind === 'meta')) return;
    if (kind.kind === 'opaque') return this.opaque(parent);
    if (kind.kind === 'whiteout') return this.whiteout([...parent, kind.name], h);

    const key = pathKey(parts);
    const linkTarget = h.type === 'hardlink' ? this.hardlinkTarget(h, key) : undefined;
    this.directory(parent, true);
    const p = this.abs(key);
    const existing = this.fresh && !this.created.has(key) ? undefined : lstatOrUndefined(p);
    if (existing && !(existing.isDirectory() && h.type === 'dir')) this.remove(key);
    switch (h.type) {
      case 'dir':
        if (!existing?.isDirectory()) mkdirSync(p, 0o700);
        this.restoreDir(key, h);
        break;
      case 'file':
        await writeRegularFile(p, h, entry.body, (path) => this.setXattrs(path, h));
        this.size += h.size;
        break;
      case 'hardlink':
        linkSync(linkTarget!, p);
        break;
      case 'symlink':
        if (h.linkname === '' || h.linkname.includes('\0')) throw unsafe(h.name, 'a symlink needs a target');
        symlinkSync(h.linkname, p);
        lchownSync(p, h.uid, h.gid);
        lutimesSync(p, h.mtime, h.mtime);
        break;
      case 'char':
      case 'block':
      case 'fifo':
        mknod(p, h.type === 'char' ? S_IF.CHR : h.type === 'block' ? S_IF.BLK : S_IF.FIFO, h.devmajor, h.devminor);
        lchownSync(p, h.uid, h.gid);
        chmodSync(p, h.mode); // the node made just now: no symlink to follow
        this.setXattrs(p, h);
        lutimesSync(p, h.mtime, h.mtime);
        break;
    }
    this.markCreated(key);
  }

  /** The path a hardlink entry may link to: a non-directory this archive unpacked, reached without symlinks. */
  private hardlinkTarget(h: TarHeader, key: string): string {
    const target = entryComponents(h.linkname);
    const targetKey = pathKey(target);
    if (targetKey === key) throw unsafe(h.name, 'a hardlink to itself');
    if (!this.created.has(targetKey)) throw unsafe(h.name, `hardlink target ${JSON.stringify(h.linkname)} is not a file of this layer`);
    const dir = this.directory(target.slice(0, -1), false);
    const st = dir === undefined ? undefined : lstatOrUndefined(this.abs(targetKey));
    if (!st || st.isDirectory()) throw unsafe(h.name, `hardlink target ${JSON.stringify(h.linkname)} is not a file of this layer`);
    return this.abs(targetKey);
  }

  private restoreDir(key: string, h: TarHeader): void {
    const p = this.abs(key);
    lchownSync(p, h.uid, h.gid);
    chmodSync(p, h.mode); // checked to be a real directory: chmod follows nothing
    this.setXattrs(p, h);
    this.dirTimes.set(key, h.mtime);
    this.checkedDirs.add(key);
  }

  private whiteout(parts: string[], h: TarHeader): void {
    const key = pathKey(parts);
    if (this.mode === 'overlay') {
      this.directory(parts.slice(0, -1), true);
      if (lstatOrUndefined(this.abs(key))) this.remove(key);
      mknod(this.abs(key), S_IF.CHR, 0, 0);
      lchownSync(this.abs(key), h.uid, h.gid);
      lutimesSync(this.abs(key), h.mtime, h.mtime);
      this.markCreated(key);
      return;
    }
    // plain: nothing to delete when the parent is missing or not a directory
    if (this.directory(parts.slice(0, -1), false) === undefined) return;
    if (lstatOrUndefined(this.abs(key))) this.remove(key);
    this.created.delete(key);
  }

  private opaque(parent: string[]): void {
    if (this.mode === 'overlay') {
      lsetxattr(this.directory(parent, true)!, 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    const dir = this.directory(parent, false);
    if (dir !== undefined) this.clearLower(pathKey(parent));
  }

  /** Plain mode's opaque directory: remove what lower layers put under key, keep what this archive made. */
  private clearLower(key: string): void {
    for (const name of readdirSync(this.abs(key))) {
      const child = key === '' ? name : `${key}/${name}`;
      if (this.created.has(child) || this.touched.has(child)) {
        if (lstatSync(this.abs(child)).isDirectory()) this.clearLower(child);
      } else {
        this.remove(child);
      }
    }
  }

  /** Directory mtimes, now that nothing more is created inside them. */
  finish(): void {
    for (const [key, mtime] of this.dirTimes) {
      if (lstatOrUndefined(this.abs(key))?.isDirectory()) lutimesSync(this.abs(key), mtime, mtime);
    }
  }

  /** An error as the caller sees it: what was applied where, and which entry failed. */
  wrap(err: unknown): EngineError {
    const where = `apply layer to ${JSON.stringify(this.root)}`;
    const named = this.current === '' || (err instanceof Error && err.message.includes(JSON.stringify(this.current)));
    const entry = named ? '' : ` (entry ${JSON.stringify(this.current)})`;
    if (err instanceof EngineError) return new EngineError(err.kind, err.code, `${where}: ${err.message}${entry}`, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
    const errno = errnoOf(err);
    const kind = errno === 'EPERM' || errno === 'EACCES' ? 'Forbidden' : errno === 'ENOSPC' || errno === 'EDQUOT' ? 'Unavailable' : 'Internal';
    return new EngineError(kind, 'LAYER_APPLY', `${where}: ${(err as Error).message}${entry}`, { cause: err });
  }
}

async function* hashed(source: AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/**
 * Applies a layer archive (gzip, zstd or uncompressed: recognised by its
 * first bytes) to the directory target, which must exist.
 */
export async function applyLayer(target: string, input: AsyncIterable<Uint8Array>, options: ApplyOptions): Promise<ApplyResult> {
  if (!lstatOrUndefined(target)?.isDirectory()) {
    throw new EngineError('InvalidArgument', 'LAYER_TARGET', `apply layer to ${JSON.stringify(target)}: not a directory`);
  }
  const unpacker = new Unpacker(target, options.mode);
  const hash = options.digest === false ? undefined : createHash('sha256');
  try {
    const { compression, stream } = await decompress(input);
    for await (const entry of readTar(hash ? hashed(stream, hash) : stream)) {
      await unpacker.entry(entry);
      unpacker.current = ''; // an error past here (in the next header) belongs to no entry
    }
    unpacker.finish();
    return { size: unpacker.size, diffId: hash && `sha256:${hash.digest('hex')}`, compression };
  } catch (err) {
    throw unpacker.wrap(err);
  }
}
