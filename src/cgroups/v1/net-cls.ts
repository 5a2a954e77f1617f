import type { Controller } from '../controller.js';
import { checkRange, isSet, writeSetting } from '../values.js';

/**
 * cgroup v1 net_cls: the class id the container's packets carry, for tc
 * filters and iptables' cgroup match (0xAAAABBBB: major AAAA, minor BBBB).
 * As runc: 0 is the spec's zero value, left alone. cgroup v2 has no
 * counterpart (iptables/nft match v2 cgroup paths instead).
 */
export const netClsV1: Controller = {
  name: 'net_cls',

  needed(r) {
    return isSet(r.network?.classID);
  },

  apply(dir, r) {
    const id = r.network?.classID;
    if (!isSet(id)) return;
    checkRange('network.classID', id, 0, 0xffff_ffff, 'a 32-bit class id, 0xAAAABBBB');
    writeSetting(dir, 'net_cls.classid', id, 'network.classID');
  },

  stats() {
    // nothing counted
  },
};
