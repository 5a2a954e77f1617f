import { EngineError } from '../../errors/engine-error.js';
import type { LinuxResources } from '../../spec/oci-resources.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import type { MemoryEntry } from '../stats.js';
import { badResource, checkLimit, checkRange, countOf, fieldPath, isSet, memorySettingsGiven, refusal, unsupported, writeSetting } from '../values.js';

type Memory = NonNullable<LinuxResources['memory']>;

const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';
const USAGE = 'memory.usage_in_bytes';
const MEMSW_USAGE = 'memory.memsw.usage_in_bytes';

const NO_SWAP_ACCOUNTING = 'swap accounting is off (the kernel was built without it, or booted with swapaccount=0)';
const SWAP_HINT = 'boot the host with swapaccount=1, or leave memory.swap out';

/**
 * cgroup v1 memory: memory.limit_in_bytes, memory.memsw.limit_in_bytes
 * (memory plus swap, as the spec's swap counts it), soft limit, swappiness,
 * the OOM killer switch. Kernel memory limits (kernel, kernelTCP) are
 * ignored, as runc ignores them: the kernel deprecated them in 5.4 and
 * stopped honouring memory.kmem.limit_in_bytes in 6.0.
 */
export const memoryV1: Controller = {
  name: 'memory',

  needed: memorySettingsGiven,

  apply(dir, r, opts) {
    const m = r.memory;
    if (!m) return;
    check(dir, m);
    if (opts.update && m.checkBeforeUpdate) checkUsage(dir, m);
    setLimits(dir, m);
    if (isSet(m.reservation)) writeSetting(dir, 'memory.soft_limit_in_bytes', m.reservation, 'memory.reservation');
    // Only "on" is written, as runc does: false is the kernel's default.
    if (m.disableOOMKiller === true) writeSetting(dir, 'memory.oom_control', 1, 'memory.disableOOMKiller');
    if (m.swappiness !== undefined && m.swappiness !== -1) writeSetting(dir, 'memory.swappiness', m.swappiness, 'memory.swappiness');
  },

  stats(dir, s) {
    const mem = s.memory;
    mem.usage = entry(dir, 'memory') ?? mem.usage;
    // swap, kmem and kmem.tcp accounting are optional in the kernel: no files, zeros.
    mem.swap = entry(dir, 'memory.memsw') ?? mem.swap;
    mem.kernel = entry(dir, 'memory.kmem') ?? mem.kernel;
    mem.kernelTCP = entry(dir, 'memory.kmem.tcp') ?? mem.kernelTCP;
    mem.raw = dir.readKeyValues('memory.stat');
    // total_* counts the subtree; a container's cgroup has children only if it made them.
    mem.cache = mem.raw['total_cache'] ?? mem.raw['cache'] ?? 0;
  },
};

/** Values first, so that nothing is half-applied when one is wrong. */
function check(dir: CgroupDir, m: Memory): void {
  for (const key of ['limit', 'reservation', 'swap'] as const) {
    const v = m[key];
    if (v !== undefined) checkLimit(`memory.${key}`, v);
  }
  if (m.swappiness !== undefined && m.swappiness !== -1) checkRange('memory.swappiness', m.swappiness, 0, 100, 'the kernel takes 0-100; -1 or leaving it out keeps the inherited value');
  if (isSet(m.limit) && m.limit > 0 && !isSet(m.swap)) {
    // A limit raised above a memsw limit set earlier: the kernel refuses (EINVAL).
    const memsw = dir.readNumber(MEMSW);
    if (memsw !== undefined && !Number.isNaN(memsw) && m.limit > memsw) {
      throw badResource('memory.limit', `${m.limit} is above the memory+swap limit already set (${memsw}), and the kernel needs memory+swap ≥ memory`, 'set memory.swap in the same update (-1 for unlimited swap)');
    }
  }
  if (isSet(m.swap) && m.swap !== -1) {
    // memsw must stay at or above the memory limit; the kernel's EINVAL would not say so.
    const limit = isSet(m.limit) ? m.limit : dir.readNumber(LIMIT);
    // The kernel shows "no limit" as its counter's ceiling, about 2^63.
    if (limit === -1 || (limit !== undefined && limit >= 2 ** 62)) {
      const whose = isSet(m.limit) ? 'memory.limit is -1' : 'the memory limit is unset';
      throw badResource('memory.swap', `${m.swap} limits memory plus swap, but ${whose} (unlimited), and the kernel needs memory+swap ≥ memory`, 'set memory.limit too, at most memory.swap');
    }
    if (limit !== undefined && !Number.isNaN(limit) && m.swap < limit) {
      const whose = isSet(m.limit) ? 'memory.limit' : 'the current memory limit';
      throw badResource('memory.swap', `${m.swap} is below ${whose} ${limit}: swap counts memory plus swap, so it must be at least the limit`, 'raise memory.swap, or -1 for unlimited swap');
    }
  }
}

/**
 * checkBeforeUpdate: refuse, before writing anything, a limit the
 * container already uses more than (runc refuses "limit <= usage"); the
 * kernel would reclaim what it can and then fail with EBUSY, or, for memsw,
 * leave the container at the edge of the OOM killer.
 */
function checkUsage(dir: CgroupDir, m: Memory): void {
  const usage = dir.readNumber(USAGE);
  if (isSet(m.limit) && m.limit > 0 && usage !== undefined && m.limit <= usage) {
    throw badResource('memory.limit', `${m.limit} is at or below the current usage ${usage} (checkBeforeUpdate)`, 'set a limit above what the container uses now');
  }
  const swapUsage = dir.readNumber(MEMSW_USAGE);
  if (isSet(m.swap) && m.swap > 0 && swapUsage !== undefined && m.swap <= swapUsage) {
    throw badResource('memory.swap', `${m.swap} is at or below the current memory+swap usage ${swapUsage} (checkBeforeUpdate)`, 'set a memory+swap limit above what the container uses now');
  }
}

/**
 * The kernel keeps limit_in_bytes ≤ memsw.limit_in_bytes at every moment
 * and refuses (EINVAL) a write that would break it, so the order depends on
 * the direction: when the new memsw is above the current limit (raising),
 * memsw goes first; otherwise (lowering) the limit goes first. runc orders
 * them the same way.
 */
function setLimits(dir: CgroupDir, m: Memory): void {
  const limit = isSet(m.limit) ? m.limit : 0;
  let swap = isSet(m.swap) ? m.swap : 0;
  let swapField = 'memory.swap';
  const hasMemsw = dir.has(MEMSW);
  // An unlimited memory limit with swap unsaid lifts the memsw limit too, or
  // the old memsw limit would still cap memory (runc does the same).
  if (limit === -1 && swap === 0 && hasMemsw) {
    swap = -1;
    swapField = 'memory.limit';
  }
  if (swap !== 0 && !hasMemsw && dir.exists()) {
    // Without swap accounting there is no swap limit to lift: -1 already holds.
    if (swap !== -1) throw unsupported(dir, 'memory.swap', MEMSW, NO_SWAP_ACCOUNTING, SWAP_HINT);
    swap = 0;
  }
  const writeLimit = (): void => {
    if (limit !== 0) writeLimitChecked(dir, limit);
  };
  const writeSwap = (): void => {
    if (swap !== 0) writeSetting(dir, MEMSW, swap, swapField, NO_SWAP_ACCOUNTING, SWAP_HINT);
  };
  if (limit !== 0 && swap !== 0) {
    const current = dir.readNumber(LIMIT) ?? 0;
    if (swap === -1 || current < swap) {
      writeSwap();
      writeLimit();
      return;
    }
  }
  writeLimit();
  writeSwap();
}

/** EBUSY here means the kernel could not reclaim down to the new limit: say how much is in use. */
function writeLimitChecked(dir: CgroupDir, limit: number): void {
  try {
    writeSetting(dir, LIMIT, limit, 'memory.limit');
  } catch (err) {
    if (refusal(err) !== 'EBUSY') throw err;
    const usage = countOf(dir, USAGE);
    const peak = countOf(dir, 'memory.max_usage_in_bytes');
    throw new EngineError('InvalidArgument', 'BAD_RESOURCE', `${fieldPath('memory.limit')}: ${limit} is below what the container uses (${usage} bytes now, ${peak} at most) and the kernel could not reclaim enough`, {
      hint: 'set a higher limit',
      cause: err,
    });
  }
}

/** usage/max/failcnt/limit of memory, memory.memsw, memory.kmem or memory.kmem.tcp; undefined without them. */
function entry(dir: CgroupDir, prefix: string): MemoryEntry | undefined {
  const usage = dir.readNumber(`${prefix}.usage_in_bytes`);
  if (usage === undefined) return undefined;
  return {
    usage,
    max: countOf(dir, `${prefix}.max_usage_in_bytes`),
    failcnt: countOf(dir, `${prefix}.failcnt`),
    limit: countOf(dir, `${prefix}.limit_in_bytes`),
  };
}
