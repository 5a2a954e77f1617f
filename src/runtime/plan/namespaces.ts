import type { Namespace, NamespaceType } from '../../spec/oci-runtime.js';

/** clone(2) flags (linux/sched.h). */
export const CLONE_NEW: Record<NamespaceType, number> = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  time: 0x00000080,
};

/** /proc/<pid>/ns/<file> for each namespace type. */
export const NS_PROC_FILE: Record<NamespaceType, string> = {
  mount: 'mnt',
  cgroup: 'cgroup',
  uts: 'uts',
  ipc: 'ipc',
  user: 'user',
  pid: 'pid',
  network: 'net',
  time: 'time',
};

/**
 * The order namespaces are joined in: the user namespace first, so that the
 * capabilities it grants cover joining the others; mount last but one, so
 * paths stay the runtime's while the others are opened.
 */
export const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export function sortForJoin<T extends Pick<Namespace, 'type'>>(namespaces: T[]): T[] {
  return [...namespaces].sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
}
