import type { LinuxResources, ThrottleDevice } from '../../spec/oci-resources.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import type { BlkioEntry } from '../stats.js';
import { checkRange, deviceNumbers, isSet, writeSetting } from '../values.js';

type BlockIO = NonNullable<LinuxResources['blockIO']>;

/** The four throttle lists and the v1 file each goes to. */
export const THROTTLES = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
] as const;

const NO_LEAF = 'leaf weights were a feature of the CFQ I/O scheduler, which Linux 5.0 removed';

/** Whether blockIO sets anything (a weight, a per-device weight, a throttle); shared with v2 io. */
export function blockIONeeded(b: BlockIO | undefined): boolean {
  if (!b) return false;
  return (
    isSet(b.weight) ||
    isSet(b.leafWeight) ||
    (b.weightDevice ?? []).some((d) => isSet(d.weight) || isSet(d.leafWeight)) ||
    THROTTLES.some(([key]) => (b[key] ?? []).length > 0)
  );
}

/**
 * cgroup v1 blkio: proportional weights and throttles. Weights go to CFQ's
 * blkio.weight where the kernel has it (before 5.0), else to BFQ's
 * blkio.bfq.weight (what a current kernel with BFQ offers); both take the
 * spec's 10-1000 scale (BFQ goes down to 1). Throttles are the block
 * layer's own and work under any scheduler.
 */
export const blkioV1: Controller = {
  name: 'blkio',

  needed(r) {
    return blockIONeeded(r.blockIO);
  },

  apply(dir, r) {
    const b = r.blockIO;
    if (!b) return;
    const cfq = dir.has('blkio.weight') || !dir.has('blkio.bfq.weight');
    const weightFile = cfq ? 'blkio.weight' : 'blkio.bfq.weight';
    const weightDeviceFile = cfq ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
    const noWeight = 'proportional weights need the CFQ or BFQ I/O scheduler';
    // Check everything first, so that a bad value leaves nothing half-set.
    const checkWeight = (field: string, w: number | undefined): void => {
      if (isSet(w)) checkRange(field, w, cfq ? 10 : 1, 1000, cfq ? 'CFQ weights' : 'BFQ weights');
    };
    checkWeight('blockIO.weight', b.weight);
    checkWeight('blockIO.leafWeight', b.leafWeight);
    const devices = (b.weightDevice ?? []).map((d, i) => {
      const field = `blockIO.weightDevice[${i}]`;
      checkWeight(`${field}.weight`, d.weight);
      checkWeight(`${field}.leafWeight`, d.leafWeight);
      return { field, id: deviceNumbers(field, d.major, d.minor), weight: d.weight, leafWeight: d.leafWeight };
    });
    const throttles = THROTTLES.map(([key, file]) => ({ file, lines: throttleLines(`blockIO.${key}`, b[key]) }));

    if (isSet(b.weight)) writeSetting(dir, weightFile, b.weight, 'blockIO.weight', noWeight);
    if (isSet(b.leafWeight)) writeSetting(dir, 'blkio.leaf_weight', b.leafWeight, 'blockIO.leafWeight', NO_LEAF);
    for (const d of devices) {
      if (isSet(d.weight)) writeSetting(dir, weightDeviceFile, `${d.id} ${d.weight}`, `${d.field}.weight`, noWeight);
      if (isSet(d.leafWeight)) writeSetting(dir, 'blkio.leaf_weight_device', `${d.id} ${d.leafWeight}`, `${d.field}.leafWeight`, NO_LEAF);
    }
    // One line per write: the kernel parses one "maj:min rate" rule at a time.
    // A rate of 0 removes the device's rule.
    for (const t of throttles) for (const [field, line] of t.lines) writeSetting(dir, t.file, line, field);
  },

  /**
   * Bytes and operations per device. The throttle counters are kept by the
   * block layer for every device whatever its scheduler, so they come first;
   * BFQ's (only devices BFQ schedules) stand in when a kernel lacks them.
   * runc prefers BFQ's; both have the same layout.
   */
  stats(dir, s) {
    const pick = (name: string): BlkioEntry[] => readBlkioFile(dir, `blkio.throttle.${name}`) ?? readBlkioFile(dir, `blkio.bfq.${name}`) ?? [];
    s.blkio.ioServiceBytesRecursive = pick('io_service_bytes_recursive');
    s.blkio.ioServicedRecursive = pick('io_serviced_recursive');
  },
};

/** [field, "maj:min rate"] of each throttle, checked. */
function throttleLines(field: string, list: ThrottleDevice[] | undefined): [string, string][] {
  return (list ?? []).map((t, i) => {
    const f = `${field}[${i}]`;
    const id = deviceNumbers(f, t.major, t.minor);
    checkRange(`${f}.rate`, t.rate, 0, Number.MAX_SAFE_INTEGER, '0 removes the limit');
    return [`${f}.rate`, `${id} ${t.rate}`];
  });
}

/**
 * "8:0 Read 4096" lines → entries; the closing "Total 12288" (no device)
 * is dropped, the per-device "Total" op kept, as runc reports them.
 * undefined when the file is missing.
 */
function readBlkioFile(dir: CgroupDir, file: string): BlkioEntry[] | undefined {
  let text: string;
  try {
    text = dir.read(file);
  } catch {
    return undefined;
  }
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+)\s+(\S+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}
