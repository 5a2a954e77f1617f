import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { EngineError } from '../errors/engine-error.js';
import { parseDetachKeys } from '../lib/detach-keys.js';
import { execInContainer } from '../runtime/exec.js';
import type { Container } from './container.js';
import type { Spec } from '../spec/oci-runtime.js';
import { runDirOf, type EngineContext } from './context.js';
import type { BinaryRuntime } from './runtime-binary.js';
import { readShimExit, ShimWatch } from './monitor.js';
import { warmCgroupMigration } from '../cgroups/migration-warmup.js';
import { removeTree } from '../sys/fs-tasks.js';

/** What POST /containers/{id}/exec takes (Docker's ExecConfig). */
export interface ExecConfig {
  Cmd: string[];
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Privileged?: boolean;
  DetachKeys?: string;
}

/** An exec instance (GET /exec/{id}/json). Kept in memory, as dockerd keeps them. */
export interface ExecInstance {
  ID: string;
  ContainerID: string;
  Config: ExecConfig;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  /** the exec's shim directory: attach.sock, control.sock, exit */
  dir: string;
  done: Promise<void>;
}

/** Resolves the -u of an exec to uid[:gid] as the runtime takes it (names through the container's /etc/passwd). */
export type UserResolver = (c: Container, user: string) => string;

/**
 * `docker exec`: each exec runs under a berth-shim of its own (the shim
 * becomes its parent, holds its stdio and records its exit), joined to the
 * container's namespaces and cgroups by berth-init's exec plan.
 */
export class Execs {
  private readonly all = new Map<string, ExecInstance>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly resolveUser: UserResolver,
    /** the container's runc-compatible binary, when it does not run under berth's own runtime */
    private readonly binaryRuntimeOf: (c: Container) => BinaryRuntime | undefined = () => undefined,
  ) {}

  create(c: Container, config: ExecConfig): string {
    if (!c.State.Running) throw new EngineError('Conflict', 'NOT_RUNNING', `Container ${c.ID} is not running`);
    if (c.State.Paused) throw new EngineError('Conflict', 'PAUSED', `Container ${c.ID} is paused, unpause the container before exec`);
    if (!config.Cmd?.length) throw new EngineError('InvalidArgument', 'NO_EXEC_COMMAND', 'No exec command specified');
    if (config.DetachKeys) parseDetachKeys(config.DetachKeys); // refused now, as dockerd does, not at start
    if (this.binaryRuntimeOf(c)) warmCgroupMigration(this.ctx.runtime.cgroupLayout); // the binary's join by pid follows in a moment
    const id = randomBytes(32).toString('hex');
    // short, as runDirOf's: socket paths must fit in 107 bytes
    const dir = `${this.ctx.runRoot}/e/${id.slice(0, 16)}`;
    this.all.set(id, { ID: id, ContainerID: c.ID, Config: config, Running: false, ExitCode: null, Pid: 0, dir, done: Promise.resolve() });
    return id;
  }

  get(id: string): ExecInstance {
    const e = this.all.get(id);
    if (!e) throw new EngineError('NotFound', 'NO_SUCH_EXEC', `No such exec instance: ${id}`);
    return e;
  }

  /** Starts the process; resolves once it runs. `done` resolves when its exit is recorded. */
  async start(e: ExecInstance, c: Container, detach = false): Promise<void> {
    if (e.Running || e.ExitCode !== null) throw new EngineError('Conflict', 'EXEC_STARTED', `Error: Exec command ${e.ID} is already running`);
    if (!c.State.Running) throw new EngineError('Conflict', 'NOT_RUNNING', `Container ${c.ID} is not running`);
    if (this.binaryRuntimeOf(c)) warmCgroupMigration(this.ctx.runtime.cgroupLayout);
    // the directory of a new exec ID (a second start is refused above)
    mkdirSync(e.dir, { recursive: true, mode: 0o700 });
    const tty = e.Config.Tty === true;
    // attached: the output is held until the caller's attach connects (the process runs before it can)
    const shimArgs = ['--dir', e.dir, ...(tty ? ['--tty'] : []), ...(e.Config.AttachStdin && !detach ? ['--stdin', '--stdin-once'] : []), ...(detach ? [] : ['--hold-output']), '--reparent'];
    const user = e.Config.User ? this.resolveUser(c, e.Config.User) : undefined;
    const external = this.binaryRuntimeOf(c);
    try {
      if (external) {
        // the container's own process, changed as `docker exec` asks, for the binary's exec --process
        const spec = JSON.parse(readFileSync(`${runDirOf(this.ctx, c.ID)}/config.json`, 'utf8')) as Spec;
        const base = spec.process ?? { user: { uid: 0, gid: 0 }, cwd: '/' };
        const [uid, gid] = (user ?? '').split(':').map(Number);
        const proc = {
          ...base,
          args: e.Config.Cmd,
          terminal: tty,
          env: [...(base.env ?? []), ...(e.Config.Env ?? [])],
          cwd: e.Config.WorkingDir || base.cwd,
          ...(user ? { user: { ...base.user, uid: uid!, gid: gid ?? base.user.gid } } : {}),
        };
        writeFileSync(`${e.dir}/process.json`, JSON.stringify(proc));
        e.Pid = await external.exec(c.ID, `${e.dir}/process.json`, { dir: e.dir, tty, stdin: e.Config.AttachStdin === true && !detach, stdinOnce: e.Config.AttachStdin === true && !detach, holdOutput: !detach }, tty ? `${e.dir}/console.sock` : undefined);
      } else {
        await execInContainer(this.ctx.runtime, {
          id: c.ID,
          args: e.Config.Cmd,
          tty,
          cwd: e.Config.WorkingDir || undefined,
          env: e.Config.Env ?? [],
          user,
          caps: e.Config.Privileged ? ['CAP_SYS_ADMIN'] : [],
          noNewPrivs: false,
          detach: true,
          consoleSocket: tty ? `${e.dir}/console.sock` : undefined,
          preserveFds: 0,
          onPid: (pid) => (e.Pid = pid),
          stdio: ['ignore', 'ignore', 'inherit'],
          launcher: (command, args) => ({ command: this.ctx.shimPath, args: [...shimArgs, '--', command, ...args] }),
        });
      }
    } catch (err) {
      rmSync(e.dir, { recursive: true, force: true });
      e.ExitCode = 126; // dockerd's code for an exec whose process could not be started
      throw err;
    }
    e.Running = true;
    e.done = new Promise<void>((resolve) => {
      new ShimWatch(e.dir, () => {
        void readShimExit(e.dir)
          .catch(() => undefined)
          .then((exit) => {
            e.Running = false;
            e.ExitCode = exit?.exitCode ?? 126;
            resolve();
            // after the waiter has its answer: the directory is only the shim's, and gone with it
            void removeTree(e.dir).catch(() => undefined);
          });
      });
    });
  }

  inspect(e: ExecInstance): Record<string, unknown> {
    return {
      ID: e.ID,
      Running: e.Running,
      ExitCode: e.ExitCode,
      ProcessConfig: { tty: e.Config.Tty === true, entrypoint: e.Config.Cmd[0], arguments: e.Config.Cmd.slice(1), privileged: e.Config.Privileged === true, ...(e.Config.User ? { user: e.Config.User } : {}) },
      OpenStdin: e.Config.AttachStdin === true,
      OpenStderr: e.Config.AttachStderr === true,
      OpenStdout: e.Config.AttachStdout === true,
      CanRemove: false,
      ContainerID: e.ContainerID,
      DetachKeys: e.Config.DetachKeys ?? '',
      Pid: e.Pid,
    };
  }

  /** Drops an exec instance once it has ended (a health probe's: nobody asks for it after). */
  discard(id: string): void {
    const e = this.all.get(id);
    if (e && !e.Running) this.all.delete(id);
  }

  /** Exec instances of a container that has gone (Docker drops them too). */
  forget(containerId: string): void {
    for (const [id, e] of this.all) if (e.ContainerID === containerId && !e.Running) this.all.delete(id);
  }
}
