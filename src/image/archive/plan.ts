import { EngineError } from '../../errors/engine-error.js';
import { isEngineError } from '../../errors/engine-error.js';
import type { Digest } from '../../lib/digest.js';
import type { Checked, History, ImageConfig } from '../../spec/oci-image.js';
import { diffIdsOf, parseImageConfig } from '../config.js';
import { parseReference, type Reference } from '../reference.js';
import { archiveError } from './members.js';

/**
 * What a loader makes of an archive before anything is registered: the
 * images, each with its config's exact bytes, its layers as archive
 * members with the diff IDs they must have, its parent and its tags. The
 * format-specific loaders (Docker, OCI layout, legacy) only read and
 * check; registering the plan is common (load.ts).
 */

export interface PlannedLayer {
  /** the member holding the layer */
  path: string;
  diffId: Digest;
  /** the media type its descriptor gave (OCI layouts); else decided by its compression */
  mediaType?: string;
  /** the size its descriptor gave, checked against the member */
  size?: number;
}

export interface PlannedImage {
  config: Buffer;
  id: Digest;
  layers: PlannedLayer[];
  parent?: Digest;
  tags: Reference[];
  /** the OCI manifest the image came with, kept so a save can send it again */
  manifest?: { path: string; mediaType: string };
}

/** Parses a JSON document of the archive, with a message that names it. */
export function parseDocument<T>(bytes: Buffer, what: string, check: (v: unknown) => Checked<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw archiveError('ARCHIVE_INVALID', `${what} is not valid JSON: ${(err as Error).message}`);
  }
  const result = check(value);
  if (!result.ok) throw archiveError('ARCHIVE_INVALID', `${what}: ${result.problem}`);
  return result.value;
}

/** An image config of the archive: valid, for Linux, with sha256 diff IDs. */
export function checkConfig(bytes: Buffer, what: string): { config: ImageConfig; diffIds: Digest[] } {
  let config: ImageConfig;
  let diffIds: Digest[];
  try {
    config = parseImageConfig(bytes, what);
    diffIds = diffIdsOf(config);
  } catch (err) {
    if (isEngineError(err)) throw new EngineError(err.kind, err.code, `load: ${err.message}`, { cause: err, hint: 'the archive is damaged, or was not written by docker save or an OCI tool' });
    throw err;
  }
  if (config.os !== 'linux') {
    throw new EngineError('InvalidArgument', 'UNSUPPORTED_PLATFORM', `load: cannot load ${config.os} image on linux (${what})`);
  }
  return { config, diffIds };
}

/** A name a loaded image is to be tagged with: name:tag, a bare name meaning :latest. */
export function loadTag(text: string, what: string): Reference {
  let ref: Reference;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw archiveError('ARCHIVE_INVALID', `${what}: ${(err as Error).message}`);
  }
  if (ref.digest !== undefined) throw archiveError('ARCHIVE_INVALID', `${what}: invalid tag ${JSON.stringify(text)}: a digest is not a tag`);
  return ref.tag === undefined ? { ...ref, tag: 'latest' } : ref;
}

/**
 * Orders images so that each comes after its parent, and checks each
 * parent link as dockerd does: the child's history is the parent's plus
 * one entry. Links to images outside the archive are dropped (dockerd's
 * validatedParentLinks).
 */
export function orderByParent(images: PlannedImage[], configs: Map<Digest, ImageConfig>): PlannedImage[] {
  const byId = new Map(images.map((i) => [i.id, i]));
  const out: PlannedImage[] = [];
  const done = new Set<Digest>();
  const visiting = new Set<Digest>();
  const visit = (img: PlannedImage): void => {
    if (done.has(img.id)) return;
    if (visiting.has(img.id)) throw archiveError('ARCHIVE_INVALID', `image ${img.id} is its own ancestor`);
    visiting.add(img.id);
    const parent = img.parent === undefined || img.parent === img.id ? undefined : byId.get(img.parent);
    if (parent) {
      if (!validParent(configs.get(img.id)!, configs.get(parent.id)!)) throw archiveError('ARCHIVE_INVALID', `image ${parent.id} is not a valid parent for ${img.id}`);
      visit(parent);
    } else delete img.parent;
    visiting.delete(img.id);
    done.add(img.id);
    out.push(img);
  };
  for (const img of images) visit(img);
  return out;
}

function validParent(child: ImageConfig, parent: ImageConfig): boolean {
  const c = child.history ?? [];
  const p = parent.history ?? [];
  if (c.length === 0 && p.length === 0) return true;
  if (c.length - p.length !== 1) return false;
  const same = (a: History, b: History): boolean =>
    (a.created === undefined ? b.created === undefined : b.created !== undefined && Date.parse(a.created) === Date.parse(b.created)) &&
    a.author === b.author && a.created_by === b.created_by && a.comment === b.comment && (a.empty_layer ?? false) === (b.empty_layer ?? false);
  return p.every((h, i) => same(h, c[i]!));
}
