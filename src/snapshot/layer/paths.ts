import { EngineError } from '../../errors/engine-error.js';

/**
 * Names inside a layer archive, checked before anything touches the disk.
 * A name becomes a list of components relative to the layer's root; the
 * empty list is the root itself. Pure functions: no file system here.
 */

/** A deleted file `x` travels as an empty file `.wh.x` (AUFS's convention, which Docker and OCI kept). */
export const WHITEOUT_PREFIX = '.wh.';
/** AUFS metadata names start with this; they are never unpacked. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
/** In a directory, this empty file says the lower layers' contents of the directory are hidden. */
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

export type EntryKind =
  | { kind: 'normal' }
  /** `.wh.<name>`: <name> was deleted */
  | { kind: 'whiteout'; name: string }
  /** `.wh..wh..opq`: the parent directory is opaque */
  | { kind: 'opaque' }
  /** other `.wh..wh.*` names (AUFS's hardlink and metadata directories): skipped, as Docker skips them */
  | { kind: 'meta' };

function unsafe(name: string, why: string): EngineError {
  return new EngineError('InvalidArgument', 'LAYER_UNSAFE_PATH', `unsafe name ${JSON.stringify(name)} in the archive: ${why}`, {
    hint: 'the archive tries to write outside its target; it was refused',
  });
}

/**
 * The components of an archive name (an entry's name, or a hardlink's
 * target). `./` prefixes, trailing slashes and `.` components are dropped.
 * Refused: absolute names and any `..` component (even one that would stay
 * inside, like `a/../b`: no honest layer writer produces one, and a name
 * with none cannot climb at all), and NUL. Docker clamps absolute names to
 * the root; refusing them is stricter and no image built by a real tool has
 * them.
 */
export function entryComponents(name: string): string[] {
  if (name.includes('\0')) throw unsafe(name, 'it contains a NUL byte');
  if (name.startsWith('/')) throw unsafe(name, 'it is absolute');
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw unsafe(name, 'it has a ".." component');
    parts.push(part);
  }
  return parts;
}

/** What an entry's last component means for the layer (a whiteout, an opaque marker, or a file). */
export function classifyName(base: string): EntryKind {
  if (base === WHITEOUT_OPAQUE) return { kind: 'opaque' };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw unsafe(base, 'a whiteout must name a file');
    return { kind: 'whiteout', name };
  }
  return { kind: 'normal' };
}

/** A key for a relative path: components joined by `/` ('' for the root). */
export function pathKey(components: readonly string[]): string {
  return components.join('/');
}

/** The whiteout entry's name for a deleted relative path ("a/b" → "a/.wh.b"). */
export function whiteoutName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? `${WHITEOUT_PREFIX}${path}` : `${path.slice(0, i + 1)}${WHITEOUT_PREFIX}${path.slice(i + 1)}`;
}

/**
 * The extended attributes that travel in a layer, both ways: file
 * capabilities (what Docker carries) and user.* ones. Left out: trusted.*
 * (overlayfs keeps its own bookkeeping there — whiteouts, opaque and
 * redirect marks — that an archive must not forge), security.* other than
 * capabilities (SELinux labels and IMA/EVM signatures belong to the host
 * that set them), system.* (ACLs: not carried by Docker either), and
 * user.overlay.* (overlayfs's bookkeeping under the userxattr option).
 */
export function isLayerXattr(name: string): boolean {
  if (name === 'security.capability') return true;
  return name.startsWith('user.') && !name.startsWith('user.overlay.');
}
