import type { DeviceRule } from '../spec/oci-resources.js';
import { badResource, checkRange } from './values.js';

/** A device rule with its defaults filled in and its values checked. */
export interface CheckedDeviceRule {
  allow: boolean;
  /** "a": every device, whatever its type and numbers. */
  type: 'a' | 'c' | 'b';
  /** undefined: any ("*"). */
  major: number | undefined;
  minor: number | undefined;
  /** Some of "rwm", each once. */
  access: string;
}

/**
 * Checks one rule of linux.resources.devices as both cgroup versions read
 * it: no type means "a", no access means "rwm", no number means any.
 *
 * A rule of type "a" is refused when narrowed to a device number or to part
 * of "rwm". The v1 kernel reads a bare "a" whatever follows it (every
 * device, all access), and runc's v2 filter widens such a rule the same
 * way; the eBPF filter could honour the narrowing, but then one config
 * would mean something else on a v1 host. Refusing it keeps a rule's
 * meaning the same everywhere; "c *:* r" and "b *:* r" say "every device,
 * read only". `field` is the rule's path under linux.resources ("devices[2]").
 */
export function checkDeviceRule(rule: DeviceRule, field: string): CheckedDeviceRule {
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
    return { allow: rule.allow, type, major: undefined, minor: undefined, access: 'rwm' };
  }
  return { allow: rule.allow, type, major: rule.major, minor: rule.minor, access };
}

/** Every rule checked, in order (none is used when one is wrong). */
export function checkDeviceRules(rules: DeviceRule[]): CheckedDeviceRule[] {
  return rules.map((rule, i) => checkDeviceRule(rule, `devices[${i}]`));
}
