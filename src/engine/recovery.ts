import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { statusOf } from '../runtime/cgroups.js';
import { deleteContainer as runtimeDelete } from '../runtime/lifecycle.js';
import { readProcStat, signalProcess } from '../sys/proc.js';
import type { Container } from './container.js';
import { runDirOf, type EngineContext } from './context.js';
import { readShimPid } from './monitor.js';
import { initKey, removeContainerLayers, unmountContainerRootfs } from './rootfs.js';

/**
 * What berthd finds after it was killed, sorted out before it serves:
 *
 *  - a container recorded as running: watched again (done by the engine);
 *  - a container whose start was cut short: if its process had already
 *    been started it is adopted (recorded as running); if it was still
 *    waiting to start, it is torn down (shim, process, cgroups, mount) and
 *    stays created — a start that never happened;
 *  - a create that was cut short (a directory without a record, snapshots
 *    of no container, runtime state of no container): removed.
 *
 * Returns the containers adopted, which the caller watches.
 */
export async function reconcile(ctx: EngineContext): Promise<Container[]> {
  const adopted: Container[] = [];
  const known = new Set(ctx.containers.list().map((c) => c.ID));
  for (const c of ctx.containers.list()) {
    if (c.State.Running || c.State.Status === 'removing') continue;
    const runDir = runDirOf(ctx, c.ID);
    if (!existsSync(runDir) && !ctx.runtime.store.claimed(c.ID)) continue;
    let status: string | undefined;
    let pid = 0;
    try {
      const record = ctx.runtime.store.load(c.ID);
      status = statusOf(ctx.runtime, record);
      pid = record.pid;
    } catch {
      status = undefined;
    }
    const shimPid = await readShimPid(runDir).catch(() => undefined);
    const shimStart = shimPid === undefined ? undefined : readProcStat(shimPid)?.startTime;
    if (status === 'running' && shimPid !== undefined && shimStart !== undefined) {
      c.State = { ...c.State, Status: 'running', Running: true, Pid: pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: '0001-01-01T00:00:00Z' };
      c.Shim = { pid: shimPid, startTime: shimStart };
      ctx.containers.save(c);
      adopted.push(c);
      continue;
    }
    ctx.log.info(`container ${c.ID.slice(0, 12)}: its start was cut short by berthd's end; undoing it`);
    await tearDown(ctx, c.ID, shimPid);
  }
  // creates cut short: container directories without a record
  for (const id of readdirSync(ctx.containers.root)) {
    if (!/^[0-9a-f]{64}$/.test(id) || known.has(id)) continue;
    ctx.log.info(`container ${id.slice(0, 12)}: its create was cut short by berthd's end; removing it`);
    await tearDown(ctx, id, await readShimPid(runDirOf(ctx, id)).catch(() => undefined));
    removeLayersQuietly(ctx, id);
    rmSync(ctx.containers.dir(id), { recursive: true, force: true });
  }
  // snapshots and runtime state of no container
  for (const s of ctx.snapshots.list()) {
    if (/^sha256:[0-9a-f]{64}-init-build$/.test(s.key)) {
      // an image's shared init layer whose build was cut short (it was never mounted but in the create's own directory)
      try {
        ctx.snapshots.remove(s.key);
      } catch (err) {
        ctx.log.warn(`snapshot ${s.key}: ${(err as Error).message}`);
      }
      continue;
    }
    const m = /^([0-9a-f]{64})(-init|-init-build)?$/.exec(s.key);
    if (!m || known.has(m[1]!)) continue;
    removeLayersQuietly(ctx, m[1]!);
  }
  for (const id of ctx.runtime.store.ids()) {
    if (/^[0-9a-f]{64}$/.test(id) && !known.has(id)) await runtimeDelete(ctx.runtime, id, true).catch(() => undefined);
  }
  return adopted;
}

async function tearDown(ctx: EngineContext, id: string, shimPid: number | undefined): Promise<void> {
  if (ctx.runtime.store.claimed(id)) await runtimeDelete(ctx.runtime, id, true).catch((err: unknown) => ctx.log.warn(`container ${id.slice(0, 12)}: runtime delete: ${(err as Error).message}`));
  // the shim ends by itself once its process is gone; one that never got a process (or
  // wrote no pid file before berthd died) is told to, found by the directory it was given
  const runDir = runDirOf(ctx, id);
  for (const pid of new Set([...(shimPid === undefined ? [] : [shimPid]), ...shimsOf(runDir)])) signalProcess(pid, 'SIGKILL');
  try {
    unmountContainerRootfs(ctx.snapshots, id, ctx.containers.dir(id));
  } catch (err) {
    ctx.log.warn(`container ${id.slice(0, 12)}: unmount: ${(err as Error).message}`);
  }
  rmSync(runDirOf(ctx, id), { recursive: true, force: true });
}

function removeLayersQuietly(ctx: EngineContext, id: string): void {
  try {
    unmountContainerRootfs(ctx.snapshots, id, ctx.containers.dir(id));
    removeContainerLayers(ctx.snapshots, id);
    if (ctx.snapshots.stat(`${initKey(id)}-build`)) ctx.snapshots.remove(`${initKey(id)}-build`);
  } catch (err) {
    ctx.log.warn(`container ${id.slice(0, 12)}: remove its layers: ${(err as Error).message}`);
  }
}

/** berth-shim processes started for a directory (their command line has `--dir DIR`). */
function shimsOf(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('--dir');
      if (argv[0]?.endsWith('berth-shim') && at >= 0 && argv[at + 1] === dir) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
