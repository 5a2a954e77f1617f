import { EngineError } from '../errors/engine-error.js';
import type { Change } from '../image/diff-changes.js';
import { formatReference, nameOnly, parseReference, withTag } from '../image/reference.js';
import type { ContainerConfig as ImageContainerConfig } from '../spec/oci-image.js';
import { emitEvent } from './archive.js';
import type { Container } from './container.js';
import type { Engine } from './engine.js';
import type { ContainerConfig } from './spec/types.js';

/**
 * `docker commit` and `docker diff` of a container: its read-write layer
 * (the snapshot keyed by its ID, over its init layer) through the image
 * library's commit and diffChanges.
 */

/** GET /containers/{id}/changes: null when nothing changed, as dockerd answers. */
export async function containerChanges(engine: Engine, ref: string): Promise<Change[] | null> {
  const c = engine.get(ref);
  const changes = await engine.ctx.images.diffChanges(c.ID);
  return changes.length > 0 ? changes : null;
}

export interface CommitRequest {
  /** repository and tag as the API names them (repo may hold a tag; tag replaces it) */
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  /** pause a running container while its layer is read (default true) */
  pause?: boolean;
  /** a config to start from instead of the container's (the request body) */
  config?: ContainerConfig;
}

/** The repo and tag parameters as one reference; undefined without a repo. */
function commitReference(repo: string | undefined, tag: string | undefined): string | undefined {
  if (!repo) return undefined;
  let ref = parseReference(repo);
  if (tag) ref = withTag(nameOnly(ref), tag);
  return formatReference(ref);
}

/**
 * Docker's merge of a requested config over the container's: empty fields
 * come from the container's; environment, labels, ports and volumes are
 * united (the request's win).
 */
function overlayConfig(requested: ContainerConfig, container: ContainerConfig): ContainerConfig {
  const out: Record<string, unknown> = { ...container };
  for (const [k, v] of Object.entries(requested)) {
    const empty = v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
    if (!empty) out[k] = v;
  }
  if (requested.Env?.length) {
    const keys = new Set(requested.Env.map((e) => e.split('=')[0]));
    out['Env'] = [...requested.Env, ...(container.Env ?? []).filter((e) => !keys.has(e.split('=')[0]))];
  }
  for (const k of ['Labels', 'ExposedPorts', 'Volumes'] as const) {
    if (requested[k] && Object.keys(requested[k] as object).length > 0) out[k] = { ...(container[k] ?? {}), ...(requested[k] as object) };
  }
  if (requested.Entrypoint?.length && !requested.Cmd?.length) delete out['Cmd'];
  return out as ContainerConfig;
}

/**
 * Pauses a running container for the read of its layer (the engine's
 * pause, with its events, as dockerd's commit pauses); one that is paused
 * already stays paused. As in dockerd, a pause that fails is no reason to
 * fail the commit: the layer is read as the container runs, with a warning
 * in the log.
 */
async function pauseFor(engine: Engine, c: Container): Promise<() => Promise<void>> {
  const nothing = async (): Promise<void> => undefined;
  if (c.State.Paused) return nothing;
  try {
    await engine.pause(c.ID);
  } catch (err) {
    engine.ctx.log.warn(`commit ${c.ID.slice(0, 12)}: not paused: ${(err as Error).message}`);
    return nothing;
  }
  return async () => {
    await engine.unpause(c.ID).catch((err: unknown) => engine.ctx.log.warn(`commit ${c.ID.slice(0, 12)}: unpause: ${(err as Error).message}`));
  };
}

/**
 * POST /commit: the container's read-write layer (its snapshot, keyed by
 * its ID) as a new image over its image. The init layer below it (/etc
 * files, mount points) never reaches the image, nor do the contents of its
 * volumes and bind mounts.
 */
export async function commitContainer(engine: Engine, ref: string, req: CommitRequest = {}): Promise<{ id: string; ref: string | undefined }> {
  const c = engine.get(ref);
  if (c.State.Dead) throw new EngineError('Conflict', 'CONTAINER_DEAD', `You cannot commit container ${c.ID} which is Dead`);
  if (c.State.Status === 'removing') throw new EngineError('Conflict', 'CONTAINER_REMOVING', `You cannot commit container ${c.ID} which is being removed`);
  const target = commitReference(req.repo, req.tag);
  const config = req.config && Object.keys(req.config).length > 0 ? overlayConfig(req.config, c.Config) : c.Config;
  const result = await engine.ctx.images.commit(c.ID, {
    ...(c.Image ? { parentImage: c.Image } : {}),
    changes: req.changes ?? [],
    ...(req.comment ? { message: req.comment } : {}),
    ...(req.author ? { author: req.author } : {}),
    ...(target ? { ref: target } : {}),
    containerConfig: config as ImageContainerConfig,
    containerId: c.ID,
    excludeContentsOf: c.Mounts.filter((m) => m.Type !== 'tmpfs').map((m) => m.Destination),
    ...(req.pause !== false && c.State.Running ? { pause: () => pauseFor(engine, c) } : {}),
  });
  emitEvent(engine, c, 'commit', { comment: req.comment ?? '', imageID: result.id, imageRef: result.tags[0] ?? '' });
  return { id: result.id, ref: result.tags[0] };
}
