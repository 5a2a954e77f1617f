import { EngineError } from '../errors/engine-error.js';
import type { Container } from './container.js';
import type { Engine, EngineEvent } from './engine.js';
import { parseLogTime } from './logs.js';

/** POST /containers/prune's answer. */
export interface ContainersPruneReport {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

const ACCEPTED = new Set(['until', 'label', 'label!']);

/** Engines with a prune under way: dockerd runs one at a time. */
const running = new WeakSet<Engine>();

/**
 * `docker container prune`: every container that is not running (nor
 * paused, restarting or being removed) and matches the filters is removed
 * as `docker rm` would (its anonymous volumes stay); the space is its
 * read-write layer's. A container that cannot be removed is skipped. Ends
 * with the "prune" event dockerd sends (no actor, the bytes reclaimed).
 */
export async function pruneContainers(engine: Engine, filters: Record<string, string[]>): Promise<ContainersPruneReport> {
  for (const key of Object.keys(filters)) {
    if (!ACCEPTED.has(key)) throw new EngineError('InvalidArgument', 'INVALID_FILTER', `Invalid filter '${key}'`);
  }
  const until = untilOf(filters);
  if (running.has(engine)) throw new EngineError('Conflict', 'PRUNE_RUNNING', 'a prune operation is already running');
  running.add(engine);
  try {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of engine.ctx.containers.list()) {
      if (c.State.Running || c.State.Restarting || c.State.Status === 'removing') continue;
      if (until !== undefined && Date.parse(c.Created) > until) continue;
      if (!labelsMatch(filters, c.Config.Labels ?? {})) continue;
      const size = layerSize(engine, c);
      try {
        await engine.remove(c.ID);
      } catch (err) {
        engine.ctx.log.warn(`failed to prune container ${c.ID}: ${(err as Error).message}`);
        continue;
      }
      reclaimed += size;
      deleted.push(c.ID);
    }
    const now = Date.now();
    engine.emit('event', { Type: 'container', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } }, time: Math.floor(now / 1000), timeNano: now * 1e6 } satisfies EngineEvent);
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  } finally {
    running.delete(engine);
  }
}

function layerSize(engine: Engine, c: Container): number {
  try {
    return engine.ctx.snapshots.usage(c.ID);
  } catch {
    return 0;
  }
}

/** The `until` filter as epoch ms: one value, a timestamp, a date or a duration ago. */
function untilOf(filters: Record<string, string[]>): number | undefined {
  const values = filters['until'] ?? [];
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new EngineError('InvalidArgument', 'BAD_FILTER', 'more than one until filter specified');
  return parseLogTime(values[0]!) * 1000;
}

/**
 * Docker's label rules for prune: every `label` filter must match (k, or
 * k=v), and a container matching every `label!` filter is kept.
 */
export function labelsMatch(filters: Record<string, string[]>, labels: Record<string, string>): boolean {
  const all = (list: string[]): boolean =>
    list.every((f) => {
      const eq = f.indexOf('=');
      return eq < 0 ? Object.hasOwn(labels, f) : Object.hasOwn(labels, f.slice(0, eq)) && labels[f.slice(0, eq)] === f.slice(eq + 1);
    });
  const want = filters['label'] ?? [];
  const not = filters['label!'] ?? [];
  if (want.length && !all(want)) return false;
  if (not.length && all(not)) return false;
  return true;
}
