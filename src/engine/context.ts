import type { ImageService } from '../image/service.js';
import type { Logger } from '../lib/logger.js';
import type { RuntimeContext } from '../runtime/context.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { ContainerStore } from './store.js';

/** What every engine operation works with; berthd builds one (daemon/). */
export interface EngineContext {
  /** /var/lib/berth: containers/, volumes/, the image stores */
  dataRoot: string;
  /** /run/berth: bundles, shim sockets, the runtime's state (gone at reboot, as the containers are) */
  runRoot: string;
  containers: ContainerStore;
  images: ImageService;
  snapshots: Snapshotter;
  /** the in-process runtime's context (state under runRoot/runtime) */
  runtime: RuntimeContext;
  log: Logger;
  /** build/Release/berth-shim and berth-reaper */
  shimPath: string;
  reaperPath: string;
  /** the engine's version, for inspect and events */
  version: string;
}

/**
 * Per-container directory under the run root: the bundle and the shim's
 * sockets. Named by the ID's first 16 hex digits, because a unix socket's
 * path must fit in 107 bytes and berth-init and clients connect to these
 * by path (a full ID under a test's temp root does not fit). Create makes
 * sure no two containers share the prefix.
 */
export const RUN_DIR_ID_LENGTH = 16;
export const runDirOf = (ctx: EngineContext, id: string): string => `${ctx.runRoot}/c/${id.slice(0, RUN_DIR_ID_LENGTH)}`;
