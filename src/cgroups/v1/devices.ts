import type { DeviceRule } from '../../spec/oci-resources.js';
import type { Controller } from '../controller.js';
import { badResource, checkRange, writeSetting } from '../values.js';

/**
 * cgroup v1 devices: the spec's rules, in order, each one line written to
 * devices.allow or devices.deny, which the kernel applies one at a time
 * just as the spec reads the list (a later rule overrides an earlier one).
 *
 * A rule of type "a" (all devices; also a rule with no type) is written as
 * a bare "a", which the kernel reads as "all devices, all access" whatever
 * follows it: to devices.deny it empties the allow list and denies by
 * default, to devices.allow it allows everything. Because the kernel
 * ignores the rest of an "a" line, an "a" rule narrowed to a device number
 * or to part of "rwm" cannot mean what it says, and is refused rather than
 * widened; "c *:* r" and "b *:* r" say "every device, read only".
 *
 * Rules are written as given, not diffed against devices.list as runc does
 * on update: a deny-all first rule shuts the container's devices for the
 * instant until its allow rules follow, which only matters to a running
 * container whose device rules change (create writes them before start).
 */
export const devicesV1: Controller = {
  name: 'devices',

  needed(r) {
    return (r.devices ?? []).length > 0;
  },

  apply(dir, r) {
    const lines = (r.devices ?? []).map((rule, i) => ruleLine(rule, `devices[${i}]`));
    for (const { field, file, line } of lines) writeSetting(dir, file, line, field);
  },

  stats() {
    // nothing counted
  },
};

/** The devices.allow/deny line of one rule, checked. */
function ruleLine(rule: DeviceRule, field: string): { field: string; file: string; line: string } {
  const file = rule.allow ? 'devices.allow' : 'devices.deny';
  const type = rule.type ?? 'a';
  if (type !== 'a' && type !== 'c' && type !== 'b') throw badResource(`${field}.type`, `${JSON.stringify(type)} is not a device type`, 'use "a" (all), "c" (character) or "b" (block)');
  const access = rule.access || 'rwm';
  if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) {
    throw badResource(`${field}.access`, `${JSON.stringify(access)} is not a set of r (read), w (write) and m (mknod)`, 'write some of "rwm", each once');
  }
  if (rule.major !== undefined) checkRange(`${field}.major`, rule.major, 0, 0xffff_ffff);
  if (rule.minor !== undefined) checkRange(`${field}.minor`, rule.minor, 0, 0xffff_ffff);
  if (type === 'a') {
    const narrowed = rule.major !== undefined || rule.minor !== undefined ? 'a device number' : access.length < 3 ? `access ${JSON.stringify(access)}` : undefined;
    if (narrowed) {
      const widened = rule.allow ? 'allow every device with all access' : 'deny every device';
      throw badResource(field, `a rule of type "a" (all devices${rule.type ? '' : ', as no type was given'}) cannot be limited to ${narrowed}: the kernel would ${widened}`, 'give type "c" or "b" with the device numbers ("*" when left out), or drop the limit');
    }
    return { field, file, line: 'a' };
  }
  return { field, file, line: `${type} ${rule.major ?? '*'}:${rule.minor ?? '*'} ${access}` };
}
