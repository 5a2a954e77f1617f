import type { LinuxResources } from '../../spec/oci-resources.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import type { BlkioEntry } from '../stats.js';
import { blockIONeeded } from '../v1/blkio.js';
import { badResource, checkRange, deviceNumbers, isSet, writeSetting } from '../values.js';

type BlockIO = NonNullable<LinuxResources['blockIO']>;

/** The spec's throttle lists and the io.max key each becomes. */
const THROTTLE_KEYS = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
] as const;

/**
 * The spec's blkio weight (10-1000) on io.weight's scale (1-10000), runc's
 * and crun's linear map: 10 → 1, 1000 → 10000.
 */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * cgroup v2 io: weights and io.max limits. Weights go to BFQ's
 * io.bfq.weight where the kernel has it, on the spec's own scale (as runc
 * does; BFQ is what honours weights on most disks), else to io.weight
 * (the iocost controller) converted to its 1-10000 scale. v2 has no leaf
 * weights, so those are refused.
 */
export const ioV2: Controller = {
  name: 'io',

  needed(r) {
    return blockIONeeded(r.blockIO);
  },

  apply(dir, r) {
    const b = r.blockIO;
    if (!b) return;
    const weights = weightWrites(dir, b);
    const limits = ioMaxLines(b);
    for (const [file, value, field] of weights) writeSetting(dir, file, value, field, 'proportional weights need the BFQ I/O scheduler or the iocost controller');
    for (const [line, field] of limits) writeSetting(dir, 'io.max', line, field);
  },

  stats(dir, s) {
    const { bytes, ios } = readIoStat(dir);
    s.blkio.ioServiceBytesRecursive = bytes;
    s.blkio.ioServicedRecursive = ios;
  },
};

/** [file, value, field] of each weight write, checked. */
function weightWrites(dir: CgroupDir, b: BlockIO): [string, string | number, string][] {
  if (isSet(b.leafWeight)) throw badResource('blockIO.leafWeight', 'cgroup v2 has no leaf weights', 'leave leafWeight out');
  const bfq = dir.has('io.bfq.weight');
  const out: [string, string | number, string][] = [];
  if (isSet(b.weight)) {
    checkRange('blockIO.weight', b.weight, 10, 1000, "the spec's scale, which berth converts for io.weight");
    out.push(bfq ? ['io.bfq.weight', b.weight, 'blockIO.weight'] : ['io.weight', `default ${blkioToIoWeight(b.weight)}`, 'blockIO.weight']);
  }
  const devices = b.weightDevice ?? [];
  if (!devices.length) return out;
  // BFQ takes per-device weights from Linux 5.4 on; its file then reads
  // "default 100" plus a line per device, where an older one reads just "100".
  const bfqPerDevice = bfq && !/^\d+$/.test(readOr(dir, 'io.bfq.weight', ''));
  devices.forEach((d, i) => {
    const field = `blockIO.weightDevice[${i}]`;
    const id = deviceNumbers(field, d.major, d.minor);
    if (isSet(d.leafWeight)) throw badResource(`${field}.leafWeight`, 'cgroup v2 has no leaf weights', 'leave leafWeight out');
    if (!isSet(d.weight)) return;
    checkRange(`${field}.weight`, d.weight, 10, 1000, "the spec's scale, which berth converts for io.weight");
    if (bfqPerDevice) out.push(['io.bfq.weight', `${id} ${d.weight}`, `${field}.weight`]);
    else out.push(['io.weight', `${id} ${blkioToIoWeight(d.weight)}`, `${field}.weight`]);
  });
  return out;
}

/**
 * One io.max line per device with every limit the spec gives it:
 * "8:0 rbps=1048576 wiops=100". A rate of 0 removes a v1 throttle; v2
 * spells that "max" (it refuses 0), so 0 is written as "max".
 */
function ioMaxLines(b: BlockIO): [string, string][] {
  const byDevice = new Map<string, { parts: string[]; field: string }>();
  for (const [key, token] of THROTTLE_KEYS) {
    (b[key] ?? []).forEach((t, i) => {
      const field = `blockIO.${key}[${i}]`;
      const id = deviceNumbers(field, t.major, t.minor);
      checkRange(`${field}.rate`, t.rate, 0, Number.MAX_SAFE_INTEGER, '0 removes the limit');
      const entry = byDevice.get(id) ?? { parts: [], field: `${field}.rate` };
      entry.parts.push(`${token}=${t.rate === 0 ? 'max' : t.rate}`);
      byDevice.set(id, entry);
    });
  }
  return [...byDevice].map(([id, { parts, field }]) => [`${id} ${parts.join(' ')}`, parts.length > 1 ? `blockIO throttles of device ${id}` : field]);
}

/**
 * io.stat: "8:0 rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…" per
 * device → v1's tables: bytes and operations, Read and Write (runc's
 * mapping; discards have no v1 counterpart).
 */
function readIoStat(dir: CgroupDir): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of readOr(dir, 'io.stat', '').split('\n')) {
    const [id, ...pairs] = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(id ?? '');
    if (!dev) continue;
    const major = Number(dev[1]);
    const minor = Number(dev[2]);
    for (const pair of pairs) {
      const [key, value] = pair.split('=');
      const v = Number(value);
      if (!Number.isFinite(v)) continue;
      if (key === 'rbytes') bytes.push({ major, minor, op: 'Read', value: v });
      else if (key === 'wbytes') bytes.push({ major, minor, op: 'Write', value: v });
      else if (key === 'rios') ios.push({ major, minor, op: 'Read', value: v });
      else if (key === 'wios') ios.push({ major, minor, op: 'Write', value: v });
    }
  }
  return { bytes, ios };
}

function readOr(dir: CgroupDir, file: string, fallback: string): string {
  try {
    return dir.read(file);
  } catch {
    return fallback;
  }
}
