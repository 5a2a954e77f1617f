import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentStore } from '../content/content-store.js';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { digestFromHex, hexOf, isDigest, sha256Of, shortId, type Digest } from '../lib/digest.js';
import type { ImageConfig } from '../spec/oci-image.js';
import { chainIds, diffIdsOf, imageId, parseImageConfig } from './config.js';
import {
  familiarName,
  familiarString,
  formatReference,
  parseAnyReference,
  parseReference,
  withDefaultTag,
  type Reference,
} from './reference.js';

/**
 * The image metadata store: which images exist, and which names point at
 * them. Layout under its root:
 *
 *   images/<hex>.json   one record per image, named by its ID (the digest of
 *                       its config, whose exact bytes are in the content store)
 *   refs/<hex>.json     one file per reference (a tag or a repo digest), named
 *                       by the sha256 of its full normalized form, holding it
 *                       and the image ID it points at
 *
 * One file per thing, each written atomically, so two berth processes
 * tagging different names never lose each other's update, and a crash
 * leaves every file whole. Order makes a half-registered image impossible:
 * blobs first (content store), then the image record, then its references;
 * deleting goes the other way. A reference whose image is gone is ignored.
 *
 * Records also say what each image holds in the other stores — its config,
 * manifests and layer blobs (content) and its layer stacks by chain ID
 * (snapshots) — so garbage collection can ask `gcRoots()` what to keep.
 */

export interface BlobRef {
  digest: Digest;
  size: number;
  mediaType: string;
}

export interface LayerRecord {
  diffId: Digest;
  /** the snapshot of this layer and all below it */
  chainId: Digest;
  /** the layer as received or last pushed (compressed as it was), when berth has it */
  blob?: BlobRef;
}

export interface ImageRecord {
  id: Digest;
  configSize: number;
  /** manifests (or indexes) this image is known by: pulled, loaded, or made for a save or push */
  manifests: BlobRef[];
  /** bottom first, one per rootfs.diff_ids entry */
  layers: LayerRecord[];
  /** the image it was committed or built from */
  parent?: Digest;
  /** when this store first registered it */
  added: string;
  lastTagTime?: string;
}

export interface AddImage {
  /** the config's exact bytes: the image ID is their digest */
  config: Uint8Array;
  manifests?: BlobRef[];
  /** aligned with the config's rootfs.diff_ids; a hole where berth has no blob for that layer */
  layerBlobs?: (BlobRef | undefined)[];
  parent?: Digest;
}

export interface ReferenceEntry {
  ref: Reference;
  id: Digest;
}

const RECORD_NAME = /^([0-9a-f]{64})\.json$/;

export class ImageStore {
  private readonly imagesDir: string;
  private readonly refsDir: string;

  constructor(
    readonly root: string,
    private readonly content: ContentStore,
  ) {
    this.imagesDir = join(root, 'images');
    this.refsDir = join(root, 'refs');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    mkdirSync(this.imagesDir, { recursive: true });
    mkdirSync(this.refsDir, { recursive: true });
  }

  // ——— images ———

  /**
   * Registers an image whose blobs are in the content store already (the
   * config is stored here, byte for byte). Adding an image that exists
   * merges what is new: another manifest, a blob for a layer.
   */
  async add(image: AddImage): Promise<ImageRecord> {
    const id = imageId(image.config);
    const config = parseImageConfig(image.config, `image config ${id}`);
    const diffIds = diffIdsOf(config);
    const blobs = image.layerBlobs ?? [];
    if (blobs.length > 0 && blobs.length !== diffIds.length) {
      throw new EngineError('InvalidArgument', 'LAYER_COUNT_MISMATCH', `add image ${id}: ${blobs.length} layer blobs for ${diffIds.length} layers in its config`, { hint: 'the manifest and the config disagree: the image is corrupt' });
    }
    for (const blob of [...(image.manifests ?? []), ...blobs]) {
      if (blob && !(await this.content.has(blob.digest))) {
        throw new EngineError('NotFound', 'MISSING_BLOB', `add image ${id}: blob ${blob.digest} (${blob.mediaType}) is not in the content store`);
      }
    }
    if (image.parent !== undefined && !this.get(image.parent)) {
      throw new EngineError('NotFound', 'NO_SUCH_IMAGE', `add image ${id}: parent image ${image.parent} does not exist`);
    }
    await this.content.ingest(image.config, { digest: id, size: image.config.length });

    const old = this.get(id);
    const chains = chainIds(diffIds);
    const layers = diffIds.map((diffId, i): LayerRecord => {
      const blob = blobs[i] ?? old?.layers[i]?.blob;
      return blob ? { diffId, chainId: chains[i]!, blob } : { diffId, chainId: chains[i]! };
    });
    const manifests = [...(old?.manifests ?? [])];
    for (const m of image.manifests ?? []) if (!manifests.some((x) => x.digest === m.digest)) manifests.push(m);
    const record: ImageRecord = { id, configSize: image.config.length, manifests, layers, added: old?.added ?? new Date().toISOString() };
    const parent = image.parent ?? old?.parent;
    if (parent !== undefined) record.parent = parent;
    if (old?.lastTagTime !== undefined) record.lastTagTime = old.lastTagTime;
    this.writeRecord(record);
    return record;
  }

  get(id: Digest): ImageRecord | undefined {
    return this.readJson<ImageRecord>(this.recordPath(id));
  }

  list(): ImageRecord[] {
    return this.recordIds().flatMap((id) => this.get(id) ?? []);
  }

  /** The config's exact bytes. */
  async configBytes(id: Digest): Promise<Buffer> {
    this.mustGet(id);
    return this.content.read(id);
  }

  async config(id: Digest): Promise<ImageConfig> {
    return parseImageConfig(await this.configBytes(id), `image config ${id}`);
  }

  /** Images whose parent is `id` (docker rmi refuses to delete those). */
  children(id: Digest): ImageRecord[] {
    return this.list().filter((r) => r.parent === id);
  }

  /**
   * Forgets an image: its references first, then its record. Blobs and
   * snapshots stay until garbage collection, which no longer counts them
   * as this image's. Returns the references that were removed.
   */
  delete(id: Digest): Reference[] {
    this.mustGet(id);
    const refs = this.references(id).map((e) => e.ref);
    for (const ref of refs) this.removeRef(ref);
    unlinkSync(this.recordPath(id));
    return refs;
  }

  /** What garbage collection must keep: every blob and every snapshot (by chain ID) an image holds. */
  gcRoots(): { content: Set<Digest>; snapshots: Set<Digest> } {
    const content = new Set<Digest>();
    const snapshots = new Set<Digest>();
    for (const r of this.list()) {
      content.add(r.id);
      for (const m of r.manifests) content.add(m.digest);
      for (const l of r.layers) {
        snapshots.add(l.chainId);
        if (l.blob) content.add(l.blob.digest);
      }
    }
    return { content, snapshots };
  }

  // ——— references ———

  /**
   * Points a tag at an image (a bare name means :latest). A tag already on
   * another image moves, as `docker tag` moves it, unless `force` is false.
   */
  tag(ref: Reference, id: Digest, options: { force?: boolean } = {}): void {
    const what = `tag ${familiarString(ref)}`;
    if (ref.digest !== undefined) throw new EngineError('InvalidArgument', 'INVALID_TAG', `${what}: refusing to create a tag with a digest reference`);
    if (familiarName(ref) === 'sha256') throw new EngineError('InvalidArgument', 'INVALID_TAG', `${what}: refusing to create an ambiguous tag using digest algorithm as name`);
    const tagged = withDefaultTag(ref);
    const record = this.mustGet(id);
    const current = this.lookup(tagged);
    if (current !== undefined && current !== id && options.force === false) {
      throw new EngineError('Conflict', 'TAG_IN_USE', `tag ${familiarString(tagged)}: already set to image ${shortId(current)}`, { hint: 'force it to move the tag' });
    }
    this.writeRef(tagged, id);
    this.writeRecord({ ...record, lastTagTime: new Date().toISOString() });
  }

  /** Records `name@digest` (the manifest digest an image was pulled or pushed by); a tag in `ref` is ignored. */
  addRepoDigest(ref: Reference, id: Digest): void {
    if (ref.digest === undefined) throw new Error('addRepoDigest needs a reference with a digest');
    const canonical: Reference = { domain: ref.domain, path: ref.path, digest: ref.digest };
    this.mustGet(id);
    const current = this.lookup(canonical);
    if (current !== undefined && current !== id) {
      throw new EngineError('Conflict', 'DIGEST_IN_USE', `add reference ${familiarString(canonical)}: cannot overwrite digest ${ref.digest}, it names image ${shortId(current)}`);
    }
    this.writeRef(canonical, id);
  }

  /** Removes a tag or repo digest; returns the image it named. A bare name means :latest. */
  untag(ref: Reference): Digest {
    const key = lookupForm(ref);
    const id = this.lookup(key);
    if (id === undefined) throw new EngineError('NotFound', 'NO_SUCH_IMAGE', `no such image: ${familiarString(key)}`);
    this.removeRef(key);
    return id;
  }

  /** The image a reference names, if any (a bare name means :latest; with a digest, the digest decides). */
  lookup(ref: Reference): Digest | undefined {
    const key = lookupForm(ref);
    const entry = this.readJson<{ ref: string; id: Digest }>(this.refPath(key));
    return entry && this.get(entry.id) ? entry.id : undefined;
  }

  /** Every reference, or those of one image, sorted by their full form. */
  references(id?: Digest): ReferenceEntry[] {
    const out: ReferenceEntry[] = [];
    for (const name of readdirSync(this.refsDir)) {
      if (!RECORD_NAME.test(name)) continue;
      const entry = this.readJson<{ ref: string; id: Digest }>(join(this.refsDir, name));
      if (!entry || (id !== undefined && entry.id !== id) || !this.get(entry.id)) continue;
      out.push({ ref: parseReference(entry.ref), id: entry.id });
    }
    return out.sort((a, b) => formatReference(a.ref).localeCompare(formatReference(b.ref)));
  }

  /** Docker's RepoTags and RepoDigests of an image, in familiar form ("busybox:latest", "busybox@sha256:…"). */
  names(id: Digest): { repoTags: string[]; repoDigests: string[] } {
    const refs = this.references(id).map((e) => e.ref);
    return {
      repoTags: refs.filter((r) => r.tag !== undefined).map(familiarString),
      repoDigests: refs.filter((r) => r.digest !== undefined).map(familiarString),
    };
  }

  /**
   * The image a user means, as dockerd finds it: a full ID (with or
   * without "sha256:"), then a reference (name, name:tag, name@digest),
   * then a unique ID prefix of any length. A name wins over an ID prefix
   * that happens to spell it. NotFound when nothing (or more than one
   * image, for a prefix) matches.
   */
  resolve(text: string): ImageRecord {
    const parsed = parseAnyReference(text);
    if ('id' in parsed) {
      const record = this.get(parsed.id);
      if (record) return record;
      throw noSuchImage(text);
    }
    const id = this.lookup(parsed.ref);
    if (id !== undefined) return this.get(id)!;
    const prefix = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(text)?.[1];
    if (prefix !== undefined) {
      const matches = this.recordIds().filter((d) => hexOf(d).startsWith(prefix));
      if (matches.length === 1) return this.get(matches[0]!)!;
      if (matches.length > 1) {
        throw new EngineError('NotFound', 'AMBIGUOUS_IMAGE_ID', `no such image: ${text}: the id prefix matches ${matches.length} images`, { hint: 'give more characters of the id' });
      }
    }
    throw noSuchImage(text, parsed.ref);
  }

  // ——— files ———

  private mustGet(id: Digest): ImageRecord {
    const record = this.get(id);
    if (!record) throw noSuchImage(id);
    return record;
  }

  private recordIds(): Digest[] {
    return readdirSync(this.imagesDir).flatMap((name) => {
      const m = RECORD_NAME.exec(name);
      return m ? [digestFromHex(m[1]!)] : [];
    });
  }

  private recordPath(id: Digest): string {
    if (!isDigest(id)) throw new Error(`not an image id: ${JSON.stringify(id)}`);
    return join(this.imagesDir, `${hexOf(id)}.json`);
  }

  private refPath(ref: Reference): string {
    return join(this.refsDir, `${hexOf(sha256Of(formatReference(ref)))}.json`);
  }

  private writeRecord(record: ImageRecord): void {
    writeFileAtomic(this.recordPath(record.id), `${JSON.stringify(record, null, 2)}\n`);
  }

  private writeRef(ref: Reference, id: Digest): void {
    writeFileAtomic(this.refPath(ref), `${JSON.stringify({ ref: formatReference(ref), id })}\n`);
  }

  private removeRef(ref: Reference): void {
    try {
      unlinkSync(this.refPath(ref));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }

  private readJson<T>(path: string): T | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new EngineError('Internal', 'CORRUPT_IMAGE_METADATA', `read ${JSON.stringify(path)}: not valid JSON: ${(err as Error).message}`, { cause: err, hint: 'the image metadata was damaged outside berth; remove that file and pull or load the image again' });
    }
  }
}

/** The form a reference is stored under: :latest for a bare name; name@digest alone when a digest is given. */
function lookupForm(ref: Reference): Reference {
  if (ref.digest !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  return withDefaultTag(ref);
}

function noSuchImage(text: string, ref?: Reference): EngineError {
  const hint = ref && ref.digest === undefined ? { hint: `pull it with: berth pull ${familiarString(withDefaultTag(ref))}` } : {};
  return new EngineError('NotFound', 'NO_SUCH_IMAGE', `no such image: ${ref ? familiarString(withDefaultTag(ref)) : text}`, hint);
}
