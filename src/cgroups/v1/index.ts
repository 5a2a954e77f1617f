import type { Controller } from '../controller.js';
import { blkioV1 } from './blkio.js';
import { cpuV1 } from './cpu.js';
import { cpuacctV1 } from './cpuacct.js';
import { cpusetV1 } from './cpuset.js';
import { devicesV1 } from './devices.js';
import { hugetlbV1 } from './hugetlb.js';
import { memoryV1 } from './memory.js';
import { netClsV1 } from './net-cls.js';
import { netPrioV1 } from './net-prio.js';
import { pidsV1 } from './pids.js';
import { rdmaV1 } from './rdma.js';

/**
 * The cgroup v1 controllers berth sets, in runc's order: cpuset first (a
 * v1 cpuset must be filled in before anything can join it), devices before
 * the rest (the container's device access is its first line of defence).
 * freezer is not here: the manager pauses and thaws, it has no resources.
 */
export const V1_CONTROLLERS: Controller[] = [cpusetV1, devicesV1, memoryV1, cpuV1, cpuacctV1, pidsV1, blkioV1, hugetlbV1, netClsV1, netPrioV1, rdmaV1];
