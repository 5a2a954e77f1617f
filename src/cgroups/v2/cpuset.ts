import type { Controller } from '../controller.js';
import { cpusetV1 } from '../v1/cpuset.js';

/**
 * cgroup v2 cpuset: cpuset.cpus and cpuset.mems, the same files and the
 * same checks as v1. Unlike v1, a new v2 cgroup with empty lists uses its
 * parent's (cpuset.cpus.effective), so no parent set-up is needed.
 */
export const cpusetV2: Controller = cpusetV1;
