import { userInfo } from 'node:os';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { OCI_VERSION, type Spec, type State } from '../spec/oci-runtime.js';
import { InitProcess, type InitOptions } from '../sys/init-process.js';
import { readProcStat, signalProcess } from '../sys/proc.js';
import type { CgroupManager } from '../cgroups/manager.js';
import { loadBundle } from './bundle.js';
import { cgroupMountSources, createCgroups, hostHasCgroups, planCgroups, rootlessCanUseCgroups } from './cgroups.js';
import { cgroupSelfJoin } from './plan/cgroup-join.js';
import { withDefaultDeviceRules } from './config/default-device-rules.js';
import { withHome } from './config/home.js';
import type { RuntimeContext } from './context.js';
import { runHooks } from './hooks.js';
import { seccompAgentMessage } from './seccomp-agent.js';
import { compileCreate } from './plan/compile-create.js';
import { isRootless, mapCaller } from './rootless.js';
import { Sync } from '../sys/native-protocol.generated.js';
import type { ContainerRecord } from './state-store.js';
import { warmCgroupMigration } from '../cgroups/migration-warmup.js';

export interface CreateRequest {
  id: string;
  bundle: string;
  pidFile?: string | undefined;
  consoleSocket?: string | undefined;
  noPivot: boolean;
  preserveFds: number;
  /** Keep berth-init to report the app's exit (`run` in the foreground). */
  wait: boolean;
  /** berth-init's stdio, which the app inherits: the caller's by default. */
  stdio?: InitOptions['stdio'];
  /** Runs berth-init through a monitor (the engine's shim): see InitOptions. */
  launcher?: InitOptions['launcher'];
}

export interface Created {
  record: ContainerRecord;
  init: InitProcess;
}

/**
 * Joins the child to its cgroups while it sets itself up, awaited at its
 * PARENT_SETUP sync point (a child that is gone already, ESRCH, failed on
 * its own and reports why itself): the writes run on the thread pool in parallel, overlapping the
 * child's own setup, and the event loop stays free (berthd serves other
 * requests meanwhile).
 */
export function startJoin(cgroups: CgroupManager | undefined, pid: number): Promise<void> {
  if (!cgroups) return Promise.resolve();
  const joined = cgroups.joinAsync(pid).catch((err: unknown) => {
    if (!(err instanceof EngineError && errnoOf(err.cause) === 'ESRCH')) throw err;
  });
  joined.catch(() => undefined); // awaited at the sync point; a child that died first reports its own error
  return joined;
}

/** What this host cannot enforce is refused, never silently skipped. */
function refuseUnenforceable(spec: Spec): void {
  if (spec.process?.apparmorProfile) {
    throw new EngineError('NotImplemented', 'NO_APPARMOR', `process.apparmorProfile: AppArmor is not available on this host, so profile ${JSON.stringify(spec.process.apparmorProfile)} cannot be applied`, { hint: 'remove apparmorProfile from config.json' });
  }
  if (spec.process?.selinuxLabel) {
    throw new EngineError('NotImplemented', 'NO_SELINUX', `process.selinuxLabel: SELinux is not available on this host, so label ${JSON.stringify(spec.process.selinuxLabel)} cannot be applied`, { hint: 'remove selinuxLabel from config.json' });
  }
  if (spec.linux?.intelRdt) throw new EngineError('NotImplemented', 'NO_INTEL_RDT', 'linux.intelRdt: Intel RDT is not supported by berth-runtime');
}

/**
 * `create`: everything but the app's execve. The container waits on its
 * exec fifo for `start`. A failure at any step leaves nothing: the state
 * directory is removed and the half-made container killed (its mounts live
 * in its own mount namespace and go with it).
 */
export async function createContainer(ctx: RuntimeContext, req: CreateRequest): Promise<Created> {
  const bundle = loadBundle(req.bundle);
  const { spec } = bundle;
  refuseUnenforceable(spec);
  const execFifo = ctx.store.fifoPath(req.id);
  // HOME goes into what is launched, not the stored spec: exec computes its own for its user.
  const launched = spec.process ? { ...spec, process: { ...spec.process, env: withHome(spec.process.env, bundle.rootfs, spec.process.user.uid) } } : spec;
  // rootless without a delegated cgroup: none at all (refused when limits are asked for), as runc
  const useCgroups = hostHasCgroups(ctx) && rootlessCanUseCgroups(ctx, req.id, spec);
  // joined by path before the clone: clone3's CLONE_INTO_CGROUP is checked in those (see cgroupSelfJoin)
  const joinsUserOrCgroupNs = spec.linux?.namespaces?.some((n) => (n.type === 'user' || n.type === 'cgroup') && n.path) === true;
  const planned = useCgroups ? planCgroups(ctx, req.id, spec) : undefined;
  const selfJoin = planned ? cgroupSelfJoin(planned.dirs, isRootless(), joinsUserOrCgroupNs) : undefined;
  if (planned && !selfJoin) warmCgroupMigration(ctx.cgroupLayout); // node's join by pid comes in a moment: see there
  const plan = compileCreate(
    launched,
    {
      bundle: bundle.dir,
      rootfs: bundle.rootfs,
      execFifo,
      consoleSocket: req.consoleSocket,
      noPivot: req.noPivot,
      preserveFds: req.preserveFds,
      wait: req.wait,
      cgroups: useCgroups,
      cgroupDirs: planned ? cgroupMountSources(ctx, planned.dirs) : undefined,
      cgroupSelfJoin: selfJoin,
      caller: mapCaller(),
    },
    ctx.host,
  );
  ctx.store.reserve(req.id);
  const stateFor = (pid: number): State => ({ ociVersion: OCI_VERSION, id: req.id, status: 'creating', pid, bundle: bundle.dir, annotations: spec.annotations ?? {} });
  // The cgroups before the child: it joins them first thing (or node does, by pid). Where
  // they go is noted before they are made, so a create cut short anywhere leaves none behind.
  let cgroups: CgroupManager | undefined;
  try {
    if (planned) {
      ctx.store.savePendingCgroups(req.id, planned);
      cgroups = await createCgroups(ctx, planned);
      ctx.store.savePendingCgroups(req.id, cgroups.record);
    }
  } catch (err) {
    ctx.store.remove(req.id);
    throw err;
  }
  let joining: Promise<void> = Promise.resolve();
  const init = new InitProcess(plan.encode(), {
    preserveFds: req.preserveFds,
    ...(req.stdio ? { stdio: req.stdio } : {}),
    ...(req.launcher ? { launcher: req.launcher } : {}),
    onWarning: (text) => ctx.log.warn(text),
    onPid: (pid) => {
      if (!selfJoin) joining = startJoin(cgroups, pid);
    },
    onSync: async (id, pid) => {
      // a failure is reported as it is; the catch below kills the child, then removes the cgroups
      // The child waits at its first sync point after the pid (PARENT_SETUP with a cgroup
      // namespace, else RESOURCES or HOOKS) until it is in its cgroups.
      await joining;
      if (id === Sync.PARENT_SETUP) return;
      if (id === Sync.SECCOMP_AGENT) return seccompAgentMessage(pid, stateFor(pid), spec.linux?.seccomp);
      if (id === Sync.RESOURCES) {
        cgroups?.apply(withDefaultDeviceRules(spec.linux?.resources), { update: false });
        return;
      }
      if (id !== Sync.HOOKS) return;
      const state = stateFor(pid);
      await runHooks('prestart', spec.hooks?.prestart, state);
      await runHooks('createRuntime', spec.hooks?.createRuntime, state);
      await runHooks('createContainer', spec.hooks?.createContainer, state, pid);
    },
  });
  try {
    const pid = await init.ready;
    await joining; // a plan without sync points: the app still waits for start, so this is in time
    const stat = readProcStat(pid);
    if (!stat) throw new EngineError('Internal', 'INIT_DIED', `container process ${pid} exited during create`);
    const record: ContainerRecord = {
      id: req.id,
      pid,
      startTime: stat.startTime,
      bundle: bundle.dir,
      rootfs: bundle.rootfs,
      created: new Date().toISOString(),
      owner: userInfo().username,
      annotations: spec.annotations ?? {},
      spec,
    };
    if (cgroups) record.cgroup = cgroups.record;
    ctx.store.save(record);
    if (req.pidFile) writeFileAtomic(req.pidFile, String(pid), { durable: false });
    if (!req.wait) await init.exited;
    return { record, init };
  } catch (err) {
    init.abort();
    if (init.pid) signalProcess(init.pid, 'SIGKILL');
    await init.exited;
    await cgroups?.destroy();
    ctx.store.remove(req.id);
    throw err;
  }
}
