import type { Process } from '../../spec/oci-runtime.js';
import { namespaceInode } from '../../sys/proc.js';
import { addConsole } from './compile-create.js';
import { addLateSeccomp, addProcess, addSeccompAgent, seccompArgs } from './compile-process.js';
import { addCgroupSelfJoin, type CgroupSelfJoin } from './cgroup-join.js';
import { CLONE_NEW, JOIN_ORDER, NS_PROC_FILE } from './namespaces.js';
import { Sync } from '../../sys/native-protocol.generated.js';
import { LaunchPlan } from './plan.js';

/** Whether a process of ours joining `pid`'s namespaces changes its namespace of this type. */
export function joinsNamespace(pid: number, type: keyof typeof NS_PROC_FILE): boolean {
  const theirs = namespaceInode(pid, NS_PROC_FILE[type]);
  return theirs !== undefined && theirs !== ownNamespace(NS_PROC_FILE[type]);
}

/** This process's own namespaces, read once: the runtime never leaves them (every setns is in a child). */
const own = new Map<string, number | undefined>();
function ownNamespace(file: string): number | undefined {
  if (!own.has(file)) own.set(file, namespaceInode('self', file));
  return own.get(file);
}

/**
 * JOIN_NS ops for every namespace of `pid` that is not already ours: joining
 * one's own user namespace is an error (EINVAL), the others are no-ops.
 */
function joinNamespacesOf(plan: LaunchPlan, pid: number): void {
  for (const type of JOIN_ORDER) {
    if (joinsNamespace(pid, type)) plan.add('JOIN_NS', CLONE_NEW[type], `/proc/${pid}/ns/${NS_PROC_FILE[type]}`);
  }
}

export interface ExecOptions {
  pid: number;
  process: Process;
  consoleSocket?: string | undefined;
  detach: boolean;
  preserveFds: number;
  /** Wait before exec until node has moved the process into the container's cgroups. */
  joinCgroup: boolean;
  /** Or the process joins them itself (joinCgroup is then ignored). */
  cgroupSelfJoin?: CgroupSelfJoin | undefined;
  /** The container's `linux.seccomp`: its processes all run under the filter (as in runc). */
  seccomp?: Record<string, unknown> | undefined;
}

/** `exec`: a new process in every namespace and the root of a running container. */
export function compileExec(opts: ExecOptions): LaunchPlan {
  const seccomp = seccompArgs(opts.seccomp);
  const plan = new LaunchPlan();
  plan.add('PARENT_MODE', opts.detach ? 0 : 1);
  if (opts.preserveFds) plan.add('PRESERVE_FDS', opts.preserveFds);
  if (opts.process.terminal) addConsole(plan, opts.consoleSocket);
  addSeccompAgent(plan, seccomp);
  if (opts.cgroupSelfJoin) addCgroupSelfJoin(plan, opts.cgroupSelfJoin);
  plan.add('OPEN_EXEC_ROOT', `/proc/${opts.pid}/root`);
  joinNamespacesOf(plan, opts.pid);
  plan.add('CLONE', 0);
  plan.add('ENTER_EXEC_ROOT');
  if (opts.process.terminal) plan.add('SETUP_TTY', 0);
  addProcess(plan, opts.process, seccomp);
  // node joins the cgroups as soon as the process exists; it must be in them before the app runs
  if (opts.joinCgroup && !opts.cgroupSelfJoin) plan.add('SYNC', Sync.PARENT_SETUP);
  plan.add('READY');
  addLateSeccomp(plan, opts.process, seccomp);
  plan.add('EXEC');
  return plan;
}

export interface NamespaceCommand {
  path: string;
  args: string[];
  env: string[];
}

/**
 * A host program run inside the namespaces of `pid` but with the runtime's
 * view of paths (createContainer hooks run before the pivot, where the
 * container's mount namespace still shows the host's tree).
 */
export function compileNamespaceCommand(pid: number, cmd: NamespaceCommand): LaunchPlan {
  const plan = new LaunchPlan();
  plan.add('PARENT_MODE', 1);
  joinNamespacesOf(plan, pid);
  plan.add('CLONE', 0);
  plan.add('SET_ARGV', ...cmd.args);
  plan.add('SET_ENV', ...cmd.env);
  plan.add('SET_EXEC_PATH', cmd.path);
  plan.add('RESOLVE_EXEC');
  plan.add('READY');
  plan.add('EXEC');
  return plan;
}
