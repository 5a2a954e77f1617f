import type { Device } from '../../spec/oci-runtime.js';
import type { SpecHost, SpecInput } from './input.js';

/** For tests: a host with the nodes below, every sysctl, a 6.1 kernel, cgroup v1, and no limit clamping unless given. */
export const FAKE_DEVICES: Device[] = [
  { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 },
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/net/tun', type: 'c', major: 10, minor: 200, fileMode: 0o600, uid: 0, gid: 0 },
  { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
];

export function fakeHost(over: Partial<SpecHost> = {}): SpecHost {
  return {
    kernelRelease: '6.1.0-18-amd64',
    cgroupV2: false,
    sysctlExists: () => true,
    devicesAt: (path) => {
      const resolved = path === '/dev/disk0' ? '/dev/sda' : path;
      return { resolved, devices: FAKE_DEVICES.filter((d) => d.path === resolved || d.path.startsWith(`${resolved}/`)).map((d) => ({ ...d })) };
    },
    hostDevices: () => FAKE_DEVICES.map((d) => ({ ...d })),
    ...over,
  };
}

export const ID = '9a1cb0992936a853174cdf97cdd31a2d71a840c5d668ee70012f365e64fb456a';

/** A minimal SpecInput: `sleep 1000` as root, the three /etc files, no mounts. */
export function baseInput(over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: ID,
    config: { Hostname: ID.slice(0, 12), Cmd: ['sleep', '1000'], Image: 'busybox' },
    hostConfig: { NetworkMode: 'default' },
    rootfs: '/var/lib/berth/rootfs',
    mounts: [],
    resolvConfPath: `/c/${ID}/resolv.conf`,
    hostnamePath: `/c/${ID}/hostname`,
    hostsPath: `/c/${ID}/hosts`,
    user: { uid: 0, gid: 0, additionalGids: [0, 10] },
    cgroupsPath: `/berth/${ID}`,
    host: fakeHost(),
    ...over,
  };
}
