import type { Controller } from '../controller.js';
import { checkLimit, countOf, hugetlbLimitFile, hugetlbSizes, writeSetting } from '../values.js';

/**
 * cgroup v2 hugetlb: hugetlb.<size>.max per page size, and the same value
 * to hugetlb.<size>.rsvd.max where the kernel has it (5.7+), as runc does:
 * the reservation limit makes an over-limit mmap fail up front, where the
 * fault limit alone would SIGBUS the task at its first touch of the page.
 */
export const hugetlbV2: Controller = {
  name: 'hugetlb',

  needed(r) {
    return (r.hugepageLimits ?? []).length > 0;
  },

  apply(dir, r) {
    const plan = (r.hugepageLimits ?? []).map((h, i) => {
      const field = `hugepageLimits[${i}]`;
      const file = hugetlbLimitFile(dir, `${field}.pageSize`, h.pageSize, 'max');
      checkLimit(`${field}.limit`, h.limit);
      return { field, file, rsvd: `hugetlb.${h.pageSize}.rsvd.max`, value: h.limit === -1 ? 'max' : String(h.limit) };
    });
    for (const p of plan) {
      writeSetting(dir, p.file, p.value, `${p.field}.limit`);
      if (dir.has(p.rsvd)) writeSetting(dir, p.rsvd, p.value, `${p.field}.limit`);
    }
  },

  /**
   * usage from hugetlb.<size>.current (the reservation counter where there
   * is one, as runc), failcnt from the "max" count of hugetlb.<size>.events.
   * v2 keeps no peak, so max stays 0.
   */
  stats(dir, s) {
    for (const size of hugetlbSizes(dir, 'max')) {
      const current = dir.has(`hugetlb.${size}.rsvd.current`) ? `hugetlb.${size}.rsvd.current` : `hugetlb.${size}.current`;
      s.hugetlb[size] = {
        usage: countOf(dir, current),
        max: 0,
        failcnt: dir.readKeyValues(`hugetlb.${size}.events`)['max'] ?? 0,
      };
    }
  },
};
