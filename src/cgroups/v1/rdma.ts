import type { LinuxResources } from '../../spec/oci-resources.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import { badResource, checkRange, writeSetting } from '../values.js';

/** Whether r limits any RDMA device; shared with v2, whose rdma files are the same. */
export function rdmaNeeded(r: LinuxResources): boolean {
  return Object.keys(r.rdma ?? {}).length > 0;
}

/**
 * One "<device> hca_handle=<n> hca_object=<n>" line per device to rdma.max
 * (a limit left out stays as it was). Same in v1 and v2.
 */
export function applyRdma(dir: CgroupDir, r: LinuxResources): void {
  const lines = Object.entries(r.rdma ?? {}).map(([device, limits]) => {
    const field = `rdma[${JSON.stringify(device)}]`;
    if (!/^[^\s=]+$/.test(device)) throw badResource(field, `${JSON.stringify(device)} is not an RDMA device name`, 'use the name under /sys/class/infiniband, such as "mlx5_0"');
    let line = device;
    if (limits.hcaHandles !== undefined) {
      checkRange(`${field}.hcaHandles`, limits.hcaHandles, 0, 0x7fff_ffff);
      line += ` hca_handle=${limits.hcaHandles}`;
    }
    if (limits.hcaObjects !== undefined) {
      checkRange(`${field}.hcaObjects`, limits.hcaObjects, 0, 0x7fff_ffff);
      line += ` hca_object=${limits.hcaObjects}`;
    }
    if (line === device) throw badResource(field, 'sets neither hcaHandles nor hcaObjects', 'give at least one limit, or leave the device out');
    return [field, line] as const;
  });
  for (const [field, line] of lines) writeSetting(dir, 'rdma.max', line, field);
}

/** cgroup v1 rdma: HCA handle and object limits per device (runc's stats shape has no rdma part). */
export const rdmaV1: Controller = {
  name: 'rdma',
  needed: rdmaNeeded,
  apply: applyRdma,
  stats() {
    // not in the stats shape
  },
};
