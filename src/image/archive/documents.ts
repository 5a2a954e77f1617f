import type { Descriptor, Platform } from '../../spec/oci-image.js';

/**
 * The JSON documents of a `docker save` archive, byte for byte as Docker
 * ≥25 writes them (moby image/tarexport/save.go): Go marshals structs in
 * field order and maps with sorted keys, so the key order here is the
 * struct's and map keys are sorted. manifest.json and repositories end
 * with a newline (json.Encoder), index.json does not (json.Marshal), and
 * oci-layout is a literal with a space after the colon.
 */

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sortedMap = <T>(m: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(m).sort(([a], [b]) => byKey(a, b)));

/** An OCI descriptor in ocispec.Descriptor's field order. */
export function ociDescriptor(d: Descriptor): Descriptor {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls?.length) out['urls'] = d.urls;
  if (d.annotations && Object.keys(d.annotations).length > 0) out['annotations'] = sortedMap(d.annotations);
  if (d.data !== undefined) out['data'] = d.data;
  if (d.platform) out['platform'] = platformJson(d.platform);
  if (d.artifactType !== undefined) out['artifactType'] = d.artifactType;
  return out as unknown as Descriptor;
}

function platformJson(p: Platform): Platform {
  const out: Record<string, unknown> = { architecture: p.architecture, os: p.os };
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = p['os.features'];
  if (p.variant) out['variant'] = p.variant;
  return out as unknown as Platform;
}

/** A layer source in docker/distribution's Descriptor order (mediaType, size, digest), as LayerSources holds them. */
function layerSource(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.urls?.length) out['urls'] = d.urls;
  if (d.annotations && Object.keys(d.annotations).length > 0) out['annotations'] = sortedMap(d.annotations);
  return out;
}

export function ociManifestJson(config: Descriptor, layers: readonly Descriptor[], mediaType: string): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: ociDescriptor(config), layers: layers.map(ociDescriptor) }));
}

export function ociIndexJson(manifests: readonly Descriptor[], mediaType: string): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: manifests.map(ociDescriptor) }));
}

export const OCI_LAYOUT_JSON = Buffer.from('{"imageLayoutVersion": "1.0.0"}');

export interface SaveEntry {
  config: string;
  /** familiar "name:tag" forms; none is written as null, as Docker does */
  repoTags: string[];
  layers: string[];
  parent?: string;
  /** by diff ID */
  layerSources?: Record<string, Descriptor>;
}

export function dockerManifestJson(entries: readonly SaveEntry[]): Buffer {
  const items = entries.map((e) => {
    const out: Record<string, unknown> = { Config: e.config, RepoTags: e.repoTags.length > 0 ? e.repoTags : null, Layers: e.layers };
    if (e.parent) out['Parent'] = e.parent;
    if (e.layerSources && Object.keys(e.layerSources).length > 0) {
      out['LayerSources'] = Object.fromEntries(Object.entries(sortedMap(e.layerSources)).map(([k, d]) => [k, layerSource(d)]));
    }
    return out;
  });
  return Buffer.from(`${JSON.stringify(items)}\n`);
}

/** `repositories`: familiar name → tag → hex id of the image's top layer. */
export function repositoriesJson(repos: Record<string, Record<string, string>>): Buffer {
  const sorted = Object.fromEntries(Object.entries(sortedMap(repos)).map(([name, tags]) => [name, sortedMap(tags)]));
  return Buffer.from(`${JSON.stringify(sorted)}\n`);
}
