import type { Namespace, NamespaceType } from '../../spec/oci-runtime.js';
import type { JsonReader } from './json-reader.js';

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/**
 * A container may only set sysctls that live in a namespace it owns; any
 * other key would change the host. Same rules as runc's validator.
 */
export function checkSysctls(sysctl: Record<string, string>, ns: Map<NamespaceType, Namespace>, r: JsonReader): void {
  for (const key of Object.keys(sysctl)) {
    const where = r.field(key);
    const needs = namespaceOf(key);
    if (needs === 'conflict') return where.fail('is not allowed: set the hostname with the "hostname" and "domainname" fields');
    if (needs === undefined) return where.fail('is not namespaced: it would change the host, so a container may not set it');
    if (!ns.has(needs)) where.fail(`needs a private ${needs} namespace (add {"type": "${needs}"} to linux.namespaces)`);
  }
}

function namespaceOf(key: string): NamespaceType | 'conflict' | undefined {
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'conflict';
  return undefined;
}

/** net.ipv4.ip_forward → net/ipv4/ip_forward (a key may hold dots only as separators). */
export function sysctlPath(key: string): string {
  return key.replace(/\./g, '/');
}
