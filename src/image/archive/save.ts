import { Readable } from 'node:stream';
import { EngineError } from '../../errors/engine-error.js';
import { hexOf, sha256Of, shortId, type Digest } from '../../lib/digest.js';
import { Annotation, MediaType, type Descriptor, type ImageConfig, type Platform } from '../../spec/oci-image.js';
import { parseImageConfig, parseImageManifest } from '../config.js';
import type { ImageContext } from '../context.js';
import { familiarName, familiarString, formatReference, parseAnyReference, repositoryName, type Reference } from '../reference.js';
import type { ImageRecord } from '../store.js';
import { dockerManifestJson, OCI_LAYOUT_JSON, ociIndexJson, ociManifestJson, repositoriesJson, type SaveEntry } from './documents.js';
import { writeArchive, type OutMember } from './tar-out.js';

/**
 * `docker save` in the layout Docker ≥25 writes, which both Docker (any
 * version since 1.10, through manifest.json) and OCI tools (skopeo,
 * umoci, containerd, through index.json) read:
 *
 *   blobs/sha256/<hex>   every config, layer and OCI manifest, once
 *   index.json           one entry per tag (io.containerd.image.name and
 *                        org.opencontainers.image.ref.name), or one
 *                        unnamed entry for an image saved by ID
 *   manifest.json        Docker's list: Config, RepoTags, Layers (paths
 *                        into blobs/), Parent, LayerSources
 *   oci-layout           {"imageLayoutVersion": "1.0.0"}
 *   repositories         name → tag → top layer's diff ID (hex)
 *
 * Layers are the stored blobs, byte for byte, under the digest that names
 * them (an imported or committed layer is an uncompressed tar whose digest
 * is its diff ID, as in Docker's archives; a pulled or loaded one is as it
 * came). Docker refuses to save an image without layers; berth writes it.
 * Docker ≥25 also drops unreferenced legacy v1 configs into blobs/; berth
 * does not, as nothing reads them.
 */

interface Selected {
  record: ImageRecord;
  tags: Reference[];
}

/** The images names mean, with the tags to write for each (dockerd's parseNames). */
function selectImages(ctx: ImageContext, names: readonly string[]): Map<Digest, Selected> {
  const selected = new Map<Digest, Selected>();
  const add = (record: ImageRecord, tag?: Reference): void => {
    const entry = selected.get(record.id) ?? { record, tags: [] };
    selected.set(record.id, entry);
    if (tag && !entry.tags.some((t) => formatReference(t) === formatReference(tag))) entry.tags.push(tag);
  };
  for (const name of names) {
    const parsed = parseAnyReference(name);
    if ('ref' in parsed && parsed.ref.tag === undefined && parsed.ref.digest === undefined && familiarName(parsed.ref) !== 'sha256') {
      // a bare repository name saves every tag of it
      const refs = ctx.images.references().filter((e) => repositoryName(e.ref) === repositoryName(parsed.ref));
      for (const e of refs) add(ctx.images.get(e.id)!, e.ref.digest === undefined ? e.ref : undefined);
      if (refs.length > 0) continue;
    }
    const record = ctx.images.resolve(name);
    add(record, 'ref' in parsed && parsed.ref.tag !== undefined && parsed.ref.digest === undefined ? parsed.ref : undefined);
  }
  return selected;
}

const OCI_LAYER_TYPE: Record<string, string> = {
  [MediaType.DockerLayer]: MediaType.OciLayer,
  [MediaType.DockerLayerGzip]: MediaType.OciLayerGzip,
};

interface Blob {
  digest: Digest;
  size: number;
  mtime: number;
  data?: Buffer;
}

interface Planned {
  entry: SaveEntry;
  manifest: Descriptor;
  tags: Reference[];
  topDiffId: Digest | undefined;
}

/** The manifest an image is saved with: one it came with when it still describes it exactly, else a new OCI one. */
async function manifestFor(ctx: ImageContext, record: ImageRecord, layers: Descriptor[]): Promise<{ bytes: Buffer; mediaType: string }> {
  for (const m of record.manifests) {
    const bytes = await ctx.content.read(m.digest).catch(() => undefined);
    if (!bytes) continue;
    let manifest;
    try {
      manifest = parseImageManifest(bytes);
    } catch {
      continue;
    }
    const same = manifest.config.digest === record.id && manifest.layers.length === layers.length && manifest.layers.every((l, i) => l.digest === layers[i]!.digest);
    if (same) return { bytes, mediaType: manifest.mediaType ?? m.mediaType };
  }
  const config: Descriptor = { mediaType: MediaType.OciConfig, digest: record.id, size: record.configSize };
  return { bytes: ociManifestJson(config, layers, MediaType.OciManifest), mediaType: MediaType.OciManifest };
}

function platformOf(config: ImageConfig): Platform {
  const p: Platform = { architecture: config.architecture, os: config.os };
  if (config['os.version']) p['os.version'] = config['os.version'];
  if (config.variant) p.variant = config.variant;
  return p;
}

async function planImage(ctx: ImageContext, sel: Selected, blobs: Map<Digest, Blob>, saved: ReadonlySet<Digest>): Promise<Planned> {
  const { record } = sel;
  const configBytes = await ctx.images.configBytes(record.id);
  const config = parseImageConfig(configBytes, `image config ${record.id}`);
  const created = config.created === undefined ? 0 : Math.max(0, Math.floor(Date.parse(config.created) / 1000) || 0);
  blobs.set(record.id, { digest: record.id, size: configBytes.length, mtime: created, data: configBytes });

  const layers: Descriptor[] = [];
  const layerSources: Record<string, Descriptor> = {};
  for (const [i, l] of record.layers.entries()) {
    if (!l.blob || !(await ctx.content.has(l.blob.digest))) {
      throw new EngineError('NotFound', 'LAYER_NOT_AVAILABLE', `save image ${shortId(record.id)}: layer ${i} (${l.diffId}) has no stored blob`, {
        hint: 'remove the image and pull or load it again',
      });
    }
    const size = (await ctx.content.info(l.blob.digest)).size;
    const desc: Descriptor = { mediaType: OCI_LAYER_TYPE[l.blob.mediaType] ?? l.blob.mediaType, digest: l.blob.digest, size };
    layers.push(desc);
    layerSources[l.diffId] = desc;
    if (!blobs.has(l.blob.digest)) blobs.set(l.blob.digest, { digest: l.blob.digest, size, mtime: created });
  }

  const manifest = await manifestFor(ctx, record, layers);
  const manifestDigest = sha256Of(manifest.bytes);
  blobs.set(manifestDigest, { digest: manifestDigest, size: manifest.bytes.length, mtime: 0, data: manifest.bytes });

  const entry: SaveEntry = {
    config: `blobs/sha256/${hexOf(record.id)}`,
    repoTags: sel.tags.map(familiarString),
    layers: layers.map((d) => `blobs/sha256/${hexOf(d.digest as Digest)}`),
    layerSources,
  };
  // as Docker, a parent link only between images of the same archive
  if (record.parent !== undefined && saved.has(record.parent)) entry.parent = record.parent;
  return {
    entry,
    manifest: { mediaType: manifest.mediaType, digest: manifestDigest, size: manifest.bytes.length, platform: platformOf(config) },
    tags: sel.tags,
    topDiffId: record.layers.at(-1)?.diffId,
  };
}

export async function saveArchive(ctx: ImageContext, names: readonly string[]): Promise<Readable> {
  if (names.length === 0) throw new EngineError('InvalidArgument', 'NO_IMAGES', 'save: no image given', { hint: 'name at least one image or image ID' });
  const selected = selectImages(ctx, names);
  const lease = ctx.leases.create();
  try {
    const blobs = new Map<Digest, Blob>();
    const planned: Planned[] = [];
    for (const sel of selected.values()) planned.push(await planImage(ctx, sel, blobs, new Set(selected.keys())));
    for (const d of blobs.keys()) lease.blobs.add(d);

    const index: Descriptor[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const p of planned) {
      if (p.tags.length === 0) index.push(p.manifest);
      for (const tag of p.tags) {
        index.push({ ...p.manifest, annotations: { [Annotation.ContainerdImageName]: formatReference(tag), [Annotation.RefName]: tag.tag! } });
        if (p.topDiffId !== undefined) (repositories[familiarName(tag)] ??= {})[tag.tag!] = hexOf(p.topDiffId);
      }
    }

    // Docker archives a directory, so members come in path order: blobs/ first, then the documents
    const members: OutMember[] = [
      { name: 'blobs', type: 'dir', mtime: 0 },
      { name: 'blobs/sha256', type: 'dir', mtime: 0 },
      ...[...blobs.values()]
        .sort((a, b) => (a.digest < b.digest ? -1 : 1))
        .map((b): OutMember => ({
          name: `blobs/sha256/${hexOf(b.digest)}`,
          type: 'file',
          mtime: b.mtime,
          ...(b.data ? { data: b.data } : { size: b.size, open: () => ctx.content.openRead(b.digest) }),
        })),
      { name: 'index.json', type: 'file', mtime: 0, data: ociIndexJson(index, MediaType.OciIndex) },
      { name: 'manifest.json', type: 'file', mtime: 0, data: dockerManifestJson(planned.map((p) => p.entry)) },
      { name: 'oci-layout', type: 'file', mtime: 0, data: OCI_LAYOUT_JSON },
    ];
    if (Object.keys(repositories).length > 0) members.push({ name: 'repositories', type: 'file', mtime: 0, data: repositoriesJson(repositories) });

    async function* stream(): AsyncGenerator<Buffer> {
      try {
        yield* writeArchive(members);
      } finally {
        lease.release(); // the blobs may go once they are sent (or the reader gave up)
      }
    }
    const out = Readable.from(stream(), { objectMode: false });
    // a stream destroyed before its first read never runs the generator's finally
    out.once('close', () => lease.release());
    return out;
  } catch (err) {
    lease.release();
    throw err;
  }
}
