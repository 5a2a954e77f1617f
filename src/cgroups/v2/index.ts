import type { Controller } from '../controller.js';
import { cpuV2 } from './cpu.js';
import { cpusetV2 } from './cpuset.js';
import { hugetlbV2 } from './hugetlb.js';
import { ioV2 } from './io.js';
import { memoryV2 } from './memory.js';
import { pidsV2 } from './pids.js';
import { rdmaV2 } from './rdma.js';

/**
 * The cgroup v2 controllers berth sets, in runc's order. linux.resources.unified
 * is not a controller: the manager applies it last (unified.ts), so that it
 * overrides what these wrote.
 */
export const V2_CONTROLLERS: Controller[] = [pidsV2, memoryV2, ioV2, cpuV2, cpusetV2, hugetlbV2, rdmaV2];

/**
 * Why there is no v2 devices controller here: cgroup v2 has no devices
 * files; a device filter is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE)
 * attached to the cgroup, which the C side will load. Until then the
 * manager refuses device rules on a host without the v1 devices controller.
 */
export const V2_DEVICES_UNSUPPORTED =
  'cgroup v2 filters devices with an eBPF program attached to the cgroup, which berth does not load yet: device rules need the cgroup v1 devices controller';
