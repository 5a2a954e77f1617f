import { readFileSync } from 'node:fs';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { writeFileAtomic } from '../lib/atomic-write.js';
import type { Process } from '../spec/oci-runtime.js';
import { InitProcess, type InitOptions } from '../sys/init-process.js';
import { Sync } from '../sys/native-protocol.generated.js';
import { JsonReader } from './config/json-reader.js';
import { withHome } from './config/home.js';
import { parseProcess } from './config/parse-spec.js';
import { cgroupsOf, stateOf, statusOf } from './cgroups.js';
import { startJoin } from './create.js';
import type { RuntimeContext } from './context.js';
import { forwardSignals } from './forward-signals.js';
import { decodeWaitStatus } from './hooks.js';
import { compileExec, joinsNamespace } from './plan/compile-exec.js';
import { cgroupSelfJoin } from './plan/cgroup-join.js';
import { isRootless } from './rootless.js';
import { seccompAgentMessage } from './seccomp-agent.js';
import { warmCgroupMigration } from '../cgroups/migration-warmup.js';

export interface ExecRequest {
  id: string;
  /** A process.json, or else the container's own process with these changes. */
  processFile?: string | undefined;
  args: string[];
  tty: boolean;
  cwd?: string | undefined;
  env: string[];
  user?: string | undefined;
  caps: string[];
  noNewPrivs: boolean;
  detach: boolean;
  pidFile?: string | undefined;
  /** Told the process's pid once it is set up (an in-process caller's pid file). */
  onPid?: ((pid: number) => void) | undefined;
  consoleSocket?: string | undefined;
  preserveFds: number;
  /** berth-init's stdio, which the process inherits: the caller's by default. */
  stdio?: InitOptions['stdio'];
  /** Runs berth-init through a monitor (the engine's shim, which with detach becomes the process's parent). */
  launcher?: InitOptions['launcher'];
}

function readProcessFile(path: string): Process {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw new EngineError('NotFound', 'NO_PROCESS_FILE', `process file ${JSON.stringify(path)} does not exist`);
    throw new EngineError('InvalidArgument', 'INVALID_CONFIG', `${path}: not valid JSON: ${(err as Error).message}`);
  }
  const process = parseProcess(new JsonReader(json, 'process'));
  if (!process.args) new JsonReader(json, 'process').field('args').fail('is required: name the program to run');
  return process;
}

/** "uid", "uid:gid" → user fields. */
function parseUser(text: string): { uid: number; gid?: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!m) throw new EngineError('InvalidArgument', 'BAD_USER', `--user ${JSON.stringify(text)}: expected uid or uid:gid (numbers)`);
  return m[2] === undefined ? { uid: Number(m[1]) } : { uid: Number(m[1]), gid: Number(m[2]) };
}

/** The process to exec, as runc builds it: from -p, or the container's own with the flags applied. */
function buildProcess(base: Process | undefined, req: ExecRequest): Process {
  if (req.processFile) return readProcessFile(req.processFile);
  if (req.args.length === 0) throw new EngineError('InvalidArgument', 'NO_ARGS', 'exec needs a command to run', { hint: 'berth-runtime exec <id> <command> [args…], or -p process.json' });
  const p: Process = structuredClone(base ?? { user: { uid: 0, gid: 0 }, cwd: '/' });
  p.args = req.args;
  p.terminal = req.tty;
  if (req.cwd) p.cwd = req.cwd;
  if (req.env.length) p.env = [...(p.env ?? []), ...req.env];
  if (req.user) p.user = { ...p.user, ...parseUser(req.user) };
  if (req.noNewPrivs) p.noNewPrivileges = true;
  if (req.caps.length) {
    const caps = (p.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) {
      caps[set] = [...new Set([...(caps[set] ?? []), ...req.caps])];
    }
  }
  return p;
}

/** `exec`: runs a process in a created or running container; returns its exit code (0 when detached). */
export async function execInContainer(ctx: RuntimeContext, req: ExecRequest): Promise<number> {
  const record = ctx.store.load(req.id);
  const status = statusOf(ctx, record);
  if (status === 'stopped') throw new EngineError('Conflict', 'NOT_RUNNING', `cannot exec in a stopped container: ${req.id}`);
  if (status === 'paused') throw new EngineError('Conflict', 'PAUSED', `cannot exec in a paused container: ${req.id}`, { hint: `resume it first: berth-runtime resume ${req.id}` });
  const cgroups = cgroupsOf(ctx, record);
  const process = buildProcess(record.spec.process, req);
  process.env = withHome(process.env, record.rootfs, process.user.uid);
  if (process.terminal && !req.consoleSocket && req.detach) {
    throw new EngineError('InvalidArgument', 'NO_CONSOLE_SOCKET', 'exec --detach with a terminal needs --console-socket', { hint: 'pass --console-socket, drop -t, or drop --detach' });
  }
  // the process joins the cgroups itself (see cgroupSelfJoin for when it cannot)
  const dirs = cgroups?.record.dirs;
  const selfJoin = dirs ? cgroupSelfJoin(dirs, isRootless(), joinsNamespace(record.pid, 'user') || joinsNamespace(record.pid, 'cgroup')) : undefined;
  if (cgroups && !selfJoin) warmCgroupMigration(ctx.cgroupLayout); // node's join by pid comes in a moment: see there
  const plan = compileExec({ pid: record.pid, process, consoleSocket: req.consoleSocket, detach: req.detach, preserveFds: req.preserveFds, joinCgroup: cgroups !== undefined, cgroupSelfJoin: selfJoin, seccomp: record.spec.linux?.seccomp });
  let joining: Promise<void> = Promise.resolve();
  const init = new InitProcess(plan.encode(), {
    preserveFds: req.preserveFds,
    ...(req.stdio ? { stdio: req.stdio } : {}),
    ...(req.launcher ? { launcher: req.launcher } : {}),
    onWarning: (t) => ctx.log.warn(t),
    // the new process joins the container's cgroups (the plan waits for that at PARENT_SETUP, before exec)
    onPid: (pid) => {
      if (!selfJoin) joining = startJoin(cgroups, pid);
    },
    onSync: async (id, pid) => {
      if (id === Sync.PARENT_SETUP) {
        await joining;
        return undefined;
      }
      return id === Sync.SECCOMP_AGENT ? seccompAgentMessage(pid, stateOf(ctx, record), record.spec.linux?.seccomp) : undefined;
    },
  });
  const stop = req.detach ? () => undefined : forwardSignals(() => init.pid);
  try {
    const pid = await init.ready;
    if (req.pidFile) writeFileAtomic(req.pidFile, String(pid), { durable: false });
    req.onPid?.(pid);
    init.release();
    // detached, the process is on its own once ready: what is left (berth-init's parent, which exits
    // after relaying READY, and a launcher) ends by itself and is reaped in the background
    if (req.detach) return 0;
    const { waitStatus } = await init.exited;
    return decodeWaitStatus(waitStatus);
  } catch (err) {
    init.abort();
    await init.exited;
    throw err;
  } finally {
    stop();
  }
}
