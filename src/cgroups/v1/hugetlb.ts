import type { Controller } from '../controller.js';
import { checkLimit, countOf, hugetlbLimitFile, hugetlbSizes, writeSetting } from '../values.js';

/**
 * cgroup v1 hugetlb: a byte limit per huge page size,
 * hugetlb.<size>.limit_in_bytes. Where the kernel also has the reservation
 * limit (hugetlb.<size>.rsvd.limit_in_bytes, Linux 5.7+), it gets the same
 * value, as runc does: a fault limit alone lets mmap reserve pages that a
 * later fault cannot get, and the task dies with SIGBUS; the reservation
 * limit makes the mmap fail instead.
 */
export const hugetlbV1: Controller = {
  name: 'hugetlb',

  needed(r) {
    return (r.hugepageLimits ?? []).length > 0;
  },

  apply(dir, r) {
    const limits = r.hugepageLimits ?? [];
    const plan = limits.map((h, i) => {
      const field = `hugepageLimits[${i}]`;
      const file = hugetlbLimitFile(dir, `${field}.pageSize`, h.pageSize, 'limit_in_bytes');
      checkLimit(`${field}.limit`, h.limit);
      return { field, file, rsvd: `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, limit: h.limit };
    });
    for (const p of plan) {
      writeSetting(dir, p.file, p.limit, `${p.field}.limit`);
      if (dir.has(p.rsvd)) writeSetting(dir, p.rsvd, p.limit, `${p.field}.limit`);
    }
  },

  /** Per page size; from the reservation counters where the kernel has them (they are what the limit acts on), as runc. */
  stats(dir, s) {
    for (const size of hugetlbSizes(dir, 'limit_in_bytes')) {
      const prefix = dir.has(`hugetlb.${size}.rsvd.usage_in_bytes`) ? `hugetlb.${size}.rsvd` : `hugetlb.${size}`;
      s.hugetlb[size] = {
        usage: countOf(dir, `${prefix}.usage_in_bytes`),
        max: countOf(dir, `${prefix}.max_usage_in_bytes`),
        failcnt: countOf(dir, `${prefix}.failcnt`),
      };
    }
  },
};
