import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { archiveContainerPath, exportContainer, extractToContainer, statContainerPath, type PathStat } from '../../engine/archive.js';
import { commitContainer, containerChanges } from '../../engine/commit.js';
import type { Engine } from '../../engine/engine.js';
import type { ContainerConfig } from '../../engine/spec/types.js';
import { EngineError } from '../../errors/engine-error.js';
import type { RequestContext } from '../context.js';
import type { Router } from '../router.js';

/**
 * The container file system endpoints: POST /commit, GET
 * /containers/{id}/changes and /export, and /containers/{id}/archive (HEAD
 * stat, GET a tar, PUT a tar in) for `docker cp`. Read as dockerd's
 * container router reads them; the work is the engine's (engine/archive.ts).
 */

export const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** The stat as dockerd sends it: JSON in base64, the fields in Go's order. */
function statHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify({ name: stat.name, size: stat.size, mode: stat.mode, mtime: stat.mtime, linkTarget: stat.linkTarget })).toString('base64');
}

function pathParam(ctx: RequestContext): string {
  const path = ctx.query.string('path') ?? '';
  if (path === '') throw new EngineError('InvalidArgument', 'NO_PATH', 'you must specify path parameter');
  return path;
}

/** A tar answer; a client that goes away ends the archive (and releases the container's mount). */
async function sendTar(ctx: RequestContext, source: Readable): Promise<void> {
  try {
    const stream = ctx.stream({ contentType: 'application/x-tar' });
    await pipeline(source, stream.writable);
  } catch (err) {
    source.destroy();
    if (!ctx.signal.aborted) throw err;
  }
}

export function registerArchiveRoutes(router: Router, engine: Engine): void {
  router.post('/commit', async (ctx) => {
    const q = ctx.query;
    const body = await ctx.body();
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new EngineError('InvalidArgument', 'INVALID_JSON', 'invalid JSON: the body must be a container config object');
    }
    // absent or empty: pause (the API versions berthd serves all default to it)
    const pause = q.string('pause') ? q.bool('pause') : true;
    const container = q.string('container') ?? '';
    if (container === '') throw new EngineError('NotFound', 'NO_SUCH_CONTAINER', 'No such container: ');
    const result = await commitContainer(engine, container, {
      ...(q.string('repo') ? { repo: q.string('repo')! } : {}),
      ...(q.string('tag') ? { tag: q.string('tag')! } : {}),
      ...(q.string('comment') ? { comment: q.string('comment')! } : {}),
      ...(q.string('author') ? { author: q.string('author')! } : {}),
      changes: q.strings('changes'),
      pause,
      ...(body ? { config: body as ContainerConfig } : {}),
    });
    ctx.json(201, { Id: result.id });
  });

  router.get('/containers/:id/changes', (ctx) => containerChanges(engine, ctx.params['id']!));

  router.get('/containers/:id/export', (ctx) => sendTar(ctx, exportContainer(engine, ctx.params['id']!)));

  router.head('/containers/:id/archive', (ctx) => {
    const stat = statContainerPath(engine, ctx.params['id']!, pathParam(ctx));
    ctx.setHeader(PATH_STAT_HEADER, statHeader(stat));
    ctx.setHeader('Content-Type', 'application/json');
  });

  router.get('/containers/:id/archive', async (ctx) => {
    const { stat, stream } = archiveContainerPath(engine, ctx.params['id']!, pathParam(ctx));
    try {
      ctx.setHeader(PATH_STAT_HEADER, statHeader(stat));
    } catch (err) {
      stream.destroy();
      throw err;
    }
    await sendTar(ctx, stream);
  });

  router.put('/containers/:id/archive', async (ctx) => {
    const q = ctx.query;
    await extractToContainer(engine, ctx.params['id']!, pathParam(ctx), ctx.req, { noOverwriteDirNonDir: q.bool('noOverwriteDirNonDir'), copyUIDGID: q.bool('copyUIDGID') });
    ctx.text(200, '', '');
  });
}
