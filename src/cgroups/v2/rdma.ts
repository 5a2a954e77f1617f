import type { Controller } from '../controller.js';
import { rdmaV1 } from '../v1/rdma.js';

/** cgroup v2 rdma: rdma.max lines per device, the same file as v1. */
export const rdmaV2: Controller = rdmaV1;
