import type { Controller } from '../controller.js';
import { checkRange, countOf, writeSetting } from '../values.js';

/**
 * pids, v1 (and v2, whose files are the same): the number of tasks
 * (processes and threads) the container may have. As runc: a limit of 0 or
 * below means no limit, "max".
 */
export const pidsV1: Controller = {
  name: 'pids',

  needed(r) {
    return r.pids !== undefined;
  },

  apply(dir, r) {
    if (!r.pids) return;
    const limit = r.pids.limit;
    checkRange('pids.limit', limit, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    writeSetting(dir, 'pids.max', limit > 0 ? limit : 'max', 'pids.limit');
  },

  stats(dir, s) {
    s.pids.current = countOf(dir, 'pids.current');
    // "max" reads as -1; runc reports no limit as 0
    s.pids.limit = Math.max(countOf(dir, 'pids.max'), 0);
  },
};
