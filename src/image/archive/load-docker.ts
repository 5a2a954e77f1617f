import { imageId } from '../config.js';
import { isEngineError } from '../../errors/engine-error.js';
import {
  checkDockerSaveManifest,
  checkImageIndex,
  checkImageManifest,
  DOCKER_SAVE_MANIFEST_FILE,
  isLayerMediaType,
  isManifestMediaType,
  OCI_INDEX_FILE,
  type ImageConfig,
} from '../../spec/oci-image.js';
import { isDigest, type Digest } from '../../lib/digest.js';
import { archiveError, type ArchiveMembers } from './members.js';
import { checkConfig, loadTag, orderByParent, parseDocument, type PlannedImage } from './plan.js';

/**
 * Archives with Docker's manifest.json: written by `docker save` since
 * 1.10 — Docker 20.10 puts each layer in `<id>/layer.tar` and the config
 * in `<id>.json`; Docker ≥25 points both into blobs/sha256/ — and read
 * the same way, as dockerd reads them: one entry per image, its config,
 * its layers in order (as many as the config has diff IDs), its tags.
 */
export async function planDockerArchive(members: ArchiveMembers): Promise<PlannedImage[]> {
  const bytes = await members.document(DOCKER_SAVE_MANIFEST_FILE, 'the file');
  if (bytes.toString('utf8').trim() === 'null') {
    throw archiveError('ARCHIVE_INVALID', 'invalid manifest.json: it cannot be null (but can be [])');
  }
  const entries = parseDocument(bytes, DOCKER_SAVE_MANIFEST_FILE, checkDockerSaveManifest);
  const images = new Map<Digest, PlannedImage>();
  const configs = new Map<Digest, ImageConfig>();
  for (const [i, entry] of entries.entries()) {
    const where = `${DOCKER_SAVE_MANIFEST_FILE} [${i}]`;
    const configBytes = await members.document(entry.Config, `${where}: config`);
    const { config, diffIds } = checkConfig(configBytes, `image config ${JSON.stringify(entry.Config)}`);
    if (entry.Layers.length !== diffIds.length) {
      throw archiveError('LAYER_COUNT_MISMATCH', `invalid manifest: ${where} has ${entry.Layers.length} layers, its config ${diffIds.length}`);
    }
    const layers = entry.Layers.map((path, j) => {
      members.size(path, `${where}: layer ${j}`);
      const source = entry.LayerSources?.[diffIds[j]!];
      // a layer source's media type is kept when it describes this very member
      return { path, diffId: diffIds[j]!, ...(source && isLayerMediaType(source.mediaType) && source.digest === members.digest(path, 'layer') ? { mediaType: source.mediaType } : {}) };
    });
    const tags = (entry.RepoTags ?? []).map((t, j) => loadTag(t, `${where}.RepoTags[${j}]`));
    if (entry.Parent !== undefined && entry.Parent !== '' && !isDigest(entry.Parent)) {
      throw archiveError('ARCHIVE_INVALID', `${where}.Parent: ${JSON.stringify(entry.Parent)} is not an image ID`);
    }
    const id = imageId(configBytes);
    const existing = images.get(id);
    if (existing) {
      existing.tags.push(...tags);
      continue;
    }
    configs.set(id, config);
    const image: PlannedImage = { config: configBytes, id, layers, tags };
    if (entry.Parent) image.parent = entry.Parent as Digest;
    images.set(id, image);
  }
  await attachManifests(members, images);
  return orderByParent([...images.values()], configs);
}

/**
 * Docker ≥25 archives (and berth's) also hold an OCI index of the same
 * images: the manifest that names an image's config and exactly its layer
 * blobs is kept with it, so that saving it again sends the same manifest.
 * dockerd ignores index.json when manifest.json is there, so a broken one
 * does not fail the load; it only keeps nothing.
 */
async function attachManifests(members: ArchiveMembers, images: Map<Digest, PlannedImage>): Promise<void> {
  if (!members.has(OCI_INDEX_FILE)) return;
  try {
    const index = parseDocument(await members.document(OCI_INDEX_FILE, 'the file'), OCI_INDEX_FILE, checkImageIndex);
    for (const d of index.manifests) {
      const path = `blobs/sha256/${d.digest.slice('sha256:'.length)}`;
      if (!isManifestMediaType(d.mediaType) || !members.has(path) || members.digest(path, 'manifest') !== d.digest) continue;
      const manifest = parseDocument(await members.document(path, 'manifest'), `image manifest ${d.digest}`, checkImageManifest);
      const image = images.get(manifest.config.digest as Digest);
      if (!image || image.manifest || manifest.layers.length !== image.layers.length) continue;
      if (manifest.layers.every((l, i) => l.digest === members.digest(image.layers[i]!.path, 'layer'))) {
        image.manifest = { path, mediaType: manifest.mediaType ?? d.mediaType };
      }
    }
  } catch (err) {
    if (!isEngineError(err)) throw err;
  }
}
