import { closeSync, constants as fsc, openSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { OCI_VERSION } from '../spec/oci-runtime.js';
import { isAlive, namespaceInode, pidsInNamespace, signalProcess } from '../sys/proc.js';
import { CgroupManager } from '../cgroups/manager.js';
import { cgroupsOf, statusOf } from './cgroups.js';
import type { RuntimeContext } from './context.js';
import { runHooks } from './hooks.js';
import type { ContainerRecord } from './state-store.js';

/**
 * `start`: hands the state to the waiting container through its exec fifo;
 * the container reads it to EOF and execs the app.
 */
export async function startContainer(ctx: RuntimeContext, id: string): Promise<ContainerRecord> {
  const record = ctx.store.load(id);
  const status = statusOf(ctx, record);
  if (status === 'stopped') throw new EngineError('Conflict', 'NOT_CREATED', `cannot start a container that has stopped: ${id}`, { hint: `delete it with: berth-runtime delete ${id}` });
  if (status !== 'created') throw new EngineError('Conflict', 'NOT_CREATED', `cannot start an already running container: ${id}`);
  const fifo = ctx.store.fifoPath(id);
  let fd: number;
  try {
    fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
  } catch (err) {
    if (errnoOf(err) === 'ENXIO') throw new EngineError('Conflict', 'NOT_WAITING', `container ${id} is not waiting to start (its process has gone)`);
    throw err;
  }
  // Unlinking first makes `state` report "running" from here on.
  unlinkSync(fifo);
  const state = { ...ctx.store.state(record), status: 'running' as const };
  try {
    writeSync(fd, JSON.stringify(state));
  } finally {
    closeSync(fd);
  }
  try {
    await runHooks('poststart', record.spec.hooks?.poststart, { ...state, ociVersion: OCI_VERSION });
  } catch (err) {
    ctx.log.warn(err instanceof Error ? err.message : String(err));
  }
  return record;
}

/** The container's processes: from its cgroup, else its PID namespace when it has its own, else its init alone. */
export function containerPids(ctx: RuntimeContext, record: ContainerRecord): number[] {
  const cgroups = cgroupsOf(ctx, record);
  if (cgroups) return cgroups.pids();
  const ownPidNs = (record.spec.linux?.namespaces ?? []).some((n) => n.type === 'pid' && !n.path);
  const inode = namespaceInode(record.pid, 'pid');
  if (!ownPidNs || inode === undefined) return isAlive(record.pid, record.startTime) ? [record.pid] : [];
  return pidsInNamespace('pid', inode);
}

export async function killContainer(ctx: RuntimeContext, id: string, signal: number, all: boolean): Promise<void> {
  const record = ctx.store.load(id);
  if (ctx.store.status(record) === 'stopped') throw new EngineError('Conflict', 'NOT_RUNNING', `container not running: ${id}`);
  const cgroups = cgroupsOf(ctx, record);
  if (all && cgroups) await cgroups.signalAll(signal);
  else for (const pid of all ? containerPids(ctx, record) : [record.pid]) signalProcess(pid, signal);
}

async function waitGone(record: ContainerRecord, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (isAlive(record.pid, record.startTime)) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
}

/**
 * `delete`: a created container is killed first; a running one only with
 * force. Then its state goes and the poststop hooks run.
 */
export async function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): Promise<void> {
  let record: ContainerRecord;
  try {
    record = ctx.store.load(id);
  } catch (err) {
    if (force && err instanceof EngineError && err.code === 'NO_SUCH_CONTAINER') {
      // a create cut short: the cgroups it made (their processes killed) go with its claim
      const pending = ctx.store.claimed(id) ? ctx.store.pendingCgroups(id) : undefined;
      if (pending) await CgroupManager.load(ctx.cgroupLayout(), pending).destroy();
      ctx.store.remove(id);
      return;
    }
    throw err;
  }
  const status = statusOf(ctx, record);
  if ((status === 'running' || status === 'paused') && !force) {
    throw new EngineError('Conflict', 'NOT_STOPPED', `cannot delete container ${id} that is not stopped: running`, { hint: `stop it first, or use: berth-runtime delete --force ${id}` });
  }
  const cgroups = cgroupsOf(ctx, record);
  if (status !== 'stopped') {
    if (cgroups) await cgroups.signalAll('SIGKILL');
    else for (const pid of containerPids(ctx, record)) signalProcess(pid, 'SIGKILL');
    // a frozen process cannot die: thaw what a paused container holds
    if (status === 'paused') await cgroups?.thaw();
    if (!(await waitGone(record, 10_000))) throw new EngineError('Internal', 'KILL_TIMEOUT', `container ${id} did not die within 10 s of SIGKILL`);
  }
  await cgroups?.destroy();
  ctx.store.remove(id);
  try {
    await runHooks('poststop', record.spec.hooks?.poststop, { ...ctx.store.state(record), status: 'stopped' });
  } catch (err) {
    ctx.log.warn(err instanceof Error ? err.message : String(err));
  }
}
