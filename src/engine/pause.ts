import { EngineError } from '../errors/engine-error.js';
import { pauseContainer as freeze, resumeContainer as thaw } from '../runtime/resources.js';
import { parseSignal } from '../runtime/signals.js';
import type { Container } from './container.js';
import type { EngineContext } from './context.js';

/**
 * `docker pause` and `unpause`: the container's cgroup frozen and thawed
 * (the freezer controller on v1, cgroup.freeze on v2), and State.Paused
 * kept in its record so that a restarted berthd, `ps` and `exec` know.
 */

const restarting = (c: Container): EngineError =>
  new EngineError('Conflict', 'CONTAINER_RESTARTING', `Container ${c.ID} is restarting, wait until the container is running`);

/** A runtime binary's pause and resume (runc pause/resume), for containers not under the in-process runtime. */
export interface Freezer {
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
}

export async function pauseContainer(ctx: EngineContext, c: Container, binary?: Freezer): Promise<void> {
  if (c.State.Restarting) throw restarting(c);
  if (!c.State.Running) throw new EngineError('Conflict', 'NOT_RUNNING', `Container ${c.ID} is not running`);
  if (c.State.Paused) throw new EngineError('Conflict', 'ALREADY_PAUSED', `Container ${c.ID} is already paused`);
  try {
    if (binary) await binary.pause(c.ID);
    else await freeze(ctx.runtime, c.ID);
  } catch (err) {
    throw new EngineError('Internal', 'PAUSE_FAILED', `Cannot pause container ${c.ID}: ${(err as Error).message}`, { cause: err });
  }
  c.State = { ...c.State, Paused: true };
  ctx.containers.save(c);
}

export async function unpauseContainer(ctx: EngineContext, c: Container, binary?: Freezer): Promise<void> {
  // dockerd answers this one with a 500, not a conflict; clients test the status
  if (!c.State.Paused) throw new EngineError('Internal', 'NOT_PAUSED', `Container ${c.ID} is not paused`);
  try {
    if (binary) await binary.resume(c.ID);
    else await thaw(ctx.runtime, c.ID);
  } catch (err) {
    throw new EngineError('Internal', 'UNPAUSE_FAILED', `Cannot unpause container ${c.ID}: ${(err as Error).message}`, { cause: err });
  }
  c.State = { ...c.State, Paused: false };
  ctx.containers.save(c);
}

/**
 * After a signal that is meant to end a paused container (its stop signal,
 * or SIGKILL), dockerd thaws it: frozen processes cannot act on the signal,
 * not even die of SIGKILL on a v1 freezer, so `stop`, `kill` and `rm -f`
 * would wait for ever. Other signals leave it paused; they are delivered
 * when it is unpaused.
 */
export async function thawAfterSignal(ctx: EngineContext, c: Container, signal: string | number, binary?: Freezer): Promise<void> {
  if (!c.State.Paused) return;
  const number = typeof signal === 'number' ? signal : parseSignal(signal);
  if (number !== 9 && number !== stopSignalOf(c)) return;
  try {
    if (binary) await binary.resume(c.ID);
    else await thaw(ctx.runtime, c.ID);
  } catch (err) {
    ctx.log.warn(`container ${c.ID.slice(0, 12)}: cannot unpause after signal ${number}: ${(err as Error).message}`);
    return;
  }
  c.State = { ...c.State, Paused: false };
  ctx.containers.save(c);
}

function stopSignalOf(c: Container): number {
  try {
    return parseSignal(c.Config.StopSignal || 'SIGTERM');
  } catch {
    return 15;
  }
}
