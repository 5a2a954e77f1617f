import type { Controller } from '../controller.js';
import { cpuV2 } from './cpu.js';
import { cpusetV2 } from './cpuset.js';
import { devicesV2 } from './devices.js';
import { hugetlbV2 } from './hugetlb.js';
import { ioV2 } from './io.js';
import { memoryV2 } from './memory.js';
import { pidsV2 } from './pids.js';
import { rdmaV2 } from './rdma.js';

/**
 * The cgroup v2 controllers berth sets, in runc's order (devices is the
 * eBPF device filter, which the kernel does not list as a controller).
 * linux.resources.unified is not a controller: the manager applies it last
 * (unified.ts), so that it overrides what these wrote.
 */
export const V2_CONTROLLERS: Controller[] = [pidsV2, memoryV2, ioV2, cpuV2, devicesV2, cpusetV2, hugetlbV2, rdmaV2];
