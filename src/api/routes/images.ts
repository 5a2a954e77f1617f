import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Services } from '../../daemon/services.js';
import { EngineError } from '../../errors/engine-error.js';
import type { ImageSummary } from '../../image/list.js';
import { formatReference, nameOnly, parseReference, withTag } from '../../image/reference.js';
import type { Platform } from '../../spec/oci-image.js';
import type { RequestContext, ResponseStream } from '../context.js';
import type { Handler, Router } from '../router.js';
import { versionAtLeast, versionBelow } from '../version.js';

/**
 * /images: Docker's image API over the ImageService — list, inspect,
 * history, tag, delete, import (`POST /images/create?fromSrc=-`), save
 * (`GET /images/get`), load and prune. The operations are the image
 * library's; this file reads requests as dockerd's image router does
 * (api/server/router/image), shapes answers by API version, and words
 * errors as dockerd does, since clients show those messages as they are.
 * `POST /commit` is the container engine's.
 */
export function registerImageRoutes(router: Router, s: Pick<Services, 'images'>): void {
  const images = s.images;
  let pruning = false;

  router.get(
    '/images/json',
    docker(async (ctx) => {
      const filters = ctx.query.filters();
      if (versionBelow(ctx.version, '1.41')) {
        // before 1.41 a `filter` parameter was a reference pattern
        const legacy = ctx.query.string('filter');
        if (legacy) (filters['reference'] ??= []).push(legacy);
      }
      const list = await images.list({ all: ctx.query.bool('all'), filters });
      const sharedSize = versionAtLeast(ctx.version, '1.42') && ctx.query.bool('shared-size');
      return list.map((img) => summaryFor(img, ctx.version, sharedSize));
    }),
  );

  router.post(
    '/images/create',
    docker(async (ctx) => {
      const q = ctx.query;
      if (q.string('fromImage')) {
        throw new EngineError('NotImplemented', 'PULL_UNSUPPORTED', `pull ${q.string('fromImage')}: berthd cannot pull images yet`, { hint: 'save the image with docker and load it: docker save IMAGE | berth load' });
      }
      const src = q.string('fromSrc') ?? '';
      if (src !== '-') {
        if (src === '') throw new EngineError('InvalidArgument', 'NO_IMAGE_SOURCE', 'create an image: give fromImage (pull) or fromSrc (import)');
        throw new EngineError('NotImplemented', 'NO_URL_IMPORT', `import from a URL is not supported yet: ${src}`, { hint: 'download it first, then import the file' });
      }
      const ref = importReference(q.string('repo') ?? '', q.string('tag') ?? '');
      const platform = q.string('platform') ? parsePlatform(q.string('platform')!) : undefined;
      const result = await images.importImage(ctx.req, {
        ...(ref !== undefined ? { ref } : {}),
        changes: q.strings('changes'),
        ...(q.string('message') ? { message: q.string('message')! } : {}),
        source: '-',
        ...(platform ? { platform } : {}),
      });
      // dockerd writes nothing while it reads the body, then the new image's ID
      const stream = ctx.stream();
      await stream.writeJson({ status: result.id });
    }),
  );

  router.get(
    '/images/get',
    docker((ctx) => sendArchive(ctx, images.save(ctx.query.strings('names')))),
  );

  router.post(
    '/images/load',
    docker(async (ctx) => {
      // quiet unless told otherwise, as in dockerd
      const quiet = ctx.query.bool('quiet', true);
      const out = new LazyStream(ctx);
      try {
        const result = await images.load(
          ctx.req,
          quiet ? {} : { onProgress: (e) => void out.writeJson({ status: 'Loading layer', progress: `${e.index + 1}/${e.count}`, id: e.layer }) },
        );
        for (const line of result.loaded) {
          const moved = result.moved.find((m) => m.tag === line);
          if (moved) await out.writeJson({ stream: `The image ${moved.tag} already exists, renaming the old one with ID ${moved.previous} to empty string\n` });
          await out.writeJson({ stream: line.startsWith('sha256:') ? `Loaded image ID: ${line}\n` : `Loaded image: ${line}\n` });
        }
      } catch (err) {
        if (ctx.signal.aborted) return;
        // dockerd answers 200 and reports a failed load in the stream, whatever the failure
        const message = err instanceof Error ? (dockerWorded(err) as Error).message : String(err);
        await out.writeJson({ errorDetail: { message }, error: message });
      }
    }),
  );

  router.post(
    '/images/prune',
    docker(async (ctx) => {
      if (pruning) throw new EngineError('Conflict', 'PRUNE_RUNNING', 'a prune operation is already running');
      pruning = true;
      try {
        const report = await images.prune({ filters: ctx.query.filters() });
        return { ImagesDeleted: report.ImagesDeleted.length > 0 ? report.ImagesDeleted : null, SpaceReclaimed: report.SpaceReclaimed };
      } finally {
        pruning = false;
      }
    }),
  );

  router.get(
    '/images/:name*/json',
    docker(async (ctx) => {
      const inspect: Record<string, unknown> = { ...(await images.inspect(ctx.params['name']!)) };
      // fields later API versions dropped (dockerd's router removes them by version)
      if (versionAtLeast(ctx.version, '1.44')) delete inspect['VirtualSize'];
      if (versionAtLeast(ctx.version, '1.45')) {
        delete inspect['Container'];
        delete inspect['ContainerConfig'];
      }
      return inspect;
    }),
  );

  router.get(
    '/images/:name*/history',
    docker((ctx) => images.history(ctx.params['name']!)),
  );

  router.get(
    '/images/:name*/get',
    docker((ctx) => sendArchive(ctx, images.save([ctx.params['name']!]))),
  );

  router.post(
    '/images/:name*/tag',
    docker((ctx) => {
      images.tag(ctx.params['name']!, tagTarget(ctx.query.string('repo') ?? '', ctx.query.string('tag') ?? ''));
      ctx.text(201, '', '');
    }),
  );

  router.delete(
    '/images/:name*',
    docker((ctx) => images.remove(ctx.params['name']!, { force: ctx.query.bool('force'), noPrune: ctx.query.bool('noprune') })),
  );
}

/** An image of the list as the requested API version has it. */
function summaryFor(img: ImageSummary, version: string, sharedSize: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...img,
    // dockerd counts containers only for `system df`, and shared sizes only when asked
    Containers: -1,
    SharedSize: sharedSize ? img.SharedSize : -1,
  };
  if (versionAtLeast(version, '1.43')) {
    // "<none>" placeholders went away in 1.43: an untagged image has empty lists
    out['RepoTags'] = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    out['RepoDigests'] = (img.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
  }
  if (versionAtLeast(version, '1.44')) delete out['VirtualSize'];
  return out;
}

/** `repo` and `tag` of a tag request as dockerd combines them: the tag replaces any in repo; no tag means :latest. */
function tagTarget(repo: string, tag: string): string {
  let ref = parseReference(repo);
  if (tag !== '') ref = withTag(nameOnly(ref), tag);
  else if (ref.digest !== undefined) throw new EngineError('InvalidArgument', 'DIGEST_TAG', 'refusing to create a tag with a digest reference');
  return formatReference(ref);
}

/** The name an import is given: none without repo; a digest is refused. */
function importReference(repo: string, tag: string): string | undefined {
  if (repo === '') return undefined;
  let ref = parseReference(repo);
  if (ref.digest !== undefined) throw new EngineError('InvalidArgument', 'INVALID_REFERENCE', 'cannot import digest reference');
  if (tag !== '') ref = withTag(nameOnly(ref), tag);
  return formatReference(ref);
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

/** "os[/arch[/variant]]", the `platform` parameter. */
function parsePlatform(text: string): Platform {
  const [os = '', arch, variant] = text.toLowerCase().split('/');
  if (os !== 'linux') throw new EngineError('InvalidArgument', 'BAD_PLATFORM', `invalid platform ${JSON.stringify(text)}: operating system is not supported`);
  const architecture = arch ? (ARCH_ALIASES[arch] ?? arch) : process.arch === 'x64' ? 'amd64' : process.arch;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** An archive as a tar answer; the names were resolved before it starts, so a missing image is still a 404. */
async function sendArchive(ctx: RequestContext, archive: Promise<Readable>): Promise<void> {
  const source = await archive;
  const stream = ctx.stream({ contentType: 'application/x-tar' });
  try {
    await pipeline(source, stream.writable);
  } catch (err) {
    // a client that went away is no failure of the daemon's
    if (!ctx.signal.aborted) throw err;
  }
}

/**
 * A JSON stream begun at its first message, as dockerd's flushing writer
 * does: until then the answer can still be an error status.
 */
class LazyStream {
  private stream: ResponseStream | undefined;
  constructor(private readonly ctx: RequestContext) {}

  writeJson(value: unknown): Promise<void> {
    this.stream ??= this.ctx.stream();
    return this.stream.writeJson(value);
  }
}

/** Codes whose message is already dockerd's; berth's hint is left out of the answer. */
const DOCKER_WORDED = new Set(['IMAGE_CONFLICT', 'INVALID_REFERENCE', 'INVALID_FILTER', 'DIGEST_IN_USE']);

/**
 * An image error as dockerd words it: "No such image: busybox:latest"
 * (the library says it in berth's lower case, with a hint to pull), and
 * dockerd's own messages without berth's hints.
 */
function dockerWorded(err: unknown): unknown {
  if (!(err instanceof EngineError)) return err;
  const missing = /^no such image: (.*)$/s.exec(err.message);
  if (missing && (err.code === 'NO_SUCH_IMAGE' || err.code === 'AMBIGUOUS_IMAGE_ID')) {
    return new EngineError('NotFound', err.code, `No such image: ${missing[1]}`, { cause: err });
  }
  if (DOCKER_WORDED.has(err.code) && err.hint !== undefined) return new EngineError(err.kind, err.code, err.message, { cause: err });
  return err;
}

/** A handler whose errors reach the client in dockerd's words. */
function docker(handler: Handler): Handler {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (err) {
      throw dockerWorded(err);
    }
  };
}
