import type { LinuxResources } from '../../spec/oci-resources.js';
import type { CgroupDir } from '../../sys/cgroupfs.js';
import type { Controller } from '../controller.js';
import type { MemoryEntry } from '../stats.js';
import { badResource, bytesOf, checkLimit, countOf, isSet, memorySettingsGiven, UNLIMITED_BYTES, writeSetting } from '../values.js';

type Memory = NonNullable<LinuxResources['memory']>;

/**
 * cgroup v2 memory: memory.max (limit), memory.low (reservation) and
 * memory.swap.max. The spec's swap counts memory plus swap (v1's memsw);
 * v2 limits swap alone, so swap.max = swap - limit, as runc converts.
 * v2 has no swappiness and no OOM-killer switch per cgroup: asking for
 * either is an error, not a silent no-op. Kernel memory is ignored, as in
 * v1 (v2 always counts it within memory.max).
 */
export const memoryV2: Controller = {
  name: 'memory',

  needed: memorySettingsGiven,

  apply(dir, r, opts) {
    const m = r.memory;
    if (!m) return;
    for (const key of ['limit', 'reservation', 'swap'] as const) {
      const v = m[key];
      if (v !== undefined) checkLimit(`memory.${key}`, v);
    }
    if (m.swappiness !== undefined && m.swappiness !== -1) {
      throw badResource('memory.swappiness', `${m.swappiness}: cgroup v2 has no per-cgroup swappiness`, 'leave memory.swappiness out (or -1); the host-wide vm.swappiness applies');
    }
    if (m.disableOOMKiller === true) {
      throw badResource('memory.disableOOMKiller', 'cgroup v2 cannot turn the OOM killer off for a cgroup', 'leave disableOOMKiller out or false');
    }
    const swap = swapMax(m);
    if (opts.update && m.checkBeforeUpdate) checkUsage(dir, m);

    // v2's files do not bound each other as v1's memsw and limit do, so any
    // order is accepted; swap goes first as in runc.
    if (swap !== undefined) {
      if (dir.has('memory.swap.max') || !dir.exists()) writeSetting(dir, 'memory.swap.max', swap, 'memory.swap');
      // No swap accounting: nothing swaps, so "max" and "0" already hold.
      else if (swap !== 'max' && swap !== 0) writeSetting(dir, 'memory.swap.max', swap, 'memory.swap', 'swap accounting is off (kernel built without CONFIG_MEMCG_SWAP, or booted with swapaccount=0)');
    }
    if (isSet(m.limit)) writeSetting(dir, 'memory.max', m.limit === -1 ? 'max' : m.limit, 'memory.limit');
    if (isSet(m.reservation)) writeSetting(dir, 'memory.low', m.reservation === -1 ? 'max' : m.reservation, 'memory.reservation');
  },

  stats(dir, s) {
    const mem = s.memory;
    mem.raw = dir.readKeyValues('memory.stat');
    mem.cache = mem.raw['file'] ?? 0;
    if (dir.readNumber('memory.current') === undefined) return;
    mem.usage = {
      usage: countOf(dir, 'memory.current'),
      limit: bytesOf(dir, 'memory.max'),
      // memory.peak: Linux 5.19+
      max: countOf(dir, 'memory.peak'),
      // v1's failcnt counts the times usage hit the limit; v2's nearest is the
      // "max" event (usage about to go over memory.max). oom_kill is another
      // count, which the manager reads for OOM events.
      failcnt: dir.readKeyValues('memory.events')['max'] ?? 0,
    };
    mem.swap = swapEntry(dir, mem.usage);
    // v2 has no kernel-memory limits, but memory.stat says what the kernel
    // uses: "kernel" (Linux 5.18+) and "sock" for TCP buffers.
    mem.kernel = { ...mem.kernel, usage: mem.raw['kernel'] ?? 0 };
    mem.kernelTCP = { ...mem.kernelTCP, usage: mem.raw['sock'] ?? 0 };
  },
};

/**
 * The spec's memory+swap as memory.swap.max (runc's
 * ConvertMemorySwapToCgroupV2Value): undefined = leave it; -1 = "max";
 * swap == limit = 0 (no swap); otherwise swap - limit. An unlimited memory
 * limit with swap unsaid lifts swap too, as v1's memsw follows.
 */
function swapMax(m: Memory): string | number | undefined {
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  if (limit === -1 && swap === 0) return 'max';
  if (swap === 0) return undefined;
  if (swap === -1) return 'max';
  if (limit === 0 || limit === -1) {
    throw badResource('memory.swap', `${swap} limits memory plus swap, which cgroup v2 can only turn into a swap limit with a memory limit, and memory.limit is ${limit === 0 ? 'not set' : '-1 (unlimited)'}`, 'set memory.limit too, at most memory.swap');
  }
  if (swap < limit) {
    throw badResource('memory.swap', `${swap} is below memory.limit ${limit}: swap counts memory plus swap, so it must be at least the limit`, 'raise memory.swap to at least memory.limit, or -1 for unlimited swap');
  }
  return swap - limit;
}

/** checkBeforeUpdate, as runc's CheckMemoryUsage: refuse a limit at or below current usage (memory+swap for swap). */
function checkUsage(dir: CgroupDir, m: Memory): void {
  const usage = dir.readNumber('memory.current');
  if (usage === undefined) return; // best effort, as runc: nothing to compare with
  if (isSet(m.limit) && m.limit > 0 && m.limit <= usage) {
    throw badResource('memory.limit', `${m.limit} is at or below the current usage ${usage} (checkBeforeUpdate)`, 'set a limit above what the container uses now');
  }
  const total = usage + countOf(dir, 'memory.swap.current');
  if (isSet(m.swap) && m.swap > 0 && m.swap <= total) {
    throw badResource('memory.swap', `${m.swap} is at or below the current memory+swap usage ${total} (checkBeforeUpdate)`, 'set a memory+swap limit above what the container uses now');
  }
}

/**
 * The swap entry in v1's terms, as runc reports it on v2: memory plus swap
 * (usage and limit added up), no peak (the two peaks need not coincide).
 * Without swap accounting, zeros.
 */
function swapEntry(dir: CgroupDir, memory: MemoryEntry): MemoryEntry {
  const swapUsage = dir.readNumber('memory.swap.current');
  if (swapUsage === undefined) return { usage: 0, limit: 0, max: 0, failcnt: 0 };
  const swapLimit = bytesOf(dir, 'memory.swap.max');
  const unlimited = swapLimit === UNLIMITED_BYTES || memory.limit === UNLIMITED_BYTES;
  return {
    usage: swapUsage + memory.usage,
    limit: unlimited ? UNLIMITED_BYTES : swapLimit + memory.limit,
    max: 0,
    failcnt: dir.readKeyValues('memory.swap.events')['max'] ?? 0,
  };
}
