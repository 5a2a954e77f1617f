import { SYSCALL_TABLES } from './profile.js';
import dockerDefault from './docker-default.json' with { type: 'json' };

/**
 * Docker's seccomp profile format (moby's profiles/seccomp: an archMap and
 * rules that apply only with some capabilities, CPU architectures or
 * kernel versions) → the OCI `linux.seccomp` for one container, decided as
 * moby decides it: for the host's architecture, the container's bounding
 * capabilities and the running kernel.
 */

export interface DockerFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface DockerSyscall {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
  includes?: DockerFilter;
  excludes?: DockerFilter;
  comment?: string;
}

export interface DockerProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: DockerSyscall[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[] }[];
}

export interface DockerProfileContext {
  /** The container's bounding capabilities (CAP_* names). */
  capabilities: string[];
  /** The running kernel's release, e.g. "6.1.0-18-amd64". */
  kernel: string;
  /** Go's name of the host architecture (runtime.GOARCH). */
  goArch?: string;
}

/** libseccomp's name of each Go architecture berth runs on. */
const NATIVE_ARCH: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64' };

/** Docker's default capability set (what `docker run` grants without --cap-add). */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** "4.8" ≤ "6.1.0-18-amd64"? Versions compare as major.minor, as moby does. */
export function kernelAtLeast(release: string, min: string): boolean {
  const parse = (v: string): [number, number] => {
    const m = /^(\d+)\.(\d+)/.exec(v);
    if (!m) throw new Error(`cannot read kernel version ${JSON.stringify(v)}`);
    return [Number(m[1]), Number(m[2])];
  };
  const [a, b] = parse(release);
  const [x, y] = parse(min);
  return a > x || (a === x && b >= y);
}

function applies(call: DockerSyscall, ctx: DockerProfileContext, goArch: string): boolean {
  const has = (cap: string): boolean => ctx.capabilities.includes(cap);
  const ex = call.excludes;
  if (ex) {
    if (ex.arches?.includes(goArch)) return false;
    // excluded as soon as one listed capability is held
    if (ex.caps?.some(has)) return false;
    if (ex.minKernel && kernelAtLeast(ctx.kernel, ex.minKernel)) return false;
  }
  const inc = call.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(goArch)) return false;
    // included only when every listed capability is held
    if (inc.caps?.length && !inc.caps.every(has)) return false;
    if (inc.minKernel && !kernelAtLeast(ctx.kernel, inc.minKernel)) return false;
  }
  return true;
}

/**
 * The OCI profile for one container. Names no x86 ABI knows (other CPUs'
 * calls in the shared list, calls newer than our tables) are dropped:
 * nothing on this host can make them, and the default action answers them.
 */
export function dockerToOci(profile: DockerProfile, ctx: DockerProfileContext): OciSeccomp {
  const goArch = ctx.goArch ?? 'amd64';
  const native = NATIVE_ARCH[goArch];
  if (!native) throw new Error(`seccomp profiles are not supported on ${goArch}`);
  const out: OciSeccomp = { defaultAction: profile.defaultAction, syscalls: [] };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.archMap) {
    const entry = profile.archMap.find((a) => a.architecture === native);
    if (entry) out.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  } else if (profile.architectures) {
    out.architectures = [...profile.architectures];
  }
  for (const key of ['flags', 'listenerPath', 'listenerMetadata'] as const) {
    if (profile[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = profile[key];
  }
  const known = (name: string): boolean => Object.values(SYSCALL_TABLES).some((t) => name in t);
  for (const call of profile.syscalls ?? []) {
    if (!applies(call, ctx, goArch)) continue;
    const names = (call.names ?? (call.name ? [call.name] : [])).filter(known);
    if (names.length === 0) continue;
    const rule: OciSeccomp['syscalls'][number] = { names, action: call.action };
    if (call.errnoRet !== undefined) rule.errnoRet = call.errnoRet;
    if (call.args?.length) rule.args = call.args.map((a) => ({ ...a }));
    out.syscalls.push(rule);
  }
  return out;
}

/**
 * Docker's default profile (moby's profiles/seccomp/default.json, kept in
 * this folder as docker-default.json): the engine's default for containers
 * that ask for no profile of their own.
 */
export function dockerDefaultProfile(): DockerProfile {
  return structuredClone(dockerDefault) as DockerProfile;
}
