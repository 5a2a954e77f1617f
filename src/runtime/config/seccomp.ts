import { ARCHES, FILTER_FLAG, OPS, SECCOMP_FILTER_FLAG_NEW_LISTENER, RET, SYSCALL_TABLES, type Arch, type ArgCmp, type CmpOp, type SeccompFilter, type SyscallRule } from '../../security/seccomp/profile.js';
import type { JsonReader } from './json-reader.js';

/**
 * `linux.seccomp` → the filter src/security/seccomp compiles, every
 * complaint naming its field: `linux.seccomp.syscalls[3].names[0]: unknown
 * system call "foo" for x86_64`. ERRNO and TRACE answer EPERM unless
 * errnoRet says otherwise, as in runc.
 */

const EPERM = 1;
const U64_MAX = 2 ** 64 - 1;

function readAction(r: JsonReader, errnoRet: JsonReader): number {
  const name = r.string();
  const data = (): number => errnoRet.optionalInteger(0, 0xffff) ?? EPERM;
  const noData = (): void => {
    if (errnoRet.present) errnoRet.fail(`only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${name}`);
  };
  switch (name) {
    case 'SCMP_ACT_ERRNO':
      return (RET.ERRNO | data()) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (RET.TRACE | data()) >>> 0;
  }
  noData();
  switch (name) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return RET.TRAP;
    case 'SCMP_ACT_ALLOW':
      return RET.ALLOW;
    case 'SCMP_ACT_LOG':
      return RET.LOG;
    case 'SCMP_ACT_NOTIFY':
      return RET.USER_NOTIF;
    default:
      return r.fail(`unknown action ${JSON.stringify(name)}`);
  }
}

function readArg(r: JsonReader): ArgCmp {
  const index = r.field('index').integer(0, 5);
  const value = BigInt(r.field('value').integer(0, U64_MAX));
  const valueTwo = BigInt(r.field('valueTwo').optionalInteger(0, U64_MAX) ?? 0);
  const opName = r.field('op').string();
  if (!(OPS as readonly string[]).includes(opName)) r.field('op').fail(`unknown comparison ${JSON.stringify(opName)} (one of ${OPS.join(', ')})`);
  return { index, op: opName as CmpOp, value, valueTwo };
}

/** The filter `linux.seccomp` describes; `r` is that field's reader. */
export function readSeccomp(r: JsonReader): SeccompFilter {
  r.object();
  const defaultAction = readAction(r.field('defaultAction'), r.field('defaultErrnoRet'));
  const arches: Arch[] = ['x86_64'];
  for (const a of r.field('architectures').optionalItems()) {
    const name = a.string();
    if (!(name in ARCHES)) a.fail(`unknown architecture ${JSON.stringify(name)}`);
    const arch = ARCHES[name];
    if (arch && !arches.includes(arch)) arches.push(arch);
  }
  let flags = 0;
  for (const f of r.field('flags').optionalItems()) {
    const name = f.string();
    const bit = (FILTER_FLAG as Record<string, number>)[name];
    if (bit === undefined) return f.fail(`unknown seccomp flag ${JSON.stringify(name)} (one of ${Object.keys(FILTER_FLAG).join(', ')})`);
    flags |= bit;
  }
  const listenerPath = r.field('listenerPath').optionalString();
  const listenerMetadata = r.field('listenerMetadata').optionalString();
  if (listenerPath !== undefined && !listenerPath.startsWith('/')) r.field('listenerPath').fail('must be an absolute path');
  if (defaultAction === RET.USER_NOTIF) r.field('defaultAction').fail('SCMP_ACT_NOTIFY cannot be the default action: the agent itself would be stopped');

  const rules: SyscallRule[] = [];
  let usesNotify = false;
  for (const s of r.field('syscalls').optionalItems()) {
    const names = s.field('names').items();
    if (names.length === 0) s.field('names').fail('must name at least one system call');
    const action = readAction(s.field('action'), s.field('errnoRet'));
    const args = s.field('args').optionalItems().map(readArg);
    for (const n of names) {
      const name = n.string();
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) n.fail(`${JSON.stringify(name)} is not a system call name`);
      // As runc does, a name no listed ABI knows is skipped: engines send one
      // list for every CPU (Docker's names "recv", "arm_fadvise64_64", …) and
      // for kernels newer than our tables; the default action answers them.
      if (!arches.some((a) => name in SYSCALL_TABLES[a])) continue;
      if (action === RET.USER_NOTIF) {
        usesNotify = true;
        // berth-init sends the listener fd with these after the filter is in place
        if (name === 'sendmsg' || name === 'write' || name === 'close') n.fail(`SCMP_ACT_NOTIFY cannot be used for ${name}: berth-init needs it to hand the listener to the agent`);
      }
      rules.push({ name, action, args });
    }
  }
  if (usesNotify && listenerPath === undefined) r.field('listenerPath').fail('is required when an action is SCMP_ACT_NOTIFY');
  if (usesNotify) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return { defaultAction, arches, flags, rules, listenerPath, listenerMetadata, usesNotify };
}
