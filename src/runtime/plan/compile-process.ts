import type { Process } from '../../spec/oci-runtime.js';
import { capabilityMask } from '../../security/capabilities.js';
import { compileSeccomp } from '../../security/seccomp/compile.js';
import { readSeccomp } from '../config/seccomp.js';
import { JsonReader } from '../config/json-reader.js';
import { RLIMITS, RLIM_INFINITY } from '../config/rlimits.js';
import type { LaunchPlan } from './plan.js';

/** The SECCOMP op's arguments: the BPF program, its filter flags, the listener path. */
export type SeccompArgs = [Uint8Array, number, string];

/**
 * Compiled profiles by their JSON: a daemon compiles the same profile
 * (Docker's default, a container's own) for every container and every
 * exec, ~2.5 ms each. Only profiles that compiled are kept.
 */
const compiled = new Map<string, SeccompArgs>();
const COMPILED_MAX = 16;

/** `linux.seccomp` checked and compiled; complaints name its fields. */
export function seccompArgs(seccomp: Record<string, unknown> | undefined): SeccompArgs | undefined {
  if (!seccomp) return undefined;
  const key = JSON.stringify(seccomp);
  const known = compiled.get(key);
  if (known) return known;
  const filter = readSeccomp(new JsonReader(seccomp, 'linux.seccomp'));
  // as in runc, a listener path without any SCMP_ACT_NOTIFY rule is not used
  const args: SeccompArgs = [compileSeccomp(filter), filter.flags, filter.usesNotify ? filter.listenerPath! : ''];
  if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, args);
  return args;
}

/** A filter with SCMP_ACT_NOTIFY actions: its listener goes to the agent at this path. */
const agentPath = (seccomp: SeccompArgs | undefined): string | undefined => (seccomp?.[2] ? seccomp[2] : undefined);

/**
 * A seccomp agent's socket is connected by the parent, before the clone: a
 * missing agent fails the launch before anything is set up.
 */
export function addSeccompAgent(plan: LaunchPlan, seccomp: SeccompArgs | undefined): void {
  const path = agentPath(seccomp);
  if (path !== undefined) plan.add('SECCOMP_AGENT', path);
}

/**
 * With no_new_privs the filter goes in as late as possible: berth-init
 * installs it right before execve whatever its place, and the plan puts it
 * just before EXEC. Without, see addProcess. A filter with a listener is
 * never late: node must still be there to tell the agent whose it is.
 */
export function addLateSeccomp(plan: LaunchPlan, process: Process, seccomp: SeccompArgs | undefined): void {
  if (seccomp && process.noNewPrivileges && agentPath(seccomp) === undefined) plan.add('SECCOMP', ...seccomp);
}

const UNSET_UMASK = 0xffff_ffff_ffff_ffffn;

function rlimitArg(v: number): bigint {
  return Number.isFinite(v) ? BigInt(v) : RLIM_INFINITY;
}

/**
 * The app's process: limits, identity, privileges, working directory and
 * command, as ops run from the last setup steps to execve. The user switch
 * comes before CAPS (the spec applies capabilities to the final user) and
 * CWD after both, so that the directory is entered with the app's rights.
 * Without no_new_privs a seccomp filter needs CAP_SYS_ADMIN, so it goes in
 * before the user switch and the capability drop, as in runc; so does one
 * with a listener, installed at once whatever no_new_privs says.
 */
export function addProcess(plan: LaunchPlan, process: Process, seccomp?: SeccompArgs): void {
  for (const rl of process.rlimits ?? []) plan.add('RLIMIT', RLIMITS[rl.type]!, rlimitArg(rl.soft), rlimitArg(rl.hard));
  plan.add('SET_ARGV', ...(process.args ?? []));
  plan.add('SET_ENV', ...(process.env ?? []));
  if (seccomp && (!process.noNewPrivileges || agentPath(seccomp) !== undefined)) plan.add('SECCOMP', ...seccomp);
  const user = process.user;
  const gids = user.additionalGids ?? [];
  plan.add('SET_USER', user.uid, user.gid, user.umask ?? UNSET_UMASK, gids.length, ...gids);
  const caps = process.capabilities;
  if (caps) {
    plan.add(
      'CAPS',
      capabilityMask(caps.bounding ?? []),
      capabilityMask(caps.effective ?? []),
      capabilityMask(caps.permitted ?? []),
      capabilityMask(caps.inheritable ?? []),
      capabilityMask(caps.ambient ?? []),
    );
  }
  if (process.noNewPrivileges) plan.add('NO_NEW_PRIVS');
  plan.add('CWD', process.cwd);
  plan.add('RESOLVE_EXEC');
}
