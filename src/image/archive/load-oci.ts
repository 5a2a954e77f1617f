import { EngineError } from '../../errors/engine-error.js';
import { hexOf, type Digest } from '../../lib/digest.js';
import {
  Annotation,
  checkImageIndex,
  checkImageManifest,
  checkOciLayout,
  isAttestationManifest,
  isIndexMediaType,
  isManifestMediaType,
  OCI_INDEX_FILE,
  OCI_LAYOUT_FILE,
  type Descriptor,
  type ImageConfig,
  type Platform,
} from '../../spec/oci-image.js';
import { imageId } from '../config.js';
import { archiveError, type ArchiveMembers } from './members.js';
import { checkConfig, loadTag, parseDocument, type PlannedImage } from './plan.js';
import type { Reference } from '../reference.js';

/**
 * OCI image layouts (oci-layout, index.json, blobs/): what skopeo, buildah,
 * `docker buildx --output type=oci` and Docker ≥25's save write. Each entry
 * of index.json is an image, named by its io.containerd.image.name
 * annotation (or an org.opencontainers.image.ref.name that is a whole
 * reference; a bare tag like "latest" names no repository, so such an
 * image loads untagged). An entry that is an index (a multi-platform
 * image) is resolved to the manifest for this host's platform, through
 * nested indexes. Every blob is found by its digest and checked against
 * the descriptor's digest and size.
 */

const MAX_INDEX_DEPTH = 4;

function blobPath(digest: string, what: string): string {
  if (!digest.startsWith('sha256:')) {
    throw new EngineError('NotImplemented', 'UNSUPPORTED_DIGEST', `load: ${what}: ${JSON.stringify(digest)} is not a sha256 digest`, { hint: 'berth addresses content by sha256 only, as Docker does' });
  }
  return `blobs/sha256/${hexOf(digest as Digest)}`;
}

/** The member a descriptor points at, checked against its digest and size. */
function described(members: ArchiveMembers, d: Descriptor, what: string): string {
  const path = blobPath(d.digest, what);
  const size = members.size(path, `${what}: blob`);
  if (size !== d.size) throw archiveError('SIZE_MISMATCH', `${what}: blob ${d.digest} has ${size} bytes, its descriptor says ${d.size}`);
  // a link in blobs/ may lead to a member whose name was never checked against its content
  const digest = members.digest(path, `${what}: blob`);
  if (digest !== d.digest) throw archiveError('DIGEST_MISMATCH', `${what}: blob ${d.digest} has digest ${digest}`);
  return path;
}

function matches(p: Platform | undefined, want: Platform): boolean {
  return p !== undefined && p.os === want.os && p.architecture === want.architecture && (!want.variant || !p.variant || p.variant === want.variant);
}

const platformName = (p: Platform): string => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

/** The image manifest a descriptor means for this platform; undefined for an entry that is not an image (an attestation). */
async function pickManifest(members: ArchiveMembers, d: Descriptor, want: Platform, what: string, depth: number): Promise<Descriptor | undefined> {
  if (isAttestationManifest(d)) return undefined;
  if (isManifestMediaType(d.mediaType)) return d;
  if (!isIndexMediaType(d.mediaType)) {
    throw archiveError('UNSUPPORTED_MEDIA_TYPE', `${what}: unsupported media type ${JSON.stringify(d.mediaType)}`, 'berth loads image manifests and image indexes only');
  }
  if (depth >= MAX_INDEX_DEPTH) throw archiveError('ARCHIVE_INVALID', `${what}: image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
  const index = parseDocument(await members.document(described(members, d, what), what), `image index ${d.digest}`, checkImageIndex);
  const images = index.manifests.filter((m) => !isAttestationManifest(m));
  const exact = images.find((m) => matches(m.platform, want) && (m.platform?.variant ?? '') === (want.variant ?? ''));
  const chosen = exact ?? images.find((m) => matches(m.platform, want)) ?? (images.length === 1 && !images[0]!.platform ? images[0] : undefined);
  if (!chosen) {
    throw new EngineError('NotFound', 'NO_MATCHING_PLATFORM', `load: ${what}: image index ${d.digest} has no image for ${platformName(want)}`, {
      hint: `it has: ${images.map((m) => (m.platform ? platformName(m.platform) : 'an image without a platform')).join(', ') || 'nothing'}`,
    });
  }
  return pickManifest(members, chosen, want, `${what} → ${chosen.digest}`, depth + 1);
}

/** The tag an index.json entry gives its image, if any. */
function nameOf(annotations: Record<string, string> | undefined, what: string): Reference | undefined {
  const full = annotations?.[Annotation.ContainerdImageName];
  if (full) {
    const ref = loadTag(full.replace(/@sha256:[0-9a-f]{64}$/, ''), `${what} annotation ${Annotation.ContainerdImageName}`);
    return ref;
  }
  const refName = annotations?.[Annotation.RefName];
  if (refName && /[:/]/.test(refName)) return loadTag(refName, `${what} annotation ${Annotation.RefName}`);
  return undefined;
}

export async function planOciLayout(members: ArchiveMembers, platform: Platform): Promise<PlannedImage[]> {
  parseDocument(await members.document(OCI_LAYOUT_FILE, 'the file'), OCI_LAYOUT_FILE, checkOciLayout);
  const index = parseDocument(await members.document(OCI_INDEX_FILE, 'the file'), OCI_INDEX_FILE, checkImageIndex);
  const images = new Map<Digest, PlannedImage>();
  const configs = new Map<Digest, ImageConfig>();
  for (const [i, entry] of index.manifests.entries()) {
    const what = `${OCI_INDEX_FILE} manifests[${i}]`;
    const tag = nameOf(entry.annotations, what);
    const chosen = await pickManifest(members, entry, platform, what, 0);
    if (!chosen) continue;
    const manifestPath = described(members, chosen, what);
    const manifest = parseDocument(await members.document(manifestPath, what), `image manifest ${chosen.digest}`, checkImageManifest);
    const configPath = described(members, manifest.config, `config of image manifest ${chosen.digest}`);
    const configBytes = await members.document(configPath, 'config');
    const { config, diffIds } = checkConfig(configBytes, `image config ${manifest.config.digest}`);
    if (manifest.layers.length !== diffIds.length) {
      throw archiveError('LAYER_COUNT_MISMATCH', `image manifest ${chosen.digest} has ${manifest.layers.length} layers, its config ${diffIds.length}`);
    }
    const layers = manifest.layers.map((l, j) => ({
      path: described(members, l, `layer ${j} of image manifest ${chosen.digest}`),
      diffId: diffIds[j]!,
      mediaType: l.mediaType,
      size: l.size,
    }));
    const id = imageId(configBytes);
    const image = images.get(id) ?? { config: configBytes, id, layers, tags: [], manifest: { path: manifestPath, mediaType: manifest.mediaType ?? chosen.mediaType } };
    if (tag) image.tags.push(tag);
    images.set(id, image);
    configs.set(id, config);
  }
  return [...images.values()];
}
