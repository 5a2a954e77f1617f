import type { CgroupLayout } from '../cgroups/layout.js';
import type { Logger } from '../lib/logger.js';
import type { HostFacts } from '../sys/host-facts.js';
import type { StateStore } from './state-store.js';

/** What every runtime operation works with. */
export interface RuntimeContext {
  store: StateStore;
  log: Logger;
  host: HostFacts;
  /** The host's cgroup hierarchies, read on first use. */
  cgroupLayout: () => CgroupLayout;
}
