import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from '../errors/engine-error.js';
import { parseDigest } from '../lib/digest.js';
import { isAlive, signalProcess } from '../sys/proc.js';
import type { Container } from './container.js';
import { runDirOf, type EngineContext } from './context.js';
import { createContainer, type CreateRequest, type CreateResult, type MountResolver } from './create.js';
import { Lifecycle } from './lifecycle.js';
import { reconcile } from './recovery.js';
import { readLogs, type LogEntry, type LogOptions } from './logs.js';
import { checkContainerName } from './names.js';
import { mergedDir, removeContainerLayers, unmountContainerRootfs } from './rootfs.js';
import { Execs, type ExecConfig } from './exec.js';
import { goDuration, HealthMonitors, probeOutput, type ProbeResult } from './health.js';
import { connectSocket, shimRequest } from './monitor.js';
import { pauseContainer, unpauseContainer } from './pause.js';
import { topContainer, type TopResult } from './top.js';
import { resolveUser } from './spec/user.js';
import type { Socket } from 'node:net';
import { inspectContainer, summarizeContainer } from './views.js';

export interface EngineEvent {
  Type: 'container';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

export interface ListOptions {
  all?: boolean;
  size?: boolean;
  filters?: Record<string, string[]>;
  limit?: number;
}

/**
 * The container engine: Docker's container operations over the stores,
 * the snapshotter and the runtime. One instance per berthd; the API calls
 * it. Emits 'event' (EngineEvent) for `docker events`.
 */
export class Engine extends EventEmitter {
  readonly lifecycle: Lifecycle;
  readonly execs: Execs;
  /** `wait --condition removed` callers, woken when the container is removed */
  private readonly removeWaiters = new Map<string, (() => void)[]>();
  /** restart back-off per container: the delay before the next restart */
  private readonly backoff = new Map<string, number>();

  constructor(
    readonly ctx: EngineContext,
    private readonly resolveMounts: MountResolver,
    private readonly removeVolumes: (c: Container) => Promise<void> = async () => undefined,
  ) {
    super();
    this.lifecycle = new Lifecycle(
      ctx,
      (c) => this.afterExit(c),
      (c) => this.event(c, 'oom'),
      (c, fresh) => this.health.watch(c, fresh),
    );
    this.execs = new Execs(
      ctx,
      (c, user) => {
        const u = resolveUser(mergedDir(ctx.snapshots, c.ID, ctx.containers.dir(c.ID)), user);
        return `${u.uid}:${u.gid}`;
      },
      (c) => this.lifecycle.binaryRuntimeOf(c),
    );
  }

  /** Docker's health checks (health.ts): each probe an exec, with the exec events dockerd gives it. */
  private readonly health = new HealthMonitors(
    (c, cmd, timeoutNs) => this.probe(c, cmd, timeoutNs),
    (c, status) => this.event(c, `health_status: ${status}`),
    (c) => void this.ctx.containers.save(c),
  );

  private async probe(c: Container, cmd: string[], timeoutNs: number): Promise<ProbeResult> {
    const id = this.execCreate(c.ID, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const e = this.execs.get(id);
    try {
      await this.execStart(id);
    } catch (err) {
      this.execs.discard(id);
      throw err;
    }
    void e.done.then(() => this.execs.discard(id));
    const output = probeOutput(`${e.dir}/attach.sock`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutNs / 1e6).unref();
      void e.done.then(() => resolve(false));
    });
    clearTimeout(timer);
    if (timedOut) {
      if (e.Pid) signalProcess(e.Pid, 'SIGKILL');
      return { exitCode: -1, output: `Health check exceeded timeout (${goDuration(timeoutNs)})` };
    }
    return { exitCode: e.ExitCode ?? -1, output: await output };
  }

  private event(c: Container, action: string, extra: Record<string, string> = {}): void {
    const now = Date.now();
    this.emit('event', { Type: 'container', Action: action, Actor: { ID: c.ID, Attributes: { image: c.ImageRef, name: c.Name.slice(1), ...(c.Config.Labels ?? {}), ...extra } }, time: Math.floor(now / 1000), timeNano: now * 1e6 } satisfies EngineEvent);
  }

  get(ref: string): Container {
    return this.ctx.containers.resolve(ref);
  }

  async create(req: CreateRequest): Promise<CreateResult> {
    const result = await createContainer(this.ctx, req, this.resolveMounts);
    this.event(this.get(result.Id), 'create');
    return result;
  }

  async start(ref: string): Promise<'started' | 'already'> {
    const c = this.get(ref);
    if (c.State.Running) return 'already';
    try {
      await this.lifecycle.start(c);
    } catch (err) {
      // --rm: a container that could not start goes too, as with dockerd
      if (c.HostConfig.AutoRemove) await this.remove(c.ID, { force: true, volumes: true }).catch(() => undefined);
      throw err;
    }
    this.event(c, 'start');
    return 'started';
  }

  async stop(ref: string, timeout?: number): Promise<'stopped' | 'already'> {
    const c = this.get(ref);
    this.backoff.delete(c.ID);
    if (!c.State.Running) {
      if (!c.State.Restarting) return 'already';
      // between two runs of a restart policy: the pending restart is called off
      c.ManuallyStopped = true;
      c.State = { ...c.State, Restarting: false, Status: 'exited' };
      this.ctx.containers.save(c);
      this.event(c, 'stop');
      return 'stopped';
    }
    await this.lifecycle.stop(c, timeout);
    this.event(c, 'stop');
    return 'stopped';
  }

  /** Containers a restart stops: not auto-removed by that stop (Docker restarts a --rm container). */
  private readonly restarting = new Set<string>();

  async restart(ref: string, timeout?: number): Promise<void> {
    const c = this.get(ref);
    this.restarting.add(c.ID);
    try {
      if (c.State.Running) await this.lifecycle.stop(c, timeout);
    } finally {
      this.restarting.delete(c.ID);
    }
    await this.lifecycle.start(c);
    this.event(c, 'restart');
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const c = this.get(ref);
    c.ManuallyStopped = true;
    this.ctx.containers.save(c);
    await this.lifecycle.kill(c, signal);
    this.event(c, 'kill', { signal });
  }

  /** `docker wait`: resolves with the exit code once the container is not running (condition "not-running", "next-exit"). */
  async wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed' = 'not-running'): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
    const c = this.get(ref);
    // next-exit also ends with a start that fails (docker run waits before it starts)
    if (condition === 'next-exit' || c.State.Running) await this.lifecycle.nextExit(c, condition === 'next-exit');
    if (condition === 'removed' && this.ctx.containers.get(c.ID)) {
      await new Promise<void>((resolve) => {
        const list = this.removeWaiters.get(c.ID) ?? [];
        list.push(resolve);
        this.removeWaiters.set(c.ID, list);
      });
    }
    return { StatusCode: c.State.ExitCode, Error: null };
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c = this.get(ref);
    this.health.stop(c.ID);
    if (c.State.Running) {
      if (!opts.force) {
        throw new EngineError('Conflict', 'CONTAINER_RUNNING', `You cannot remove a running container ${c.ID}. Stop the container before attempting removal or force remove`);
      }
      c.ManuallyStopped = true;
      const exited = this.lifecycle.nextExit(c);
      await this.lifecycle.kill(c, 'SIGKILL').catch(() => undefined);
      await exited;
    }
    if (c.State.Status === 'removing') return;
    c.State = { ...c.State, Status: 'removing' };
    this.ctx.containers.save(c);
    unmountContainerRootfs(this.ctx.snapshots, c.ID, this.ctx.containers.dir(c.ID));
    removeContainerLayers(this.ctx.snapshots, c.ID);
    rmSync(runDirOf(this.ctx, c.ID), { recursive: true, force: true });
    if (opts.volumes) await this.removeVolumes(c);
    await this.ctx.containers.remove(c.ID);
    for (const wake of this.removeWaiters.get(c.ID) ?? []) wake();
    this.removeWaiters.delete(c.ID);
    this.backoff.delete(c.ID);
    this.event(c, 'destroy');
  }

  rename(ref: string, newName: string): void {
    const c = this.get(ref);
    const name = checkContainerName(newName);
    if (`/${name}` === c.Name) {
      throw new EngineError('InvalidArgument', 'SAME_NAME', `Renaming a container with the same name as its current name`);
    }
    this.ctx.containers.checkNameFree(name);
    const old = c.Name;
    c.Name = `/${name}`;
    this.ctx.containers.save(c);
    this.event(c, 'rename', { oldName: old });
  }

  inspect(ref: string): Record<string, unknown> {
    return inspectContainer(this.ctx, this.get(ref));
  }

  list(opts: ListOptions = {}): Record<string, unknown>[] {
    let list = this.ctx.containers.list().sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
    if (!opts.all) list = list.filter((c) => c.State.Running);
    list = list.filter((c) => matchesFilters(c, opts.filters ?? {}));
    if (opts.limit !== undefined && opts.limit > 0) list = list.slice(0, opts.limit);
    return list.map((c) => summarizeContainer(c, opts.size ? this.sizes(c) : undefined));
  }

  private sizes(c: Container): { rw: number; rootFs: number } {
    let rw = 0;
    let rootFs = 0;
    try {
      rw = this.ctx.snapshots.usage(c.ID);
      const image = this.ctx.images.ctx.images.get(parseDigest(c.Image));
      rootFs = rw + (image?.layers.reduce((sum, l) => sum + (this.ctx.snapshots.stat(l.chainId) ? this.ctx.snapshots.usage(l.chainId) : 0), 0) ?? 0);
    } catch {
      // a layer gone meanwhile: what was counted
    }
    return { rw, rootFs };
  }

  /**
   * A connection to the container's output and stdin (its shim's attach
   * socket). For a container not started yet it is made at its start,
   * before its process runs, so no output is missed (docker run attaches,
   * then starts).
   */
  attachSocket(ref: string): Promise<Socket> {
    const c = this.get(ref);
    if (c.State.Running) return connectSocket(`${runDirOf(this.ctx, c.ID)}/attach.sock`);
    return new Promise<Socket>((resolve, reject) => {
      this.lifecycle.onceBeforeStart(c.ID, {
        ready: async (runDir) => {
          try {
            resolve(await connectSocket(`${runDir}/attach.sock`));
          } catch (err) {
            reject(err);
          }
        },
        failed: reject,
      });
    });
  }

  async resize(ref: string, rows: number, cols: number): Promise<void> {
    const c = this.get(ref);
    if (!c.State.Running) throw new EngineError('Conflict', 'NOT_RUNNING', `Container ${c.ID} is not running`);
    await this.lifecycle.shimOf(c.ID)?.request(`resize ${rows} ${cols}`);
  }

  execCreate(ref: string, config: ExecConfig): string {
    const c = this.get(ref);
    const id = this.execs.create(c, config);
    this.event(c, `exec_create: ${config.Cmd.join(' ')}`);
    return id;
  }

  async execStart(execId: string, detach = false): Promise<void> {
    const e = this.execs.get(execId);
    const c = this.get(e.ContainerID);
    await this.execs.start(e, c, detach);
    this.event(c, `exec_start: ${e.Config.Cmd.join(' ')}`);
    void e.done.then(() => this.event(c, 'exec_die', { execID: e.ID, exitCode: String(e.ExitCode) }));
  }

  async execResize(execId: string, rows: number, cols: number): Promise<void> {
    const e = this.execs.get(execId);
    if (!e.Running) throw new EngineError('Conflict', 'EXEC_NOT_RUNNING', `exec ${execId} is not running`);
    await shimRequest(e.dir, `resize ${rows} ${cols}`);
  }

  logs(ref: string, opts: LogOptions, signal?: AbortSignal): { tty: boolean; entries: AsyncGenerator<LogEntry> } {
    const c = this.get(ref);
    const done = c.State.Running ? this.lifecycle.nextExit(c) : Promise.resolve();
    return { tty: c.Config.Tty === true, entries: readLogs(c.LogPath, opts, done, signal) };
  }

  /** After an exit: --rm removes, a restart policy restarts (with Docker's doubling back-off from 100 ms). */
  private async afterExit(c: Container): Promise<void> {
    // Docker's order: oom (its monitor saw the kill), then die. The shim tells of kills as they
    // happen; one it could not (before berthd asked, or while berthd was down) shows in the count
    if (!this.lifecycle.oomToldOf(c.ID) && c.State.OOMKilled) this.event(c, 'oom');
    if (c.State.Health) {
      this.health.stopped(c);
      void this.ctx.containers.save(c);
    }
    this.event(c, 'die', { exitCode: String(c.State.ExitCode) });
    if (c.HostConfig.AutoRemove && !this.restarting.has(c.ID)) {
      await this.remove(c.ID, { volumes: true }).catch((err: unknown) => this.ctx.log.warn(`auto-remove ${c.ID.slice(0, 12)}: ${(err as Error).message}`));
      return;
    }
    if (!this.shouldRestart(c)) return;
    const delay = this.backoff.get(c.ID) ?? 100;
    this.backoff.set(c.ID, Math.min(delay * 2, 60_000));
    c.State = { ...c.State, Restarting: true, Status: 'restarting' };
    this.ctx.containers.save(c);
    await sleep(delay);
    const now = this.ctx.containers.get(c.ID);
    if (!now || !now.State.Restarting || now.ManuallyStopped) return;
    now.RestartCount++;
    try {
      await this.lifecycle.start(now);
      this.event(now, 'start');
    } catch (err) {
      now.State = { ...now.State, Restarting: false, Status: 'exited', Error: (err as Error).message };
      this.ctx.containers.save(now);
    }
  }

  private shouldRestart(c: Container): boolean {
    if (c.ManuallyStopped) return false;
    const policy = c.HostConfig.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 };
    switch (policy.Name) {
      case 'always':
      case 'unless-stopped':
        return true;
      case 'on-failure':
        return c.State.ExitCode !== 0 && (!policy.MaximumRetryCount || c.RestartCount < policy.MaximumRetryCount);
      default:
        return false;
    }
  }

  /**
   * After berthd (re)starts: containers whose shim is alive are watched
   * again (their exits while berthd was away are in the shims' files);
   * those recorded as running whose shim is gone get their exit recorded.
   * A create or start that was cut short leaves a container in 'created'.
   */
  async recover(): Promise<void> {
    const adopted = await reconcile(this.ctx);
    for (const c of this.ctx.containers.list()) {
      if (c.State.Status === 'removing') {
        await this.remove(c.ID, { force: true }).catch((err: unknown) => this.ctx.log.warn(`remove ${c.ID.slice(0, 12)}: ${(err as Error).message}`));
        continue;
      }
      if (!c.State.Running) continue;
      const alive = c.Shim !== undefined && isAlive(c.Shim.pid, c.Shim.startTime);
      // a dead shim still gets a watch: its connection fails at once, and the exit is recorded the usual way
      if (!alive) this.ctx.log.info(`container ${c.ID.slice(0, 12)} ended while berthd was down`);
      else if (adopted.includes(c)) this.ctx.log.info(`container ${c.ID.slice(0, 12)} had started as berthd ended: adopted`);
      this.lifecycle.watch(c);
    }
  }

  close(): void {
    this.health.stopAll();
    this.lifecycle.closeAll();
  }

  /** `docker pause` / `unpause` / `top` (pause.ts, top.ts), each with its event. */
  async pause(ref: string): Promise<void> {
    const c = this.get(ref);
    await pauseContainer(this.ctx, c, this.lifecycle.binaryRuntimeOf(c));
    this.event(c, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const c = this.get(ref);
    await unpauseContainer(this.ctx, c, this.lifecycle.binaryRuntimeOf(c));
    this.event(c, 'unpause');
  }

  top(ref: string, psArgs?: string): TopResult {
    const c = this.get(ref);
    const result = topContainer(this.ctx, c, psArgs);
    this.event(c, 'top');
    return result;
  }
}

function matchesFilters(c: Container, filters: Record<string, string[]>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const ok = values.some((v) => {
      switch (key) {
        case 'id':
          return c.ID.startsWith(v);
        case 'name':
          return new RegExp(v).test(c.Name.slice(1)) || c.Name === v;
        case 'status':
          return (c.State.Paused ? 'paused' : c.State.Status) === v;
        case 'exited':
          return c.State.Status === 'exited' && String(c.State.ExitCode) === v;
        case 'label': {
          const [k, val] = v.split('=', 2) as [string, string | undefined];
          const labels = c.Config.Labels ?? {};
          return k in labels && (val === undefined || labels[k] === val);
        }
        case 'ancestor':
          return c.ImageRef === v || c.Image === v || c.Image.startsWith(`sha256:${v}`);
        case 'health':
          // dockerd's: starting, healthy, unhealthy, or none (no healthcheck)
          if (!['starting', 'healthy', 'unhealthy', 'none'].includes(v)) throw new EngineError('InvalidArgument', 'BAD_FILTER', `Unrecognised filter value for health: ${v}`);
          return (c.State.Health?.Status ?? 'none') === v;
        default:
          throw new EngineError('InvalidArgument', 'BAD_FILTER', `invalid filter '${key}'`);
      }
    });
    if (!ok) return false;
  }
  return true;
}
