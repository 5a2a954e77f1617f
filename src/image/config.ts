import { EngineError } from '../errors/engine-error.js';
import { sha256Of, type Digest } from '../lib/digest.js';
import {
  checkImageConfig,
  checkImageIndex,
  checkImageManifest,
  type Checked,
  type ContainerConfig,
  type History,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../spec/oci-image.js';

/**
 * Image identity and image configs.
 *
 * - A layer's DiffID is the digest of its uncompressed tar; the image
 *   config lists them (rootfs.diff_ids), bottom first.
 * - A ChainID names a stack of layers, which is what a snapshot is
 *   (OCI image-spec, config.md):
 *     ChainID(L0)      = DiffID(L0)
 *     ChainID(L0..Ln)  = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))
 *   so two images that share their bottom layers share those snapshots.
 * - An image's ID is the digest of its config's exact bytes. The bytes are
 *   stored as they came (never re-serialized) so that the ID, and the
 *   digest a registry knows the config by, stay the same.
 */

/** DiffID of a layer that changes nothing: an empty tar, 1024 zero bytes (Docker's DigestSHA256EmptyTar). */
export const EMPTY_LAYER_DIFF_ID = sha256Of(Buffer.alloc(1024));

/** The chain ID of every prefix of the stack: result[i] names layers 0..i. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const below = out[out.length - 1];
    out.push(below === undefined ? diffId : sha256Of(`${below} ${diffId}`));
  }
  return out;
}

/** The chain ID of the whole stack; undefined for an image without layers. */
export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}

/** An image's ID: the digest of its config bytes. */
export function imageId(configBytes: Uint8Array): Digest {
  return sha256Of(configBytes);
}

// ——— decoding documents read from archives and registries ———

function decode<T>(bytes: Uint8Array, check: (v: unknown) => Checked<T>, what: string, code: string): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new EngineError('InvalidArgument', code, `read ${what}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = check(value);
  if (!result.ok) throw new EngineError('InvalidArgument', code, `read ${what}: ${result.problem}`);
  return result.value;
}

/** `what` names the document in errors, e.g. `image config sha256:…` or `manifest.json of "x.tar"`. */
export function parseImageConfig(bytes: Uint8Array, what = 'image config'): ImageConfig {
  return decode(bytes, checkImageConfig, what, 'INVALID_IMAGE_CONFIG');
}

export function parseImageManifest(bytes: Uint8Array, what = 'image manifest'): ImageManifest {
  return decode(bytes, checkImageManifest, what, 'INVALID_MANIFEST');
}

export function parseImageIndex(bytes: Uint8Array, what = 'image index'): ImageIndex {
  return decode(bytes, checkImageIndex, what, 'INVALID_INDEX');
}

/** The config's diff IDs as digests (the validator has checked their syntax; this checks the algorithm). */
export function diffIdsOf(config: ImageConfig): Digest[] {
  return config.rootfs.diff_ids.map((d, i) => {
    if (!/^sha256:[0-9a-f]{64}$/.test(d)) {
      throw new EngineError('NotImplemented', 'UNSUPPORTED_DIGEST', `read image config: rootfs.diff_ids[${i}]: ${JSON.stringify(d)} is not a sha256 digest`, { hint: 'berth addresses layers by sha256 only, as Docker does' });
    }
    return d as Digest;
  });
}

// ——— building configs for import and commit ———

const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };

/** This machine as an image platform, in Go's names (amd64, not x64), as Docker records it. */
export function hostPlatform(): Platform {
  const p: Platform = { architecture: GOARCH[process.arch] ?? process.arch, os: process.platform };
  if (process.arch === 'arm') p.variant = `v${(process.config.variables as { arm_version?: string }).arm_version ?? '7'}`;
  return p;
}

export interface ChildImageOptions {
  /** The image this one builds on; none for `import` (a base image). */
  parent?: ImageConfig;
  /** DiffID of the new layer; none, or the empty layer's, for a metadata-only step. */
  diffId?: Digest;
  /**
   * Whether the step made no layer. By default a step whose layer is the
   * empty tar made none (docker commit of an unchanged container); import
   * sets it false: Docker's import keeps even an empty tar as the layer.
   */
  emptyLayer?: boolean;
  /** The new image's run config: the parent's (for commit, the container's) after --change. */
  config?: ContainerConfig;
  /** The history entry: `created_by` is the step (commit: the container's command), `comment` the message. */
  history?: Pick<History, 'created_by' | 'comment' | 'author'>;
  created?: Date;
  /** Defaults to the parent's, else this host's. */
  platform?: Platform;
  /** Docker's commit fields, for `docker inspect` parity: the container's id and config. */
  container?: string;
  containerConfig?: ContainerConfig;
  dockerVersion?: string;
}

/**
 * A new image config: the parent's layers plus the new one, the parent's
 * history plus one entry — an empty_layer entry when nothing on disk
 * changed, as Docker records a metadata-only commit — and the given run
 * config. This is what `docker import` (no parent) and `docker commit` make.
 */
export function childImageConfig(options: ChildImageOptions): ImageConfig {
  const parent = options.parent;
  const created = (options.created ?? new Date()).toISOString();
  const emptyLayer = options.diffId === undefined || (options.emptyLayer ?? options.diffId === EMPTY_LAYER_DIFF_ID);
  const platform = options.platform ?? (parent ? { architecture: parent.architecture, os: parent.os, variant: parent.variant } : hostPlatform());

  const entry: History = { created };
  if (options.history?.author) entry.author = options.history.author;
  if (options.history?.created_by) entry.created_by = options.history.created_by;
  if (options.history?.comment) entry.comment = options.history.comment;
  if (emptyLayer) entry.empty_layer = true;

  const out: ImageConfig = { architecture: platform.architecture, os: platform.os, created, rootfs: { type: 'layers', diff_ids: [...(parent?.rootfs.diff_ids ?? [])] } };
  if (platform.variant) out.variant = platform.variant;
  if (parent?.['os.version']) out['os.version'] = parent['os.version'];
  if (parent?.['os.features']) out['os.features'] = parent['os.features'];
  if (options.history?.author) out.author = options.history.author;
  if (options.history?.comment) out.comment = options.history.comment;
  if (options.config) out.config = options.config;
  if (options.container) out.container = options.container;
  if (options.containerConfig) out.container_config = options.containerConfig;
  if (options.dockerVersion) out.docker_version = options.dockerVersion;
  if (!emptyLayer) out.rootfs.diff_ids.push(options.diffId!);
  out.history = [...(parent?.history ?? []), entry];
  return out;
}

/** The bytes to store for a config berth made. The ID is their digest, so they are written once and kept. */
export function serializeImageConfig(config: ImageConfig): Buffer {
  return Buffer.from(JSON.stringify(config));
}
