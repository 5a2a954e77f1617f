/**
 * What a snapshotter is (containerd's model, on Docker's layout): a store of
 * filesystem trees keyed by name, each either
 *
 *   committed — read-only, made by unpacking a layer (named by its chain ID)
 *               or by committing an active snapshot; a parent of others;
 *   active    — read-write, over a committed parent (a container's init
 *               layer while it is written, then its read-write layer);
 *   view      — a read-only window onto a committed snapshot (export).
 *
 * Lifecycle: applyLayer (committed) → prepare (active) → write through
 * mounts → commit (committed) or remove. A snapshot with children cannot be
 * removed. Snapshotters never mount anything themselves: they return the
 * mounts as data (plan, then apply); src/sys performs them.
 *
 * A container is two snapshots over its image's top layer: an init layer
 * (prepared, given empty /etc/hosts, /etc/resolv.conf, /etc/hostname and
 * the mount points, then committed) and `<id>` (active, its read-write
 * layer). Committing a container is diff(`<id>`): the init layer is its
 * parent, so its files never reach an image. The init layer is the
 * container's own (`<id>-init`) when it has volume mount points to make,
 * else one per image shared by its containers (imageInitKey).
 */
import type { Readable } from 'node:stream';

/**
 * The init layer the containers of an image without volume mount points
 * share, committed over the image's top layer (chain ID). It goes with
 * the image's layers, once no container is over it.
 */
export const imageInitKey = (topChainId: string): string => `${topChainId}-init`;

/** A mount to perform, as mount(2) takes it (options as in mount(8) -o). */
export interface Mount {
  type: 'overlay' | 'bind';
  source: string;
  options: string[];
}

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  /** Committed layers: their chain ID (`sha256:…`); others: the caller's key. */
  key: string;
  kind: SnapshotKind;
  /** The committed snapshot this one is over, if any. */
  parent?: string | undefined;
  /** ISO 8601. */
  created: string;
}

export interface DiffOptions {
  /** Container paths whose contents stay out of the tar (volumes); the paths themselves stay, empty. */
  excludeContentsOf?: string[];
}

export interface Snapshotter {
  /** Docker's names for the two drivers: `docker info` shows them. */
  readonly driver: 'overlay2' | 'vfs';

  stat(key: string): SnapshotInfo | undefined;
  list(): SnapshotInfo[];

  /**
   * Unpacks a layer (an uncompressed tar, whiteouts in tar form) as the
   * committed snapshot `key` (its chain ID) over `parent`. When `key`
   * exists already the input is not read (nor closed: its owner closes
   * it) and the existing one is returned: layers shared by images are
   * stored once. Atomic: a failure leaves no snapshot and no partial
   * directory.
   */
  applyLayer(key: string, parent: string | undefined, tar: AsyncIterable<Uint8Array>): Promise<SnapshotInfo>;

  /**
   * A new active snapshot over committed `parent` (none: empty): the mounts
   * that show it. A `volatile` one (a `--rm` container's) is registered
   * without an fsync: a power cut may lose it, as it loses the container.
   */
  prepare(key: string, parent: string | undefined, opts?: { volatile?: boolean }): Mount[];
  /** A new read-only view of committed `parent`. */
  view(key: string, parent: string): Mount[];
  /** The mounts of an existing active snapshot or view. */
  mounts(key: string): Mount[];
  /**
   * Active `key` becomes committed `name`; `key` is gone afterwards — unless
   * `name` is `key`: a container's init layer is committed under its own key.
   * The snapshot must not be mounted.
   */
  commit(name: string, key: string): SnapshotInfo;
  /** The changes of active `key` over its parent, as a deterministic layer tar. */
  diff(key: string, options?: DiffOptions): Readable;
  /** Removes a snapshot that has no children. */
  remove(key: string): void;
  /** Resolves once removed snapshots' trees are gone from disk: remove() deletes them in the background. */
  removalsSettled(): Promise<void>;
  /** Bytes used by the snapshot's own files (not its parents'). */
  usage(key: string): number;
  /**
   * What `docker image inspect` shows as GraphDriver.Data for a committed
   * snapshot (overlay2: LowerDir, MergedDir, UpperDir, WorkDir); null where
   * the driver has none (vfs, as Docker's).
   */
  graphDriverData?(key: string): Record<string, string> | null;
}
