import { CAPABILITY_NAMES } from '../../security/capabilities.js';
import { HOOK_KINDS, NAMESPACE_TYPES, OCI_VERSION } from '../../spec/oci-runtime.js';

const MOUNT_OPTIONS = [
  'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'lazytime', 'mand', 'noatime',
  'nodev', 'nodiratime', 'noexec', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'nosymfollow',
  'private', 'ratime', 'rbind', 'rdev', 'rdiratime', 'relatime', 'remount', 'rexec', 'rnoatime', 'rnodev',
  'rnodiratime', 'rnoexec', 'rnorelatime', 'rnostrictatime', 'rnosuid', 'rnosymfollow', 'ro', 'rprivate', 'rrelatime',
  'rro', 'rrw', 'rshared', 'rslave', 'rstrictatime', 'rsuid', 'rsymfollow', 'runbindable', 'rw', 'shared', 'slave',
  'strictatime', 'suid', 'symfollow', 'sync', 'unbindable',
];

/**
 * `features`: what this build really does, per the features schema. Seccomp,
 * AppArmor, SELinux and cgroup management are reported absent until they are.
 */
export function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: MOUNT_OPTIONS,
    linux: {
      namespaces: [...NAMESPACE_TYPES],
      capabilities: CAPABILITY_NAMES,
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: {
      'io.github.berth.runtime.version': '0.1.0',
    },
  };
}
