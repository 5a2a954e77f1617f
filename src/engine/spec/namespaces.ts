import { EngineError } from '../../errors/engine-error.js';
import type { Namespace, NamespaceType } from '../../spec/oci-runtime.js';
import type { NamespaceChoice, SpecHost, SpecInput } from './input.js';
import type { HostConfig } from './types.js';

/**
 * linux.namespaces and linux.sysctl as dockerd 20.10 sets them
 * (daemon/oci_linux.go WithNamespaces, WithCommonOptions, WithSysctls):
 * mount, network, uts, pid and ipc of its own unless shared; a cgroup
 * namespace when CgroupnsMode is "private"; no user namespace.
 */

export interface Namespaces {
  network: NamespaceChoice;
  ipc: NamespaceChoice;
  pid: NamespaceChoice;
  uts: 'private' | 'host';
  cgroup: 'private' | 'host';
}

const containerOf = (mode: string | undefined): string | undefined => (mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined);

function needPath(kind: string, mode: string): never {
  throw new EngineError('Internal', 'NO_NAMESPACE_PATH', `${kind} mode ${JSON.stringify(mode)} needs the path of that container's namespace (SpecInput.namespaces.${kind})`);
}

/** Each namespace as the engine gave it, else as the HostConfig modes say. */
export function decideNamespaces(hc: HostConfig, given: SpecInput['namespaces'], host: Pick<SpecHost, 'cgroupV2'>): Namespaces {
  const g = given ?? {};
  const pick = (kind: 'network' | 'ipc' | 'pid', mode: string | undefined): NamespaceChoice => {
    const choice = g[kind];
    if (choice !== undefined) return choice;
    if (mode === 'host') return 'host';
    if (containerOf(mode) !== undefined) return needPath(kind, mode!);
    return 'private';
  };
  const ipcMode = hc.IpcMode || 'private';
  if (!['private', 'shareable', 'none', 'host'].includes(ipcMode) && containerOf(ipcMode) === undefined) {
    throw new EngineError('InvalidArgument', 'BAD_IPC_MODE', `Invalid IPC mode: ${ipcMode}`, { hint: 'use private, shareable, none, host or container:<name|id>' });
  }
  const cgroupMode = hc.CgroupnsMode || (host.cgroupV2 ? 'private' : 'host');
  if (cgroupMode !== 'private' && cgroupMode !== 'host') {
    throw new EngineError('InvalidArgument', 'BAD_CGROUPNS_MODE', `invalid cgroup namespace mode: ${cgroupMode}`, { hint: 'use private or host' });
  }
  return {
    network: pick('network', hc.NetworkMode),
    ipc: pick('ipc', ipcMode),
    pid: pick('pid', hc.PidMode),
    uts: g.uts ?? (hc.UTSMode === 'host' ? 'host' : 'private'),
    cgroup: g.cgroup ?? cgroupMode,
  };
}

/** In Docker's order: mount, network, uts, pid, ipc, then cgroup; a shared one has its path, a host one is absent. */
export function namespaceList(ns: Namespaces): Namespace[] {
  const out: Namespace[] = [{ type: 'mount' }];
  const add = (type: NamespaceType, choice: NamespaceChoice): void => {
    if (choice === 'host') return;
    out.push(choice === 'private' ? { type } : { type, path: choice.path });
  };
  add('network', ns.network);
  add('uts', ns.uts);
  add('pid', ns.pid);
  add('ipc', ns.ipc);
  if (ns.cgroup === 'private') out.push({ type: 'cgroup' });
  return out;
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/**
 * linux.sysctl: with a network namespace of its own (bridge, none), Docker's
 * two defaults — ICMP echo sockets for every group and ports below 1024
 * without CAP_NET_BIND_SERVICE — where the kernel has them; then
 * HostConfig.Sysctls, which win. Only namespaced keys are allowed, each
 * only when its namespace is the container's own (runc's rules, checked
 * here so that create-time mistakes fail before anything starts):
 * net.* with a network namespace not the host's; kernel.msg*, sem, shm*
 * and fs.mqueue.* with an IPC namespace of its own.
 *
 * kernel.domainname is not returned among them: it becomes the spec's
 * `domainname`, which berth's runtime sets (and refuses as a sysctl).
 */
export function buildSysctls(hc: HostConfig, ns: Namespaces, host: Pick<SpecHost, 'sysctlExists'>): { sysctl: Record<string, string>; domainname?: string } {
  const sysctl: Record<string, string> = {};
  // by mode, as Docker decides: a bridge network's namespace the engine made beforehand is still the container's own
  const privateNet = ns.network !== 'host' && hc.NetworkMode !== 'host' && containerOf(hc.NetworkMode) === undefined;
  if (privateNet) {
    if (host.sysctlExists('net.ipv4.ping_group_range')) sysctl['net.ipv4.ping_group_range'] = '0 2147483647';
    if (host.sysctlExists('net.ipv4.ip_unprivileged_port_start')) sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  let domainname: string | undefined;
  for (const [key, value] of Object.entries(hc.Sysctls ?? {})) {
    const refuse = (problem: string, hint: string): never => {
      throw new EngineError('InvalidArgument', 'BAD_SYSCTL', `sysctl ${JSON.stringify(key)} ${problem}`, { hint });
    };
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (ns.ipc === 'host') refuse('is not allowed in the hosts ipc namespace', 'drop --ipc host to set IPC sysctls');
    } else if (key.startsWith('net.')) {
      if (ns.network === 'host') refuse('not allowed in host network namespace', 'drop --network host to set network sysctls');
    } else if (key === 'kernel.domainname') {
      if (ns.uts === 'host') refuse("is not allowed in the host's UTS namespace", 'drop --uts host to set the domain name');
      domainname = value;
      continue;
    } else if (key === 'kernel.hostname') {
      refuse('is not allowed as it conflicts with the OCI "hostname" field', 'use --hostname');
    } else {
      refuse('is not in a separate kernel namespace', 'only namespaced sysctls can be set: net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*');
    }
    sysctl[key] = value;
  }
  return domainname === undefined ? { sysctl } : { sysctl, domainname };
}
