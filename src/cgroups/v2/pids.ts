import type { Controller } from '../controller.js';
import { pidsV1 } from '../v1/pids.js';

/** cgroup v2 pids: pids.max and pids.current, the same files as v1. */
export const pidsV2: Controller = pidsV1;
