import type { Controller } from '../controller.js';
import { badResource, checkRange, writeSetting } from '../values.js';

/**
 * cgroup v1 net_prio: the priority (SO_PRIORITY) of the container's
 * packets per network interface, one "<ifname> <prio>" line each to
 * net_prio.ifpriomap. The names are those of the interfaces in the
 * container's network namespace; the kernel refuses one it does not know
 * (ENODEV), which the write's error names.
 */
export const netPrioV1: Controller = {
  name: 'net_prio',

  needed(r) {
    return (r.network?.priorities ?? []).length > 0;
  },

  apply(dir, r) {
    const lines = (r.network?.priorities ?? []).map((p, i) => {
      const field = `network.priorities[${i}]`;
      // IFNAMSIZ is 16 with the terminating NUL; a space would split the line
      if (!/^[^\s/]{1,15}$/.test(p.name)) {
        throw badResource(`${field}.name`, `${JSON.stringify(p.name)} is not a network interface name`, 'give an interface name of 1-15 characters, without spaces or "/"');
      }
      checkRange(`${field}.priority`, p.priority, 0, 0xffff_ffff);
      return [`${field}.priority`, `${p.name} ${p.priority}`] as const;
    });
    for (const [field, line] of lines) writeSetting(dir, 'net_prio.ifpriomap', line, field);
  },

  stats() {
    // nothing counted
  },
};
