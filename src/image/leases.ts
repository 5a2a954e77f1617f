import type { Digest } from '../lib/digest.js';

/**
 * Leases (containerd's word): what an operation under way holds in the
 * content store and the snapshotter before any image record names it. A
 * load spools blobs and unpacks layers for seconds before it registers the
 * image; meanwhile an rmi or a prune removing "unreferenced" blobs and
 * snapshots must not take them, and a failing load must not clean up a
 * layer another load is about to use. Removal skips whatever any open
 * lease holds. In-process only: berth runs image operations in one process
 * (the daemon, or the one CLI command).
 */
export class Lease {
  readonly blobs = new Set<Digest>();
  readonly snapshots = new Set<string>();

  constructor(private readonly onRelease: (lease: Lease) => void) {}

  release(): void {
    this.onRelease(this);
  }
}

export class Leases {
  private readonly open = new Set<Lease>();

  create(): Lease {
    const lease = new Lease((l) => this.open.delete(l));
    this.open.add(lease);
    return lease;
  }

  /** True when an open lease other than `except` holds the blob. */
  holdsBlob(digest: Digest, except?: Lease): boolean {
    for (const l of this.open) if (l !== except && l.blobs.has(digest)) return true;
    return false;
  }

  holdsSnapshot(key: string, except?: Lease): boolean {
    for (const l of this.open) if (l !== except && l.snapshots.has(key)) return true;
    return false;
  }
}
