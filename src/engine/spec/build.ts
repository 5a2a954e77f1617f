import { EngineError } from '../../errors/engine-error.js';
import { OCI_VERSION, type Linux, type Process, type Spec } from '../../spec/oci-runtime.js';
import { withCreateDefaults } from './adapt.js';
import { buildDevices } from './devices.js';
import type { SpecInput } from './input.js';
import { buildMounts } from './mounts.js';
import { buildSysctls, decideNamespaces, namespaceList } from './namespaces.js';
import { containerArgs, containerCwd, containerEnv } from './process.js';
import { buildResources, buildRlimits } from './resources.js';
import { parseSecurityOpt, processCapabilities, seccompFor, tweakCapabilities } from './security.js';
import { resolveUser } from './user.js';

/**
 * A container's OCI runtime spec (config.json), field for field what
 * dockerd 20.10 (daemon/oci_linux.go createSpec) writes for the same
 * Config and HostConfig, except where berth's runtime differs on purpose
 * (see the notes at each field and the README of this folder's API in
 * index.ts). The engine calls it at each start; nothing here touches the
 * host but reading the container's /etc/passwd when `user` is left out.
 */
export function buildSpec(input: SpecInput): { spec: Spec; warnings: string[] } {
  const warnings: string[] = [];
  const { config, host } = input;
  const hc = withCreateDefaults(input.hostConfig, host);
  const ns = decideNamespaces(hc, input.namespaces, host);

  let args = containerArgs(config);
  // --init only where the container has a PID namespace of its own: elsewhere there is an init already
  const useInit = hc.Init === true && ns.pid === 'private';
  if (useInit) {
    if (!input.initPath) throw new EngineError('Internal', 'NO_INIT_PATH', '--init needs the host path of the init binary (SpecInput.initPath)');
    args = ['/sbin/docker-init', '--', ...args];
  }

  const user = input.user ?? resolveUser(input.rootfs, config.User, hc.GroupAdd);
  const security = parseSecurityOpt(hc.SecurityOpt);
  const caps = tweakCapabilities(hc.CapAdd, hc.CapDrop, hc.Privileged === true);
  const hostname = config.Hostname || input.id.slice(0, 12);

  const process: Process = {
    user: { uid: user.uid, gid: user.gid, additionalGids: [...user.additionalGids] },
    args,
    env: containerEnv(config, hostname),
    cwd: containerCwd(config),
    capabilities: processCapabilities(caps, user.uid),
    oomScoreAdj: hc.OomScoreAdj ?? 0,
  };
  if (config.Tty) process.terminal = true;
  const rlimits = buildRlimits(hc.Ulimits, host, warnings);
  if (rlimits) process.rlimits = rlimits;
  if (security.noNewPrivileges) process.noNewPrivileges = true;

  const mounts = buildMounts({
    hostConfig: hc,
    mounts: input.mounts,
    files: {
      ...(input.resolvConfPath !== undefined ? { '/etc/resolv.conf': input.resolvConfPath } : {}),
      ...(input.hostnamePath !== undefined ? { '/etc/hostname': input.hostnamePath } : {}),
      ...(input.hostsPath !== undefined ? { '/etc/hosts': input.hostsPath } : {}),
    },
    shmPath: input.shmPath,
    initPath: useInit ? input.initPath : undefined,
    host,
  });
  const devices = buildDevices(hc, host, warnings);
  const { sysctl, domainname: sysctlDomain } = buildSysctls(hc, ns, host);

  const linux: Linux = {};
  if (Object.keys(sysctl).length) linux.sysctl = sysctl;
  linux.resources = buildResources(hc, devices.rules, host);
  linux.cgroupsPath = input.cgroupsPath;
  linux.namespaces = namespaceList(ns);
  if (devices.devices.length) linux.devices = devices.devices;
  const seccomp = seccompFor(security.seccomp, { privileged: hc.Privileged === true, capabilities: caps, kernel: host.kernelRelease });
  if (seccomp) linux.seccomp = seccomp as unknown as Record<string, unknown>;
  // Privileged: none of Docker's defaults; paths the client gave explicitly still apply, as in dockerd
  if (hc.MaskedPaths?.length) linux.maskedPaths = [...hc.MaskedPaths];
  if (hc.ReadonlyPaths?.length) linux.readonlyPaths = [...hc.ReadonlyPaths];
  if (mounts.rootfsPropagation) linux.rootfsPropagation = mounts.rootfsPropagation;

  const spec: Spec = { ociVersion: OCI_VERSION, process, root: { path: input.rootfs }, mounts: mounts.mounts, linux };
  if (hc.ReadonlyRootfs) spec.root!.readonly = true;
  if (ns.uts !== 'host') spec.hostname = hostname;
  const domainname = config.Domainname || sysctlDomain;
  if (domainname) {
    if (ns.uts === 'host') {
      throw new EngineError('InvalidArgument', 'BAD_DOMAINNAME', 'a domain name cannot be set in the host\'s UTS namespace', { hint: 'drop --domainname or --uts host' });
    }
    spec.domainname = domainname;
  }
  return { spec, warnings };
}

const U64_MARK = '@@berth:u64-max@@';

/**
 * config.json text for a spec: JSON, except that rlimits of 2^64 and above
 * (RLIM_INFINITY, which a JS number cannot write exactly) are written as
 * 18446744073709551615, the uint64 runc and dockerd write.
 */
export function specJson(spec: Spec, indent?: number): string {
  const replacer = function (this: unknown, key: string, value: unknown): unknown {
    if ((key === 'soft' || key === 'hard') && typeof value === 'number' && value >= 2 ** 64 - 1) return U64_MARK;
    return value;
  };
  return JSON.stringify(spec, replacer, indent).replace(/("(?:soft|hard)":\s*)"@@berth:u64-max@@"/g, (_, key: string) => `${key}18446744073709551615`);
}
