import type { DeviceRule, LinuxResources } from '../../spec/oci-resources.js';

/**
 * Devices every container may use whatever its rules say, appended after
 * them as runc does (its AllowedDevices): making any device node (the
 * devices the container gets are made before the rules apply), and the
 * nodes a container cannot work without.
 */
const ALWAYS_ALLOWED: DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts/*
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
];

/** The resources with the always-allowed devices after the config's own rules, when it has rules. */
export function withDefaultDeviceRules(r: LinuxResources | undefined): LinuxResources | undefined {
  if (!r?.devices?.length) return r;
  return { ...r, devices: [...r.devices, ...ALWAYS_ALLOWED] };
}
