import { EngineError } from '../../errors/engine-error.js';
import type { DeviceRule } from '../../spec/oci-resources.js';
import type { Device } from '../../spec/oci-runtime.js';
import type { SpecHost } from './input.js';
import type { HostConfig } from './types.js';

/**
 * linux.devices and the device cgroup rules as dockerd 20.10 sets them
 * (daemon/oci_linux.go WithDevices, oci/devices_linux.go). The nodes every
 * container needs (null, zero, full, random, urandom, tty, ptmx) are not
 * listed: the runtime makes them, as runc does.
 */

/**
 * Docker's default rules (moby's oci.DefaultLinuxSpec): deny everything,
 * allow zero, null, urandom, random, tty and console, deny fuse. The
 * runtime appends the devices every container may always use
 * (runtime/config/default-device-rules.ts).
 */
export function dockerDefaultDeviceRules(): DeviceRule[] {
  const allow = (major: number, minor: number): DeviceRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [{ allow: false, access: 'rwm' }, allow(1, 5), allow(1, 3), allow(1, 9), allow(1, 8), allow(5, 0), allow(5, 1), { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }];
}

const CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/**
 * --device-cgroup-rule "c 42:* rmw" → a rule; "*" is any number, written
 * as no number (dockerd writes -1, which runtimes read the same way).
 */
export function parseDeviceCgroupRule(text: string): DeviceRule {
  const m = CGROUP_RULE.exec(text);
  if (!m) {
    throw new EngineError('InvalidArgument', 'BAD_DEVICE_CGROUP_RULE', `invalid device cgroup rule format: '${text}'`, { hint: 'write "<type> <major>:<minor> <access>", e.g. "c 42:* rmw"' });
  }
  const rule: DeviceRule = { allow: true, type: m[1] as 'a' | 'c' | 'b' };
  if (m[2] !== '*') rule.major = Number(m[2]);
  if (m[3] !== '*') rule.minor = Number(m[3]);
  rule.access = m[4]!;
  return rule;
}

/**
 * --device host[:container[:perms]]: the node (or every node under a
 * directory) given the container path, and a cgroup rule allowing each.
 */
export function devicesFromPath(host: Pick<SpecHost, 'devicesAt'>, onHost: string, inContainer: string, permissions: string): { devices: Device[]; rules: DeviceRule[] } {
  const { resolved, devices } = host.devicesAt(onHost);
  if (devices.length === 0) {
    throw new EngineError('InvalidArgument', 'NO_SUCH_DEVICE', `error gathering device information while adding custom device ${JSON.stringify(onHost)}: no device node there`, {
      hint: 'give the path of a device node (or a directory of them) on the host',
    });
  }
  const out: Device[] = [];
  const rules: DeviceRule[] = [];
  for (const d of devices) {
    const path = d.path === resolved ? inContainer : d.path.startsWith(`${resolved}/`) ? inContainer + d.path.slice(resolved.length) : d.path;
    out.push({ ...d, path });
    if (d.type === 'c' || d.type === 'b') rules.push({ allow: true, type: d.type, major: d.major ?? 0, minor: d.minor ?? 0, access: permissions });
  }
  return { devices: out, rules };
}

export interface DevicesResult {
  devices: Device[];
  rules: DeviceRule[];
}

/**
 * Non-privileged: the --device nodes, Docker's rules plus one per node,
 * then --device-cgroup-rule. Privileged: every host device, the --device
 * nodes whose path differs, and one rule allowing everything; custom
 * permissions are ignored then, with a warning (dockerd logs them).
 */
export function buildDevices(hc: HostConfig, host: Pick<SpecHost, 'devicesAt' | 'hostDevices'>, warnings: string[]): DevicesResult {
  const mappings = hc.Devices ?? [];
  if (hc.Privileged) {
    const devices = host.hostDevices();
    for (const m of mappings) {
      const perms = m.CgroupPermissions || 'rwm';
      if (perms !== 'rwm') warnings.push(`custom ${perms} permissions for device ${m.PathOnHost} are ignored in privileged mode`);
      if (m.PathOnHost === m.PathInContainer) {
        warnings.push(`path in container ${m.PathInContainer} already exists in privileged mode`);
        continue;
      }
      devices.push(...devicesFromPath(host, m.PathOnHost, m.PathInContainer || m.PathOnHost, 'rwm').devices);
    }
    return { devices, rules: [{ allow: true, access: 'rwm' }] };
  }
  const devices: Device[] = [];
  const rules = dockerDefaultDeviceRules();
  for (const m of mappings) {
    const found = devicesFromPath(host, m.PathOnHost, m.PathInContainer || m.PathOnHost, m.CgroupPermissions || 'rwm');
    devices.push(...found.devices);
    rules.push(...found.rules);
  }
  for (const text of hc.DeviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(text));
  return { devices, rules };
}
