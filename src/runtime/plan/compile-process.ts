import type { Process } from '../../spec/oci-runtime.js';
import { capabilityMask } from '../../security/capabilities.js';
import { RLIMITS, RLIM_INFINITY } from '../config/rlimits.js';
import type { LaunchPlan } from './plan.js';

const UNSET_UMASK = 0xffff_ffff_ffff_ffffn;

function rlimitArg(v: number): bigint {
  return Number.isFinite(v) ? BigInt(v) : RLIM_INFINITY;
}

/**
 * The app's process: limits, identity, privileges, working directory and
 * command, as ops run from the last setup steps to execve. The user switch
 * comes before CAPS (the spec applies capabilities to the final user) and
 * CWD after both, so that the directory is entered with the app's rights.
 */
export function addProcess(plan: LaunchPlan, process: Process): void {
  for (const rl of process.rlimits ?? []) plan.add('RLIMIT', RLIMITS[rl.type]!, rlimitArg(rl.soft), rlimitArg(rl.hard));
  plan.add('SET_ARGV', ...(process.args ?? []));
  plan.add('SET_ENV', ...(process.env ?? []));
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
