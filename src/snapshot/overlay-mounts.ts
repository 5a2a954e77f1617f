import { randomBytes } from 'node:crypto';
import { EngineError } from '../errors/engine-error.js';
import type { Mount } from './snapshotter.js';

/**
 * The overlay2 layout's names and the mounts it computes, as data (no
 * file system access here: unit-tested without root).
 *
 * Docker's layout: `<root>/<id>/diff` holds a layer's own files, `link`
 * its short name, `lower` the short names of the layers below, nearest
 * first (`l/ABC…:l/DEF…`, the order overlayfs takes lowerdir in), and
 * `<root>/l/<short>` is a symlink to `../<id>/diff`. Mount options name
 * lower layers by those links, 26 characters each instead of a 64-digit
 * id: with the paths made relative to the root (sys/mounts.ts does that
 * when the options outgrow mount(2)'s page) a layer costs 29 bytes, and
 * MAX_DEPTH layers fit.
 */

/**
 * Always off, whatever the kernel's defaults: with redirect_dir or
 * metacopy an upper directory records renames and metadata-only copies
 * that only make sense with its lower layers, so it could no longer be
 * diffed alone into a layer; index=on ties a lower layer to one upper by
 * file handle and refuses to mount it under another — and layers are
 * shared.
 */
export const OVERLAY_FEATURES_OFF = ['index=off', 'redirect_dir=off', 'metacopy=off'] as const;

/** Docker's limit too: 128 links of 29 bytes, an upper and a work directory fit in 4095 bytes. */
export const MAX_DEPTH = 128;

const SHORT = /^[A-Z2-7]{26}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new short link name: 26 random base32 characters (130 bits), as Docker's. */
export function newShortId(): string {
  return [...randomBytes(26)].map((b) => BASE32[b & 31]).join('');
}

export const isShortId = (s: string): boolean => SHORT.test(s);

/** A `lower` file's text as short names, nearest layer first. */
export function parseLower(text: string, path: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const shorts = trimmed.split(':').map((part) => part.replace(/^l\//, ''));
  if (!shorts.every(isShortId) || !trimmed.split(':').every((part) => part.startsWith('l/'))) {
    throw new EngineError('Internal', 'SNAPSHOT_LAYOUT', `read "${path}": not a list of l/<short id> links`, { hint: 'the snapshot directory is damaged; remove the image and pull it again' });
  }
  return shorts;
}

export const formatLower = (shorts: readonly string[]): string => shorts.map((s) => `l/${s}`).join(':');

export function tooDeep(op: string, key: string, depth: number): EngineError {
  return new EngineError('InvalidArgument', 'SNAPSHOT_TOO_DEEP', `${op} snapshot ${JSON.stringify(key)}: ${depth} layers, more than overlay2's ${MAX_DEPTH}`, {
    hint: 'flatten the image (export a container of it and import the archive)',
  });
}

const lowerdir = (root: string, shorts: readonly string[]): string => `lowerdir=${shorts.map((s) => `${root}/l/${s}`).join(':')}`;

/**
 * The mounts of an active snapshot `id` over the layers `lowers` (short
 * names, nearest first). Without lowers there is nothing to overlay: a
 * bind mount of the directory itself, as Docker mounts a base layer.
 */
export function activeMounts(root: string, id: string, lowers: readonly string[]): Mount[] {
  if (lowers.length === 0) return [{ type: 'bind', source: `${root}/${id}/diff`, options: ['bind', 'rw'] }];
  return [{ type: 'overlay', source: 'overlay', options: [lowerdir(root, lowers), `upperdir=${root}/${id}/diff`, `workdir=${root}/${id}/work`, ...OVERLAY_FEATURES_OFF] }];
}

/**
 * The mounts of a read-only view of committed layer `id` whose chain is
 * `shorts` (its own link first). One layer is a read-only bind mount
 * (overlayfs wants two lower layers when it has no upper one).
 */
export function viewMounts(root: string, id: string, shorts: readonly string[]): Mount[] {
  if (shorts.length <= 1) return [{ type: 'bind', source: `${root}/${id}/diff`, options: ['bind', 'ro'] }];
  return [{ type: 'overlay', source: 'overlay', options: [lowerdir(root, shorts), ...OVERLAY_FEATURES_OFF, 'ro'] }];
}
