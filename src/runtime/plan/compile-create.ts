import type { Spec } from '../../spec/oci-runtime.js';
import type { HostFacts } from '../../sys/host-facts.js';
import { JsonReader } from '../config/json-reader.js';
import { MS } from '../config/mount-options.js';
import { sysctlPath } from '../config/sysctl.js';
import { addDevices, addMounts, type RootfsContext } from './compile-rootfs.js';
import { addLateSeccomp, addProcess, addSeccompAgent, seccompArgs } from './compile-process.js';
import { addCgroupSelfJoin, type CgroupSelfJoin } from './cgroup-join.js';
import { CLONE_NEW, sortForJoin } from './namespaces.js';
import { LaunchPlan } from './plan.js';
import { Sync } from '../../sys/native-protocol.generated.js';

export interface CreateOptions {
  bundle: string;
  /** The root filesystem, absolute and with symlinks resolved. */
  rootfs: string;
  /** The fifo `start` writes to; the app waits on it before exec. */
  execFifo: string;
  consoleSocket?: string | undefined;
  noPivot: boolean;
  preserveFds: number;
  /** berth-init stays to report the app's exit (run in the foreground). */
  wait: boolean;
  /** The container gets cgroups: node joins them when the child exists and applies resources at a sync point. */
  cgroups: boolean;
  /** The container's cgroup directories by name under /sys/fs/cgroup, made at the PARENT_SETUP sync point. */
  cgroupDirs?: Record<string, string> | undefined;
  /** The child joins its cgroups itself (else node does, by pid, when the child exists). */
  cgroupSelfJoin?: CgroupSelfJoin | undefined;
  /** Who runs the runtime, and where newuidmap/newgidmap are: how the user namespace maps get written. Root when unset. */
  caller?: MapCaller | undefined;
}

/** The runtime's own ids, and the setuid map helpers (shadow's `uidmap`) if installed. */
export interface MapCaller {
  uid: number;
  gid: number;
  newuidmap?: string | undefined;
  newgidmap?: string | undefined;
}

const PROPAGATION: Record<string, number> = {
  shared: MS.SHARED,
  slave: MS.SLAVE,
  private: MS.PRIVATE,
  unbindable: MS.UNBINDABLE,
  rshared: MS.SHARED | MS.REC,
  rslave: MS.SLAVE | MS.REC,
  rprivate: MS.PRIVATE | MS.REC,
  runbindable: MS.UNBINDABLE | MS.REC,
};

const needsHookSync = (spec: Spec): boolean =>
  Boolean(spec.hooks?.prestart?.length || spec.hooks?.createRuntime?.length || spec.hooks?.createContainer?.length);

/** A checked spec → the launch plan of `create`. */
export function compileCreate(spec: Spec, opts: CreateOptions, host: HostFacts): LaunchPlan {
  const r = JsonReader.root(spec);
  const process = spec.process;
  if (!process) return r.field('process').fail('is required to create a container');
  if (!process.args) r.field('process').field('args').fail('is required: name the program to run');
  if (process.terminal && !opts.consoleSocket && !opts.wait) {
    r.field('process').field('terminal').fail('is true, and a terminal needs --console-socket when the runtime does not stay in the foreground (or run it with "run" without --detach)');
  }
  if (!process.terminal && opts.consoleSocket) {
    r.field('process').field('terminal').fail('is false, so --console-socket has nothing to receive (set it to true or drop the flag)');
  }
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const ns = new Map(namespaces.map((n) => [n.type, n]));
  if (!ns.has('mount')) r.field('linux').field('namespaces').fail('a mount namespace is required: without one the root filesystem would replace the host\'s');
  const isNew = (t: keyof typeof CLONE_NEW): boolean => ns.has(t) && !ns.get(t)!.path;

  const seccomp = seccompArgs(linux.seccomp);

  const plan = new LaunchPlan();
  plan.add('PARENT_MODE', opts.wait ? 1 : 0);
  if (opts.preserveFds) plan.add('PRESERVE_FDS', opts.preserveFds);
  if (process.terminal) addConsole(plan, opts.consoleSocket);
  addSeccompAgent(plan, seccomp);
  plan.add('EXEC_FIFO', opts.execFifo);
  if (opts.cgroupSelfJoin) addCgroupSelfJoin(plan, opts.cgroupSelfJoin);
  for (const n of sortForJoin(namespaces.filter((n) => n.path))) plan.add('JOIN_NS', CLONE_NEW[n.type], n.path!);
  if (isNew('time')) {
    const o = linux.timeOffsets ?? {};
    plan.add('NEW_TIME_NS', o.monotonic?.secs ?? 0, o.monotonic?.nanosecs ?? 0, o.boottime?.secs ?? 0, o.boottime?.nanosecs ?? 0);
  }
  let cloneFlags = 0;
  for (const n of namespaces) if (!n.path && n.type !== 'cgroup' && n.type !== 'time') cloneFlags |= CLONE_NEW[n.type];
  plan.add('CLONE', cloneFlags);

  if (isNew('user')) {
    addIdMaps(plan, linux.uidMappings ?? [], linux.gidMappings ?? [], opts.caller, r);
    plan.add('WAIT_MAPS');
  }
  // a cgroup namespace is rooted where the child is when it is made: after the join
  if (isNew('cgroup')) {
    if (opts.cgroups && !opts.cgroupSelfJoin) plan.add('SYNC', Sync.PARENT_SETUP);
    plan.add('UNSHARE', CLONE_NEW.cgroup);
  }
  if (process.oomScoreAdj !== undefined) plan.add('OOM_SCORE_ADJ', String(process.oomScoreAdj));
  if (spec.hostname !== undefined) plan.add('SETHOSTNAME', spec.hostname);
  if (spec.domainname !== undefined) plan.add('SETDOMAINNAME', spec.domainname);
  // runc and crun bring up lo in a network namespace they create; engines rely on it
  if (isNew('network')) plan.add('LOOPBACK_UP');

  plan.add('PREPARE_ROOT', opts.rootfs, MS.SLAVE | MS.REC);
  // Any user namespace but the host's, new or joined, forbids mknod and sysfs mounts.
  const ctx: RootfsContext = {
    spec,
    bundle: opts.bundle,
    host,
    inUserNamespace: ns.has('user'),
    newNetworkNamespace: isNew('network'),
    // in a cgroup namespace a fresh mount shows the container's own cgroup as the root already
    ownCgroupDirs: isNew('cgroup') ? undefined : opts.cgroupDirs,
  };
  const readOnlyLater = addMounts(plan, ctx);
  addDevices(plan, ctx);
  plan.add('MKDIR', process.cwd, 0o755);
  if (needsHookSync(spec)) plan.add('SYNC', Sync.HOOKS);

  plan.add(opts.noPivot || host.rootIsRamfs() ? 'CHROOT' : 'PIVOT_ROOT');
  if (linux.rootfsPropagation) plan.add('ROOT_PROPAGATION', PROPAGATION[linux.rootfsPropagation]!);
  if (process.terminal) plan.add('SETUP_TTY', 1);
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) plan.add('SYSCTL', sysctlPath(key), value);
  for (const path of [...readOnlyLater, ...(linux.readonlyPaths ?? [])]) plan.add('READONLY_PATH', path);
  for (const path of linux.maskedPaths ?? []) plan.add('MASK_PATH', path);
  if (spec.root?.readonly) plan.add('REMOUNT_ROOT_RO');

  if (opts.cgroups) plan.add('SYNC', Sync.RESOURCES);
  addProcess(plan, process, seccomp);
  plan.add('READY');
  plan.add('WAIT_START');
  for (const hook of spec.hooks?.startContainer ?? []) {
    const args = hook.args ?? [hook.path];
    plan.add('HOOK', hook.path, hook.timeout ?? 0, args.length, ...args, ...(hook.env ?? []));
  }
  addLateSeccomp(plan, process, seccomp);
  plan.add('EXEC');
  return plan;
}

/** Where the pty master goes: the caller's console socket, or berth-init's own relay in the foreground. */
export function addConsole(plan: LaunchPlan, consoleSocket: string | undefined): void {
  if (consoleSocket) plan.add('CONSOLE_SOCKET', consoleSocket);
  else plan.add('CONSOLE_RELAY');
}

export function formatIdMap(maps: { containerID: number; hostID: number; size: number }[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

type IdMapping = { containerID: number; hostID: number; size: number };

/** Just the caller's own id, once: what an unprivileged process may write to its child's map itself. */
const onlyOwnId = (maps: IdMapping[], id: number): boolean => maps.length === 1 && maps[0]!.size === 1 && maps[0]!.hostID === id;

/**
 * How the maps get written, as runc does it. Root writes both files. An
 * unprivileged runtime writes a map of just its own id itself (the gid map
 * after "deny" in setgroups, which the kernel requires then), and has the
 * setuid newuidmap/newgidmap write anything else (ranges of /etc/subuid,
 * /etc/subgid).
 */
export function addIdMaps(plan: LaunchPlan, uidMaps: IdMapping[], gidMaps: IdMapping[], caller: MapCaller | undefined, r: JsonReader = JsonReader.root({})): void {
  if (!caller || caller.uid === 0) {
    plan.add('UID_MAP', formatIdMap(uidMaps));
    plan.add('GID_MAP', formatIdMap(gidMaps));
    return;
  }
  const linux = r.field('linux');
  if (onlyOwnId(uidMaps, caller.uid)) plan.add('UID_MAP', formatIdMap(uidMaps));
  else if (caller.newuidmap) plan.add('UID_MAP_HELPER', caller.newuidmap, formatIdMap(uidMaps));
  else linux.field('uidMappings').fail(`maps more than the caller's own uid ${caller.uid}, which an unprivileged runtime can only do through newuidmap, and newuidmap was not found (install Debian's "uidmap" package and give the user a range in /etc/subuid)`);
  if (onlyOwnId(gidMaps, caller.gid)) {
    plan.add('SETGROUPS', 'deny');
    plan.add('GID_MAP', formatIdMap(gidMaps));
  } else if (caller.newgidmap) plan.add('GID_MAP_HELPER', caller.newgidmap, formatIdMap(gidMaps));
  else linux.field('gidMappings').fail(`maps more than the caller's own gid ${caller.gid}, which an unprivileged runtime can only do through newgidmap, and newgidmap was not found (install Debian's "uidmap" package and give the user a range in /etc/subgid)`);
}
