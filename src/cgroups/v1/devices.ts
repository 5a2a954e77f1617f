import type { DeviceRule } from '../../spec/oci-resources.js';
import type { Controller } from '../controller.js';
import { checkDeviceRule } from '../device-rules.js';
import { checkSetting, fieldPath } from '../values.js';

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
 * widened (device-rules.ts checks the rules for both cgroup versions).
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
    for (const file of new Set(lines.map((l) => l.file))) checkSetting(dir, file, lines.find((l) => l.file === file)!.field);
    dir.writeAll(lines.map(({ field, file, line }) => ({ name: file, value: line, setting: fieldPath(field) })));
  },

  stats() {
    // nothing counted
  },
};

/** The devices.allow/deny line of one rule, checked. */
function ruleLine(rule: DeviceRule, field: string): { field: string; file: string; line: string } {
  const r = checkDeviceRule(rule, field);
  const file = r.allow ? 'devices.allow' : 'devices.deny';
  if (r.type === 'a') return { field, file, line: 'a' };
  return { field, file, line: `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}` };
}
