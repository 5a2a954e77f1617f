import { existsSync, statSync } from 'node:fs';
import { readMountInfo, type MountInfoEntry } from './mountinfo.js';

export interface CgroupHierarchy {
  /** Directory name under /sys/fs/cgroup (cpu, memory, systemd, unified). */
  name: string;
  fstype: 'cgroup' | 'cgroup2';
  /** mount(2) data that mounts this hierarchy again: "cpu", "name=systemd", "". */
  data: string;
}

/** What the plan compiler needs to know about the host. */
export interface HostFacts {
  cgroupHierarchies(): CgroupHierarchy[];
  /** True when "/" is an initramfs (rootfs/ramfs), where pivot_root fails. */
  rootIsRamfs(): boolean;
  /** Whether a host path is a directory, something else, or missing. */
  pathKind(path: string): 'dir' | 'other' | 'missing';
}

const CGROUP_V1_OPTIONS = /^(?:rw|ro|relatime|nosuid|nodev|noexec|clone_children|noprefix|xattr|release_agent=.*|cpuset_v2_mode)$/;

export function cgroupHierarchiesFrom(entries: MountInfoEntry[]): CgroupHierarchy[] {
  const out: CgroupHierarchy[] = [];
  for (const e of entries) {
    if (!e.mountPoint.startsWith('/sys/fs/cgroup')) continue;
    const name = e.mountPoint === '/sys/fs/cgroup' ? '' : e.mountPoint.slice('/sys/fs/cgroup/'.length);
    if (name.includes('/')) continue;
    if (e.fstype === 'cgroup2') out.push({ name, fstype: 'cgroup2', data: '' });
    if (e.fstype === 'cgroup') {
      const data = e.superOptions.split(',').filter((o) => !CGROUP_V1_OPTIONS.test(o)).join(',');
      out.push({ name, fstype: 'cgroup', data });
    }
  }
  return out;
}

export class RealHostFacts implements HostFacts {
  private mounts: MountInfoEntry[] | undefined;

  private mountInfo(): MountInfoEntry[] {
    return (this.mounts ??= readMountInfo());
  }

  cgroupHierarchies(): CgroupHierarchy[] {
    return cgroupHierarchiesFrom(this.mountInfo());
  }

  rootIsRamfs(): boolean {
    const root = this.mountInfo().find((e) => e.mountPoint === '/');
    return root === undefined || root.fstype === 'rootfs' || root.fstype === 'ramfs';
  }

  pathKind(path: string): 'dir' | 'other' | 'missing' {
    try {
      return statSync(path).isDirectory() ? 'dir' : 'other';
    } catch {
      return existsSync(path) ? 'other' : 'missing';
    }
  }
}
