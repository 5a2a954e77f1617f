import type { Controller } from '../controller.js';
import { countOf } from '../values.js';

/**
 * USER_HZ: the unit of cpuacct.stat. The kernel exports clock ticks to user
 * space at a fixed 100 per second whatever its internal HZ (it is what
 * sysconf(_SC_CLK_TCK) returns on every Linux architecture berth runs on).
 */
const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

/**
 * cgroup v1 cpuacct: statistics only (usage in total, per CPU, user and
 * system). It has nothing to set, so it is never needed; where it shares a
 * hierarchy with cpu (cpu,cpuacct) both read the same directory.
 */
export const cpuacctV1: Controller = {
  name: 'cpuacct',

  needed() {
    return false;
  },

  apply() {
    // nothing to set: cpuacct only counts
  },

  stats(dir, s) {
    const usage = s.cpu.usage;
    usage.total = countOf(dir, 'cpuacct.usage');
    try {
      usage.percpu = dir.read('cpuacct.usage_percpu').split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // no file: leave the list empty
    }
    // user/system come in ticks; runc reports nanoseconds
    const st = dir.readKeyValues('cpuacct.stat');
    usage.user = (st['user'] ?? 0) * NS_PER_TICK;
    usage.kernel = (st['system'] ?? 0) * NS_PER_TICK;
  },
};
