import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../../errors/engine-error.js';
import { runPs } from '../../sys/run-program.js';
import { cgroupsOf, stateOf } from '../../runtime/cgroups.js';
import { containerStats, pauseContainer, resumeContainer, updateContainer, watchEvents } from '../../runtime/resources.js';
import { updateResources, type UpdateFlags } from './update-flags.js';
import type { RuntimeContext } from '../../runtime/context.js';
import { createContainer } from '../../runtime/create.js';
import { execInContainer } from '../../runtime/exec.js';
import { containerPids, deleteContainer, killContainer, startContainer } from '../../runtime/lifecycle.js';
import { runContainer } from '../../runtime/run.js';
import { parseSignal } from '../../runtime/signals.js';
import type { ContainerRecord } from '../../runtime/state-store.js';
import { features } from './features.js';
import { printJson, printTable } from './render.js';
import { defaultSpec, toRootless } from './spec-template.js';

export interface CreateFlags {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  pivot: boolean;
  preserveFds: number;
}

export interface ExecFlags {
  process?: string;
  tty?: boolean;
  cwd?: string;
  env: string[];
  user?: string;
  cap: string[];
  newPrivs: boolean;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
}

const createRequest = (id: string, o: CreateFlags) => ({
  id,
  bundle: o.bundle,
  pidFile: o.pidFile,
  consoleSocket: o.consoleSocket,
  noPivot: !o.pivot,
  preserveFds: o.preserveFds,
});

export async function create(ctx: RuntimeContext, id: string, o: CreateFlags): Promise<void> {
  await createContainer(ctx, { ...createRequest(id, o), wait: false });
}

export function run(ctx: RuntimeContext, id: string, o: CreateFlags & { detach?: boolean }): Promise<number> {
  return runContainer(ctx, { ...createRequest(id, o), detach: Boolean(o.detach) });
}

export async function start(ctx: RuntimeContext, id: string): Promise<void> {
  await startContainer(ctx, id);
}

/** runc's state shape: the OCI state plus rootfs, created and owner. */
function fullState(ctx: RuntimeContext, record: ContainerRecord): Record<string, unknown> {
  const state = stateOf(ctx, record);
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    pid: state.pid ?? 0,
    status: state.status,
    bundle: state.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
    ...(oomKilled(ctx, record) ? { oomKilled: true } : {}),
    ...(state.annotations ? { annotations: state.annotations } : {}),
  };
}

/** Whether the OOM killer struck in the container (its cgroup counts the kills until delete). */
function oomKilled(ctx: RuntimeContext, record: ContainerRecord): boolean {
  try {
    return (cgroupsOf(ctx, record)?.oomKills() ?? 0) > 0;
  } catch {
    return false;
  }
}

export function state(ctx: RuntimeContext, id: string): void {
  printJson(fullState(ctx, ctx.store.load(id)), true);
}

export function pause(ctx: RuntimeContext, id: string): Promise<void> {
  return pauseContainer(ctx, id);
}

export function resume(ctx: RuntimeContext, id: string): Promise<void> {
  return resumeContainer(ctx, id);
}

export function update(ctx: RuntimeContext, id: string, o: UpdateFlags): void {
  updateContainer(ctx, id, updateResources(o));
}

/** `events`: one stats object (--stats), or a line of JSON per event until the container stops. */
export async function events(ctx: RuntimeContext, id: string, stats: boolean, intervalMs: number): Promise<void> {
  if (stats) {
    printJson(containerStats(ctx, id), false);
    return;
  }
  await watchEvents(ctx, id, intervalMs, (e) => printJson(e, false));
}

export function kill(ctx: RuntimeContext, id: string, signal: string, all: boolean): Promise<void> {
  return killContainer(ctx, id, parseSignal(signal), all);
}

export function remove(ctx: RuntimeContext, id: string, force: boolean): Promise<void> {
  return deleteContainer(ctx, id, force);
}

export function list(ctx: RuntimeContext, quiet: boolean, format: 'table' | 'json'): void {
  const records = ctx.store.ids().flatMap((id) => {
    try {
      return [ctx.store.load(id)];
    } catch {
      return []; // deleted while we listed
    }
  });
  if (quiet) {
    for (const r of records) process.stdout.write(`${r.id}\n`);
    return;
  }
  const states = records.map((r) => fullState(ctx, r));
  if (format === 'json') {
    printJson(states, false);
    return;
  }
  printTable(
    ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    states.map((s) => [s['id'], s['pid'], s['status'], s['bundle'], s['created'], s['owner']].map(String)),
  );
}

/** `ps`: the container's pids as JSON, or the lines of ps(1) that belong to it. */
export function ps(ctx: RuntimeContext, id: string, args: string[], format: 'table' | 'json'): void {
  const record = ctx.store.load(id);
  const pids = ctx.store.status(record) === 'stopped' ? [] : containerPids(ctx, record);
  if (format === 'json') {
    printJson(pids, false);
    return;
  }
  const psArgs = args.length ? args : ['-ef'];
  let out: string;
  try {
    out = runPs(psArgs);
  } catch (err) {
    throw new EngineError('InvalidArgument', 'PS_FAILED', `ps ${psArgs.join(' ')}: ${(err as Error).message}`, { hint: 'pass options that ps(1) accepts' });
  }
  const lines = out.split('\n');
  const header = lines[0] ?? '';
  const pidColumn = header.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new EngineError('InvalidArgument', 'PS_NO_PID', `ps ${args.join(' ')}: its output has no PID column`);
  const wanted = new Set(pids);
  process.stdout.write(`${header}\n`);
  for (const line of lines.slice(1)) {
    const pid = Number(line.trim().split(/\s+/)[pidColumn]);
    if (wanted.has(pid)) process.stdout.write(`${line}\n`);
  }
}

export function exec(ctx: RuntimeContext, id: string, command: string[], o: ExecFlags): Promise<number> {
  return execInContainer(ctx, {
    id,
    processFile: o.process,
    args: command,
    tty: Boolean(o.tty),
    cwd: o.cwd,
    env: o.env,
    user: o.user,
    caps: o.cap,
    noNewPrivs: !o.newPrivs,
    detach: Boolean(o.detach),
    pidFile: o.pidFile,
    consoleSocket: o.consoleSocket,
    preserveFds: o.preserveFds,
  });
}

export function spec(bundle: string, rootless: boolean): void {
  const path = join(bundle, 'config.json');
  if (existsSync(path)) throw new EngineError('Conflict', 'CONFIG_EXISTS', `${path} exists`, { hint: 'remove it first' });
  const s = rootless ? toRootless(defaultSpec(), process.getuid?.() ?? 0, process.getgid?.() ?? 0) : defaultSpec();
  writeFileSync(path, JSON.stringify(s, null, '\t') + '\n');
}

export function printFeatures(): void {
  printJson(features(), true);
}
