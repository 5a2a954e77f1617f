import { EngineError } from '../../errors/engine-error.js';
import { CAPABILITIES } from '../../security/capabilities.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../security/defaults.js';
import { dockerDefaultProfile, dockerToOci, type DockerProfile, type OciSeccomp } from '../../security/seccomp/docker-profile.js';
import type { Capabilities } from '../../spec/oci-runtime.js';

/**
 * Capabilities, --security-opt and seccomp as dockerd 20.10 decides them
 * (moby's oci/caps, daemon/daemon_unix.go parseSecurityOpt,
 * profiles/seccomp).
 */

/**
 * Every capability dockerd 20.10 knows, in number order: up to
 * CAP_AUDIT_READ. It leaves out CAP_PERFMON, CAP_BPF and
 * CAP_CHECKPOINT_RESTORE even on kernels that have them (the runc it
 * shipped with could not set them), so --privileged does not grant them
 * and --cap-add BPF is "unknown capability".
 */
export const DOCKER_ALL_CAPABILITIES: readonly string[] = Object.freeze(
  Object.entries(CAPABILITIES)
    .filter(([, n]) => n <= CAPABILITIES['CAP_AUDIT_READ']!)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => name),
);

/** CapAdd/CapDrop entries: upper case, CAP_ added, "ALL" kept; unknown names refused. */
export function normalizeCapabilities(list: readonly string[] | null | undefined, what: 'CapAdd' | 'CapDrop'): string[] {
  return (list ?? []).map((c) => {
    const upper = c.toUpperCase();
    if (upper === 'ALL') return upper;
    const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!DOCKER_ALL_CAPABILITIES.includes(name)) {
      throw new EngineError('InvalidArgument', 'UNKNOWN_CAPABILITY', `invalid ${what}: unknown capability: ${JSON.stringify(name)}`, {
        hint: 'use a name from capabilities(7) such as NET_ADMIN, or ALL',
      });
    }
    return name;
  });
}

/**
 * The container's capability list: all of them when privileged; else
 * Docker's 14, minus CapDrop, plus CapAdd (appended as given, duplicates
 * kept, as dockerd does). `--cap-add ALL` is everything but CapDrop;
 * `--cap-drop ALL` leaves only CapAdd.
 */
export function tweakCapabilities(add: readonly string[] | null | undefined, drop: readonly string[] | null | undefined, privileged: boolean): string[] {
  if (privileged) return [...DOCKER_ALL_CAPABILITIES];
  if (!add?.length && !drop?.length) return [...DOCKER_DEFAULT_CAPABILITIES];
  const drops = normalizeCapabilities(drop, 'CapDrop');
  const adds = normalizeCapabilities(add, 'CapAdd');
  if (adds.includes('ALL')) return DOCKER_ALL_CAPABILITIES.filter((c) => !drops.includes(c));
  if (drops.includes('ALL')) return adds;
  return [...DOCKER_DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c)), ...adds];
}

/**
 * process.capabilities for a list: bounding, effective and permitted for
 * uid 0; only the bounding set for any other uid, as execve(2) would leave
 * it (moby's SetCapabilities since 20.10.14). No inheritable or ambient set.
 */
export function processCapabilities(list: readonly string[], uid: number): Capabilities {
  return uid === 0 ? { bounding: [...list], effective: [...list], permitted: [...list] } : { bounding: [...list] };
}

/** What HostConfig.SecurityOpt asks for. */
export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** "" (the default profile), "unconfined", or a profile's JSON text */
  seccomp: string;
  /** apparmor=…: kept for inspect; berth applies no AppArmor profile */
  apparmor?: string;
  /** label=…: SELinux options; berth applies none */
  labels: string[];
}

/** Go's strconv.ParseBool. */
function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** dockerd's parseSecurityOpt: "key=value" (or the old "key:value") options, and its errors. */
export function parseSecurityOpt(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: '', labels: [] };
  const bad = (n: 1 | 2, opt: string): EngineError =>
    new EngineError('InvalidArgument', 'BAD_SECURITY_OPT', `invalid --security-opt ${n}: ${JSON.stringify(opt)}`, {
      hint: 'use no-new-privileges, seccomp=unconfined|<profile JSON>, apparmor=<profile> or label=<option>',
    });
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      out.labels.push('disable');
      continue;
    }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined;
    if (!sep) throw bad(1, opt);
    const at = opt.indexOf(sep);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'label':
        out.labels.push(value);
        break;
      case 'apparmor':
        out.apparmor = value;
        break;
      case 'seccomp':
        out.seccomp = value;
        break;
      case 'no-new-privileges': {
        const b = parseBool(value);
        if (b === undefined) throw bad(2, opt);
        out.noNewPrivileges = b;
        break;
      }
      default:
        throw bad(2, opt);
    }
  }
  return out;
}

export interface SeccompContext {
  privileged: boolean;
  /** the container's bounding capabilities: rules depend on them */
  capabilities: string[];
  /** the running kernel's release: rules depend on it */
  kernel: string;
}

/**
 * linux.seccomp: none for "unconfined" or a privileged container; the
 * profile given as JSON; else Docker's default. A profile with neither a
 * default action nor rules means no filter, as in moby.
 */
export function seccompFor(profile: string, ctx: SeccompContext): OciSeccomp | undefined {
  if (profile === 'unconfined' || ctx.privileged) return undefined;
  let docker: DockerProfile;
  if (profile === '') {
    docker = dockerDefaultProfile();
  } else {
    try {
      docker = JSON.parse(profile) as DockerProfile;
    } catch (err) {
      throw new EngineError('InvalidArgument', 'BAD_SECCOMP_PROFILE', `Decoding seccomp profile failed: ${(err as Error).message}`, {
        hint: 'give the profile as JSON (the docker CLI reads --security-opt seccomp=<file> and sends its content)',
        cause: err,
      });
    }
    if (typeof docker !== 'object' || docker === null || Array.isArray(docker)) {
      throw new EngineError('InvalidArgument', 'BAD_SECCOMP_PROFILE', 'Decoding seccomp profile failed: the profile is not a JSON object');
    }
  }
  if (!docker.defaultAction && !docker.syscalls?.length) return undefined;
  if (docker.architectures?.length && docker.archMap?.length) {
    throw new EngineError('InvalidArgument', 'BAD_SECCOMP_PROFILE', "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  if (docker.syscalls?.some((s) => s.name && s.names?.length)) {
    throw new EngineError('InvalidArgument', 'BAD_SECCOMP_PROFILE', "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
  }
  return dockerToOci(docker, { capabilities: ctx.capabilities, kernel: ctx.kernel });
}
