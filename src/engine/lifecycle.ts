import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from '../errors/engine-error.js';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { CgroupManager, memoryCgroup, removeEmptyParents } from '../cgroups/manager.js';
import { cgroupsOf } from '../runtime/cgroups.js';
import { createContainer as runtimeCreate } from '../runtime/create.js';
import { deleteContainer as runtimeDelete, killContainer as runtimeKill, startContainer as runtimeStart } from '../runtime/lifecycle.js';
import { parseSignal } from '../runtime/signals.js';
import { copyTree } from '../sys/copy-tree.js';
import { readProcStat } from '../sys/proc.js';
import type { Container } from './container.js';
import { runDirOf, type EngineContext } from './context.js';
import { readShimExit, readShimPid, ShimWatch } from './monitor.js';
import { thawAfterSignal } from './pause.js';
import { mountContainerRootfs, unmountContainerRootfs } from './rootfs.js';
import { containerCgroupsPath, containerSpec } from './spec-input.js';
import { BinaryRuntime, resolveRuntime } from './runtime-binary.js';
import { lstatOrUndefined } from '../lib/fs.js';
import { ensureEtcFiles } from './etc-files.js';
import { warmCgroupMigration } from '../cgroups/migration-warmup.js';

/**
 * Starting and stopping containers. A running container is a berth-shim
 * (its monitor, outliving berthd) over the container's init; berthd holds
 * a ShimWatch on it and learns of the exit when the watch ends.
 */
export class Lifecycle {
  private readonly watches = new Map<string, ShimWatch>();
  private readonly exitWaiters = new Map<string, (() => void)[]>();
  /** attach requests for a created container: run once its shim exists, before its process starts */
  private readonly beforeStart = new Map<string, StartHook[]>();

  constructor(
    private readonly ctx: EngineContext,
    /** called after an exit is recorded: restart policies, --rm, events */
    private readonly onExit: (c: Container) => Promise<void>,
    /** called when the kernel OOM-kills a process of a running container */
    private readonly onOom: (c: Container) => void = () => undefined,
    /** called once a container runs and is watched: started (`fresh`), or found running after a restart */
    private readonly onRunning: (c: Container, fresh: boolean) => void = () => undefined,
  ) {}

  /** containers whose OOM kills the shim told of while they ran (their exit needs no notice of its own) */
  private readonly oomNoticed = new Set<string>();

  /** Whether an OOM kill of this run was told of already (and forgets it). */
  oomToldOf(id: string): boolean {
    return this.oomNoticed.delete(id);
  }

  private readonly binaryRuntimes = new Map<string, BinaryRuntime>();
  /** starts in progress: a second start of the same container waits for the first rather than racing it */
  private readonly starting = new Map<string, Promise<void>>();

  async start(c: Container): Promise<void> {
    const pending = this.starting.get(c.ID);
    if (pending) return pending.catch(() => undefined);
    const run = this.startOnce(c);
    this.starting.set(c.ID, run);
    try {
      await run;
    } finally {
      this.starting.delete(c.ID);
    }
  }

  private async startOnce(c: Container): Promise<void> {
    if (c.State.Running) return;
    if (c.State.Status === 'removing' || c.State.Dead) throw new EngineError('Conflict', 'CONTAINER_DEAD', `cannot start container ${c.ID.slice(0, 12)}: it is being removed`);
    // a runc-compatible binary joins the container to its cgroups by pid: the wait that takes
    // elapses while the rootfs is mounted (berth's own runtime has the process join itself)
    if (this.binaryRuntimeOf(c)) warmCgroupMigration(this.ctx.runtime.cgroupLayout);
    const runDir = runDirOf(this.ctx, c.ID);
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const containerDir = this.ctx.containers.dir(c.ID);
    ensureEtcFiles(containerDir, c.Config.Hostname ?? c.ID.slice(0, 12), c.HostConfig.NetworkMode === 'host');
    const rootfs = mountContainerRootfs(this.ctx.snapshots, c.ID, containerDir, { disposable: c.HostConfig.AutoRemove === true });
    let created = false;
    try {
      await this.copyUp(c, rootfs);
      makeWorkingDir(rootfs, c.Config.WorkingDir);
      const { spec, warnings } = containerSpec(this.ctx, c, rootfs);
      for (const w of warnings) this.ctx.log.warn(`container ${c.ID.slice(0, 12)}: ${w}`);
      writeFileAtomic(`${runDir}/config.json`, JSON.stringify(spec), { durable: false }); // made again at every start
      const tty = c.Config.Tty === true;
      const logOpts = c.HostConfig.LogConfig?.Config ?? {};
      const shimArgs = [
        '--dir', runDir,
        '--log-path', c.LogPath,
        ...(logOpts['max-size'] ? ['--log-max-size', String(parseSize(logOpts['max-size']))] : []),
        ...(logOpts['max-file'] ? ['--log-max-file', logOpts['max-file']] : []),
        ...(tty ? ['--tty'] : []),
        ...(c.Config.OpenStdin ? ['--stdin'] : []),
        ...(c.Config.OpenStdin && c.Config.StdinOnce ? ['--stdin-once'] : []),
        // an attach that came before the start must see the first output: connect() returns
        // before the shim accepts, and a quick app can print in between; the shim holds the
        // output until its first attach client is in
        ...(this.beforeStart.get(c.ID)?.length ? ['--hold-output'] : []),
        '--reparent',
      ];
      const external = this.binaryRuntimeOf(c);
      let pid = 0;
      if (external) {
        const logMaxSize = logOpts['max-size'] ? parseSize(logOpts['max-size']) : undefined;
        pid = await external.create(
          c.ID,
          runDir,
          { dir: runDir, logPath: c.LogPath, ...(logMaxSize ? { logMaxSize } : {}), ...(logOpts['max-file'] ? { logMaxFile: Number(logOpts['max-file']) } : {}), tty, stdin: c.Config.OpenStdin === true, stdinOnce: c.Config.OpenStdin === true && c.Config.StdinOnce === true },
          tty ? `${runDir}/console.sock` : undefined,
        );
      } else {
        await runtimeCreate(this.ctx.runtime, {
          id: c.ID,
          bundle: runDir,
          noPivot: false,
          preserveFds: 0,
          wait: false,
          consoleSocket: tty ? `${runDir}/console.sock` : undefined,
          stdio: ['ignore', 'ignore', 'inherit'],
          launcher: (command, args) => ({ command: this.ctx.shimPath, args: [...shimArgs, '--', command, ...args] }),
        });
      }
      created = true;
      const hooks = this.beforeStart.get(c.ID) ?? [];
      this.beforeStart.delete(c.ID);
      await Promise.all(hooks.map((h) => h.ready(runDir).catch((err: unknown) => this.ctx.log.warn(`container ${c.ID.slice(0, 12)}: attach: ${(err as Error).message}`))));
      if (external) await external.start(c.ID);
      else pid = (await runtimeStart(this.ctx.runtime, c.ID)).pid;
      const shimPid = await readShimPid(runDir);
      const shimStart = shimPid === undefined ? undefined : readProcStat(shimPid)?.startTime;
      c.State = { ...c.State, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: '0001-01-01T00:00:00Z' };
      if (shimPid !== undefined && shimStart !== undefined) c.Shim = { pid: shimPid, startTime: shimStart };
      delete c.ManuallyStopped;
      this.ctx.containers.save(c);
      this.watch(c, true);
    } catch (err) {
      if (created) await this.deleteRuntimeState(c).catch(() => undefined);
      unmountContainerRootfs(this.ctx.snapshots, c.ID, containerDir);
      rmSync(runDir, { recursive: true, force: true });
      // as dockerd: the container stays created, with the exit code `docker run` reports
      const message = err instanceof Error ? err.message : String(err);
      c.State = { ...c.State, Error: message, ExitCode: startFailureCode(message) };
      this.ctx.containers.save(c);
      for (const h of this.beforeStart.get(c.ID) ?? []) h.failed(err instanceof Error ? err : new Error(message));
      this.beforeStart.delete(c.ID);
      for (const wake of this.exitWaiters.get(c.ID) ?? []) wake();
      this.exitWaiters.delete(c.ID);
      throw err;
    }
  }

  /**
   * A new volume gets the image's files at its mount point, once (Docker's
   * copy-up). The source is followed component by component without
   * symlinks: a link in the image must not make berthd copy host files.
   */
  private async copyUp(c: Container, rootfs: string): Promise<void> {
    let changed = false;
    for (const m of c.Mounts) {
      if (!m.CopyUp) continue;
      delete m.CopyUp;
      changed = true;
      let path = rootfs;
      let plain = true;
      for (const part of m.Destination.split('/').filter(Boolean)) {
        path = `${path}/${part}`;
        const st = lstatOrUndefined(path);
        if (!st || st.isSymbolicLink() || !st.isDirectory()) {
          plain = false;
          break;
        }
      }
      if (!plain || !isEmptyDir(m.Source)) continue;
      rmdirSync(m.Source);
      await copyTree(path, m.Source);
    }
    if (changed) this.ctx.containers.save(c);
  }

  /** Runs `hook` at the container's next start, once its shim listens and before its process runs. */
  onceBeforeStart(id: string, hook: StartHook): void {
    const list = this.beforeStart.get(id) ?? [];
    list.push(hook);
    this.beforeStart.set(id, list);
  }

  /** Watches a running container's shim; used by start and by recovery after a daemon restart. */
  watch(c: Container, fresh = false): void {
    this.watches.get(c.ID)?.close();
    const runDir = runDirOf(this.ctx, c.ID);
    const cgroupDir = this.memoryCgroupOf(c);
    const oom = cgroupDir
      ? {
          cgroupDir,
          onKill: () => {
            this.oomNoticed.add(c.ID);
            this.onOom(c);
          },
          onError: (err: Error) => {
            if (!(err instanceof EngineError && err.code === 'SHIM_GONE')) this.ctx.log.warn(`container ${c.ID.slice(0, 12)}: OOM kills are not watched live: ${err.message}`);
          },
        }
      : undefined;
    this.watches.set(c.ID, new ShimWatch(runDir, () => void this.exited(c.ID), oom));
    this.onRunning(c, fresh);
  }

  /**
   * The memory cgroup of a container under berth's runtime (a binary
   * runtime's are its own): where its spec's cgroupsPath puts it, with no
   * runtime state to read on the way to every start.
   */
  private memoryCgroupOf(c: Container): string | undefined {
    if (c.Runtime !== 'berth') return undefined;
    const layout = this.ctx.runtime.cgroupLayout();
    return memoryCgroup(layout, CgroupManager.dirsFor(layout, c.ID, containerCgroupsPath(c.ID), new Map()))?.dir;
  }

  /** The shim of a running container, to talk to (resize, close-stdin). */
  shimOf(id: string): ShimWatch | undefined {
    return this.watches.get(id);
  }

  /** Records an exit: status from the shim's file, the runtime's state and cgroups gone, the rootfs unmounted. */
  private async exited(id: string): Promise<void> {
    const why = this.watches.get(id)?.error;
    this.watches.delete(id);
    const c = this.ctx.containers.get(id);
    if (!c) return;
    const runDir = runDirOf(this.ctx, id);
    const exit = await readShimExit(runDir).catch(() => undefined);
    if (!exit) this.ctx.log.warn(`container ${id.slice(0, 12)}: its monitor ended without an exit status (${existsSync(runDir) ? `left ${readdirSync(runDir).join(', ') || 'nothing'}` : 'its directory is gone'}${why ? `; the connection failed: ${why.message}` : ''}); recorded as 255`);
    let oom = false;
    try {
      if (c.Runtime === 'berth') oom = (cgroupsOf(this.ctx.runtime, this.ctx.runtime.store.load(id))?.oomKills() ?? 0) > 0;
    } catch {
      // no runtime state: nothing to ask
    }
    await this.deleteRuntimeState(c).catch((err: unknown) => this.ctx.log.warn(`container ${id.slice(0, 12)}: runtime delete: ${(err as Error).message}`));
    try {
      unmountContainerRootfs(this.ctx.snapshots, id, this.ctx.containers.dir(id));
    } catch (err) {
      this.ctx.log.warn(`container ${id.slice(0, 12)}: unmount: ${(err as Error).message}`);
    }
    rmSync(runDir, { recursive: true, force: true });
    c.State = {
      ...c.State,
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: oom,
      Pid: 0,
      // a shim that died without its file: Docker records 255 for an exit it could not see
      ExitCode: exit?.exitCode ?? 255,
      FinishedAt: exit?.finishedAt ?? new Date().toISOString(),
    };
    delete c.Shim;
    this.ctx.containers.save(c);
    for (const wake of this.exitWaiters.get(id) ?? []) wake();
    this.exitWaiters.delete(id);
    await this.onExit(c);
  }

  /** Resolves when the container's next exit has been recorded (at once if it is not running). */
  nextExit(c: Container, evenIfStopped = false): Promise<void> {
    if (!evenIfStopped && !c.State.Running && !this.watches.has(c.ID)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const list = this.exitWaiters.get(c.ID) ?? [];
      list.push(resolve);
      this.exitWaiters.set(c.ID, list);
    });
  }

  async kill(c: Container, signal: string | number): Promise<void> {
    if (!c.State.Running) throw new EngineError('Conflict', 'NOT_RUNNING', `Cannot kill container: ${c.Name.slice(1)}: Container ${c.ID} is not running`);
    const number = typeof signal === 'number' ? signal : parseSignal(String(signal));
    await this.signal(c, number, false);
    await thawAfterSignal(this.ctx, c, number, this.binaryRuntimeOf(c));
  }

  /**
   * `docker stop`: the stop signal, then SIGKILL after the timeout (seconds;
   * -1 waits for ever). Resolves once the exit is recorded.
   */
  async stop(c: Container, timeoutSeconds?: number): Promise<void> {
    if (!c.State.Running) return;
    c.ManuallyStopped = true;
    this.ctx.containers.save(c);
    const exited = this.nextExit(c);
    const timeout = timeoutSeconds ?? c.Config.StopTimeout ?? 10;
    const stopSignal = parseSignal(c.Config.StopSignal || 'SIGTERM');
    try {
      await this.signal(c, stopSignal, false);
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'NOT_RUNNING')) throw err;
    }
    await thawAfterSignal(this.ctx, c, stopSignal, this.binaryRuntimeOf(c));
    if (timeout >= 0) {
      const timedOut = await Promise.race([exited.then(() => false), sleep(timeout * 1000).then(() => true)]);
      if (timedOut) await this.signal(c, 9, true).catch(() => undefined);
    }
    await exited;
  }

  /** The container's runc-compatible runtime binary, unless it runs under berth's own in-process runtime. */
  binaryRuntimeOf(c: Container): BinaryRuntime | undefined {
    if (!c.Runtime || c.Runtime === 'berth') return undefined;
    // one per name: resolving searches PATH, and every start, kill and delete asks
    let runtime = this.binaryRuntimes.get(c.Runtime);
    if (!runtime) {
      runtime = new BinaryRuntime(resolveRuntime(c.Runtime), `${this.ctx.runRoot}/runtimes/${c.Runtime.replace(/[^\w.-]/g, '_')}`);
      this.binaryRuntimes.set(c.Runtime, runtime);
    }
    return runtime;
  }

  private async signal(c: Container, signal: number, all: boolean): Promise<void> {
    const external = this.binaryRuntimeOf(c);
    if (external) await external.kill(c.ID, signal, all);
    else await runtimeKill(this.ctx.runtime, c.ID, signal, all);
  }

  private async deleteRuntimeState(c: Container): Promise<void> {
    const external = this.binaryRuntimeOf(c);
    if (!external) {
      await runtimeDelete(this.ctx.runtime, c.ID, true);
      return;
    }
    await external.delete(c.ID);
    // the binary removed the container's own cgroups, not berth's parent of them
    removeEmptyParents(this.ctx.runtime.cgroupLayout(), containerCgroupsPath(c.ID));
  }

  /** Stops watching (daemon shutdown): running containers go on, under their shims. */
  closeAll(): void {
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }
}

/** What a start's failure after the attach is; `failed` ends the attach. */
export interface StartHook {
  ready: (runDir: string) => Promise<void>;
  failed: (err: Error) => void;
}

/** dockerd's exit codes for a process that could not be started: 127 not found, 126 not executable, 128 otherwise. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|exec format error/i.test(message)) return 126;
  return 128;
}

/** Docker's log-opt sizes: 10m, 1g, 512k, plain bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
  if (!m) throw new EngineError('InvalidArgument', 'BAD_SIZE', `invalid size: ${JSON.stringify(text)}`, { hint: 'a number with an optional unit: 10m, 1g, 512k' });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * unit);
}


function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

/**
 * Docker makes a missing working directory at start, in the read-write
 * layer (so a commit keeps it). Only through plain directories: a symlink
 * on the way is left for the runtime, which resolves it inside the root.
 */
function makeWorkingDir(rootfs: string, workdir: string | undefined): void {
  if (!workdir || workdir === '/') return;
  let dir = rootfs;
  for (const part of workdir.split('/').filter((p) => p && p !== '.')) {
    if (part === '..') return;
    dir = `${dir}/${part}`;
    const st = lstatOrUndefined(dir);
    if (st?.isDirectory()) continue;
    if (st) return;
    mkdirSync(dir, { mode: 0o755 });
  }
}
