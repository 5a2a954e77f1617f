/**
 * Types of the OCI image spec (shared/specs/oci-image/*.json) and of the
 * Docker formats that sit beside it: schema2 manifests and manifest lists,
 * Docker's image config fields, and the files `docker save` writes
 * (manifest.json, repositories, the legacy <id>/json). Plus validators for
 * documents read from untrusted places (archives, registries): each returns
 * the typed value or a problem that names the field, and callers turn the
 * problem into their own error. Digests stay plain strings here — spec/
 * imports nothing; lib/digest.ts brands them.
 */

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  // deprecated by OCI 1.1, still found in the wild
  OciLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  // schema1 (signed or not) is obsolete: recognised only to be refused clearly
  DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type Compression = 'none' | 'gzip' | 'zstd';

const LAYER_COMPRESSION = new Map<string, Compression>(Object.entries({
  [MediaType.OciLayer]: 'none',
  [MediaType.OciLayerGzip]: 'gzip',
  [MediaType.OciLayerZstd]: 'zstd',
  [MediaType.OciLayerNondistributable]: 'none',
  [MediaType.OciLayerNondistributableGzip]: 'gzip',
  [MediaType.OciLayerNondistributableZstd]: 'zstd',
  [MediaType.DockerLayer]: 'none',
  [MediaType.DockerLayerGzip]: 'gzip',
  [MediaType.DockerForeignLayerGzip]: 'gzip',
}));

/** How a layer of this media type is compressed; undefined when it is not a layer type berth knows. */
export function layerCompression(mediaType: string): Compression | undefined {
  return LAYER_COMPRESSION.get(mediaType);
}
export const isLayerMediaType = (t: string): boolean => LAYER_COMPRESSION.has(t);
export const isManifestMediaType = (t: string): boolean => t === MediaType.OciManifest || t === MediaType.DockerManifest;
export const isIndexMediaType = (t: string): boolean => t === MediaType.OciIndex || t === MediaType.DockerManifestList;
export const isConfigMediaType = (t: string): boolean => t === MediaType.OciConfig || t === MediaType.DockerConfig;

export const Annotation = {
  RefName: 'org.opencontainers.image.ref.name',
  Created: 'org.opencontainers.image.created',
  /** full image name, as containerd and Docker ≥25 write it in index.json */
  ContainerdImageName: 'io.containerd.image.name',
  /** marks BuildKit's attestation manifests inside an index; they are not runnable images */
  DockerReferenceType: 'vnd.docker.reference.type',
} as const;

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_INDEX_FILE = 'index.json';
export const OCI_LAYOUT_VERSION = '1.0.0';
export const DOCKER_SAVE_MANIFEST_FILE = 'manifest.json';
export const DOCKER_SAVE_REPOSITORIES_FILE = 'repositories';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** base64 of the content itself, for tiny blobs */
  data?: string;
  artifactType?: string;
  /** only on the entries of an index */
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Docker's HEALTHCHECK; durations in nanoseconds. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/**
 * The `config` object of an image config: the OCI fields plus Docker's.
 * Docker writes its whole container config here (Hostname, Tty, ...); those
 * fields are kept as they come but only the image-level ones matter.
 */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object> | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig | null;
  OnBuild?: string[] | null;
  Shell?: string[] | null;
  Hostname?: string;
  Domainname?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Image?: string;
}

export interface RootFS {
  type: 'layers';
  diff_ids: string[];
}

export interface History {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  /** a metadata-only step (ENV, CMD, ...): it has no entry in rootfs.diff_ids */
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: RootFS;
  history?: History[];
  // Docker's own fields
  comment?: string;
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
}

/** The `oci-layout` file of an OCI image layout. */
export interface OciLayout {
  imageLayoutVersion: string;
}

/** One entry of the manifest.json `docker save` writes (Docker ≥1.10). Paths are relative to the archive. */
export interface DockerSaveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  Parent?: string;
  LayerSources?: Record<string, Descriptor>;
}

/** `repositories`: repository → tag → the legacy id (hex) of the image's top layer directory. */
export type DockerRepositories = Record<string, Record<string, string>>;

/** `<id>/json` of the legacy (pre-1.10) save format: a v1 image, one per layer. */
export interface LegacyV1Image {
  id: string;
  parent?: string;
  created?: string;
  comment?: string;
  author?: string;
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  config?: ContainerConfig;
  architecture?: string;
  os?: string;
  Size?: number;
}

// ——— validation ———

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Thrown inside a check only; every exported check catches it and returns it as a problem. */
class Problem {
  constructor(readonly text: string) {}
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
function fail(path: string, what: string): never {
  throw new Problem(`${path || 'document'}: ${what}`);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${describe(v)}`);
  return v as string;
}
function optStr(o: Record<string, unknown>, key: string, path: string): void {
  if (o[key] !== undefined) str(o[key], at(path, key));
}
function strArray(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) fail(path, `must be an array of strings, got ${describe(v)}`);
  (v as unknown[]).forEach((s, i) => str(s, at(path, i)));
  return v as string[];
}
/** Optional, and null is allowed (Docker writes `"Cmd": null`). */
function optNullable(o: Record<string, unknown>, key: string, path: string, check: (v: unknown, p: string) => unknown): void {
  if (o[key] !== undefined && o[key] !== null) check(o[key], at(path, key));
}
function stringMap(v: unknown, path: string): void {
  for (const [k, s] of Object.entries(obj(v, path))) str(s, at(path, k));
}
function objectMap(v: unknown, path: string): void {
  for (const [k, s] of Object.entries(obj(v, path))) obj(s, at(path, k));
}

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function mediaType(v: unknown, path: string): string {
  const t = str(v, path);
  if (!MEDIA_TYPE.test(t)) fail(path, `${JSON.stringify(t)} is not a media type`);
  return t;
}
function digest(v: unknown, path: string): void {
  const d = str(v, path);
  if (!DIGEST.test(d)) fail(path, `${JSON.stringify(d)} is not a digest`);
  if (d.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(d)) fail(path, `${JSON.stringify(d)} is not a sha256 digest (64 lower-case hex digits)`);
}

function platform(v: unknown, path: string): void {
  const p = obj(v, path);
  str(p['architecture'], at(path, 'architecture'));
  str(p['os'], at(path, 'os'));
  optStr(p, 'os.version', path);
  optStr(p, 'variant', path);
  if (p['os.features'] !== undefined) strArray(p['os.features'], at(path, 'os.features'));
}

function descriptor(v: unknown, path: string): Descriptor {
  const d = obj(v, path);
  mediaType(d['mediaType'], at(path, 'mediaType'));
  digest(d['digest'], at(path, 'digest'));
  const size = d['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(at(path, 'size'), `must be a byte count, got ${describe(size)}`);
  if (d['urls'] !== undefined) strArray(d['urls'], at(path, 'urls'));
  if (d['annotations'] !== undefined) stringMap(d['annotations'], at(path, 'annotations'));
  optStr(d, 'data', path);
  if (d['artifactType'] !== undefined) mediaType(d['artifactType'], at(path, 'artifactType'));
  if (d['platform'] !== undefined) platform(d['platform'], at(path, 'platform'));
  return d as unknown as Descriptor;
}

function schemaVersion2(o: Record<string, unknown>): void {
  if (o['schemaVersion'] !== 2) fail('schemaVersion', `must be 2, got ${describe(o['schemaVersion'])}`);
}

function checked<T>(run: () => T): Checked<T> {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, problem: err.text };
    throw err;
  }
}

/**
 * An image manifest (OCI or Docker schema2) whose config is an image config
 * and whose layers are of a layer type berth can unpack. Empty `layers` is
 * allowed: Docker pushes images with no filesystem layer (FROM scratch plus
 * metadata), although the OCI schema asks for one.
 */
export function checkImageManifest(v: unknown): Checked<ImageManifest> {
  return checked(() => {
    const m = obj(v, '');
    schemaVersion2(m);
    if (m['mediaType'] !== undefined && !isManifestMediaType(mediaType(m['mediaType'], 'mediaType'))) {
      fail('mediaType', `${JSON.stringify(m['mediaType'])} is not an image manifest media type`);
    }
    const config = descriptor(m['config'], 'config');
    if (!isConfigMediaType(config.mediaType)) fail('config.mediaType', `${JSON.stringify(config.mediaType)} is not an image config media type`);
    if (!Array.isArray(m['layers'])) fail('layers', `must be an array, got ${describe(m['layers'])}`);
    (m['layers'] as unknown[]).forEach((l, i) => {
      const layer = descriptor(l, `layers[${i}]`);
      if (!isLayerMediaType(layer.mediaType)) fail(`layers[${i}].mediaType`, `unknown layer media type ${JSON.stringify(layer.mediaType)}`);
    });
    if (m['subject'] !== undefined) descriptor(m['subject'], 'subject');
    if (m['annotations'] !== undefined) stringMap(m['annotations'], 'annotations');
    return m as unknown as ImageManifest;
  });
}

/** An image index (OCI) or manifest list (Docker). Its entries may point at anything; the caller picks. */
export function checkImageIndex(v: unknown): Checked<ImageIndex> {
  return checked(() => {
    const x = obj(v, '');
    schemaVersion2(x);
    if (x['mediaType'] !== undefined && !isIndexMediaType(mediaType(x['mediaType'], 'mediaType'))) {
      fail('mediaType', `${JSON.stringify(x['mediaType'])} is not an image index media type`);
    }
    if (!Array.isArray(x['manifests'])) fail('manifests', `must be an array, got ${describe(x['manifests'])}`);
    (x['manifests'] as unknown[]).forEach((d, i) => descriptor(d, `manifests[${i}]`));
    if (x['subject'] !== undefined) descriptor(x['subject'], 'subject');
    if (x['annotations'] !== undefined) stringMap(x['annotations'], 'annotations');
    return x as unknown as ImageIndex;
  });
}

function containerConfig(v: unknown, path: string): void {
  const c = obj(v, path);
  for (const key of ['User', 'WorkingDir', 'StopSignal', 'Hostname', 'Domainname', 'Image']) optStr(c, key, path);
  for (const key of ['Env', 'Entrypoint', 'Cmd', 'OnBuild', 'Shell']) optNullable(c, key, path, strArray);
  for (const key of ['ExposedPorts', 'Volumes']) optNullable(c, key, path, objectMap);
  optNullable(c, 'Labels', path, stringMap);
  if (c['ArgsEscaped'] !== undefined && typeof c['ArgsEscaped'] !== 'boolean') fail(at(path, 'ArgsEscaped'), `must be a boolean, got ${describe(c['ArgsEscaped'])}`);
  optNullable(c, 'Healthcheck', path, (h, p) => {
    const hc = obj(h, p);
    optNullable(hc, 'Test', p, strArray);
    for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
      if (hc[key] !== undefined && !Number.isInteger(hc[key])) fail(at(p, key), `must be an integer, got ${describe(hc[key])}`);
    }
  });
}

/** An image config (OCI, which Docker's is a superset of): what an image ID is the digest of. */
export function checkImageConfig(v: unknown): Checked<ImageConfig> {
  return checked(() => {
    const c = obj(v, '');
    str(c['architecture'], 'architecture');
    str(c['os'], 'os');
    for (const key of ['created', 'author', 'variant', 'os.version', 'comment', 'container', 'docker_version']) optStr(c, key, '');
    if (c['os.features'] !== undefined) strArray(c['os.features'], 'os.features');
    if (c['config'] !== undefined && c['config'] !== null) containerConfig(c['config'], 'config');
    if (c['container_config'] !== undefined && c['container_config'] !== null) containerConfig(c['container_config'], 'container_config');
    const rootfs = obj(c['rootfs'], 'rootfs');
    if (rootfs['type'] !== 'layers') fail('rootfs.type', `must be "layers", got ${describe(rootfs['type'])}`);
    if (!Array.isArray(rootfs['diff_ids'])) fail('rootfs.diff_ids', `must be an array, got ${describe(rootfs['diff_ids'])}`);
    (rootfs['diff_ids'] as unknown[]).forEach((d, i) => digest(d, `rootfs.diff_ids[${i}]`));
    if (c['history'] !== undefined && c['history'] !== null) {
      if (!Array.isArray(c['history'])) fail('history', `must be an array, got ${describe(c['history'])}`);
      (c['history'] as unknown[]).forEach((h, i) => {
        const e = obj(h, `history[${i}]`);
        for (const key of ['created', 'author', 'created_by', 'comment']) optStr(e, key, `history[${i}]`);
        if (e['empty_layer'] !== undefined && typeof e['empty_layer'] !== 'boolean') fail(`history[${i}].empty_layer`, `must be a boolean, got ${describe(e['empty_layer'])}`);
      });
    }
    return c as unknown as ImageConfig;
  });
}

export function checkOciLayout(v: unknown): Checked<OciLayout> {
  return checked(() => {
    const l = obj(v, '');
    const version = str(l['imageLayoutVersion'], 'imageLayoutVersion');
    if (version !== OCI_LAYOUT_VERSION) fail('imageLayoutVersion', `unsupported version ${JSON.stringify(version)} (berth reads ${OCI_LAYOUT_VERSION})`);
    return l as unknown as OciLayout;
  });
}

/** A path inside an archive: relative, and never climbing out of it. */
function archivePath(v: unknown, path: string): void {
  const p = str(v, path);
  if (p === '' || p.startsWith('/') || p.split('/').includes('..')) fail(path, `${JSON.stringify(p)} is not a path inside the archive`);
}

/** docker save's manifest.json: an array of entries, one per image. */
export function checkDockerSaveManifest(v: unknown): Checked<DockerSaveEntry[]> {
  return checked(() => {
    if (!Array.isArray(v)) fail('', `must be an array, got ${describe(v)}`);
    (v as unknown[]).forEach((entry, i) => {
      const path = `[${i}]`;
      const e = obj(entry, path);
      archivePath(e['Config'], `${path}.Config`);
      optNullable(e, 'RepoTags', path, strArray);
      if (!Array.isArray(e['Layers'])) fail(`${path}.Layers`, `must be an array, got ${describe(e['Layers'])}`);
      (e['Layers'] as unknown[]).forEach((l, j) => archivePath(l, `${path}.Layers[${j}]`));
      optStr(e, 'Parent', path);
      if (e['LayerSources'] !== undefined) {
        for (const [k, d] of Object.entries(obj(e['LayerSources'], `${path}.LayerSources`))) descriptor(d, `${path}.LayerSources.${k}`);
      }
    });
    return v as DockerSaveEntry[];
  });
}

/** docker save's `repositories` file. */
export function checkDockerRepositories(v: unknown): Checked<DockerRepositories> {
  return checked(() => {
    for (const [repo, tags] of Object.entries(obj(v, ''))) stringMap(tags, repo);
    return v as DockerRepositories;
  });
}

/** A legacy `<id>/json`: only the fields a loader needs are checked. */
export function checkLegacyV1Image(v: unknown): Checked<LegacyV1Image> {
  return checked(() => {
    const j = obj(v, '');
    if (!/^[0-9a-f]{64}$/.test(str(j['id'], 'id'))) fail('id', `${JSON.stringify(j['id'])} is not a 64-hex-digit layer id`);
    if (j['parent'] !== undefined && j['parent'] !== '' && !/^[0-9a-f]{64}$/.test(str(j['parent'], 'parent'))) fail('parent', `${JSON.stringify(j['parent'])} is not a 64-hex-digit layer id`);
    for (const key of ['created', 'comment', 'author', 'container', 'docker_version', 'architecture', 'os']) optStr(j, key, '');
    if (j['config'] !== undefined && j['config'] !== null) containerConfig(j['config'], 'config');
    if (j['container_config'] !== undefined && j['container_config'] !== null) containerConfig(j['container_config'], 'container_config');
    return j as unknown as LegacyV1Image;
  });
}

/** BuildKit's attestation manifests (in-toto provenance, SBOM) sit in indexes beside the images; they are not images. */
export function isAttestationManifest(d: Descriptor): boolean {
  return d.annotations?.[Annotation.DockerReferenceType] === 'attestation-manifest';
}
