import { createReadStream, createWriteStream, existsSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type EngineClient, jsonMessages } from '../../client/client.js';
import { EngineError } from '../../errors/engine-error.js';
import type { ImageSummary } from '../../image/list.js';
import { familiarName, parseAnyReference, parseReference, withDefaultTag } from '../../image/reference.js';
import type { DeleteItem, PruneReport } from '../../image/remove.js';
import type { HistoryItem } from '../../image/views.js';
import { shortId } from '../../lib/digest.js';
import { ask, streamError } from './context.js';
import { renderInspect, renderList, type ListFormat } from './format/render.js';
import { ago, humanSize } from './format/units.js';

/**
 * `berth` image commands, as clients of berthd: each takes the client and
 * parsed flags, asks the daemon (Docker's image API), and returns what to
 * print, as the docker CLI prints it.
 */

/** An image name in a request path: its slashes are the path's, the rest escaped. */
export const imagePath = (name: string, rest = ''): string => `/images/${name.split('/').map(encodeURIComponent).join('/')}${rest}`;

export type Filters = Record<string, string[]>;

/** `--filter a=b` flags → Docker's filter map. */
export function parseFilters(flags: string[]): Filters {
  const filters: Filters = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new EngineError('InvalidArgument', 'BAD_FILTER', `bad format of filter (expected name=value): ${f}`);
    (filters[f.slice(0, eq).trim().toLowerCase()] ??= []).push(f.slice(eq + 1).trim());
  }
  return filters;
}


const IMAGES_FORMAT: ListFormat = {
  table: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}',
  headers: { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' },
};

interface ImageRow {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
  Containers: string;
}

/** An image of GET /images/json: VirtualSize went away in API 1.44. */
type ListedImage = Omit<ImageSummary, 'VirtualSize'> & { VirtualSize?: number };

/** One row per tag, as `docker images` shows them; `<none>` for what is missing. */
function imageRows(images: ListedImage[], noTrunc: boolean, now: number): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const base = {
      ID: noTrunc ? img.Id : shortId(img.Id),
      CreatedSince: ago(img.Created * 1000, now),
      CreatedAt: new Date(img.Created * 1000).toISOString(),
      Size: humanSize(img.Size),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      VirtualSize: humanSize(img.VirtualSize ?? img.Size),
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
    };
    const digestOf = (repo: string): string => img.RepoDigests?.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
    const tags = img.RepoTags?.filter((t) => t !== '<none>:<none>') ?? [];
    if (tags.length === 0) {
      const repo = img.RepoDigests?.[0]?.split('@')[0] ?? '<none>';
      rows.push({ ...base, Repository: repo, Tag: '<none>', Digest: repo === '<none>' ? '<none>' : digestOf(repo) });
      continue;
    }
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      rows.push({ ...base, Repository: repo, Tag: t.slice(colon + 1), Digest: digestOf(repo) });
    }
  }
  return rows;
}

export interface ImagesFlags {
  all?: boolean;
  digests?: boolean;
  filter: string[];
  format?: string;
  noTrunc?: boolean;
  quiet?: boolean;
}

export async function images(client: EngineClient, reference: string | undefined, flags: ImagesFlags, now = Date.now()): Promise<string> {
  const filters = parseFilters(flags.filter);
  if (reference) (filters['reference'] ??= []).push(reference);
  // dockerd adds up shared sizes only when asked: ask when the format shows them
  const sharedSize = /SharedSize|UniqueSize/.test(flags.format ?? '') ? true : undefined;
  const list = await ask(client.get<ListedImage[]>('/images/json', { query: { all: flags.all ? true : undefined, 'shared-size': sharedSize }, filters }));
  const rows = imageRows(list, Boolean(flags.noTrunc), now);
  if (flags.quiet) return rows.map((r) => `${r.ID}\n`).join('');
  const table = flags.digests ? IMAGES_FORMAT.table.replace('{{.Tag}}\t', '{{.Tag}}\t{{.Digest}}\t') : IMAGES_FORMAT.table;
  return renderList(rows, { ...IMAGES_FORMAT, table }, flags.format);
}

/**
 * `docker image inspect`: what was found, then an error line for each name
 * that was not (`missing`, for a generic inspect that tries containers too).
 */
export async function inspect(client: EngineClient, names: string[], format?: string): Promise<{ out: string; errors: string[]; missing: string[] }> {
  const found: unknown[] = [];
  const errors: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    try {
      found.push(await ask(client.get(imagePath(name, '/json'))));
    } catch (err) {
      if (!(err instanceof EngineError && err.kind === 'NotFound')) throw err;
      missing.push(name);
      errors.push(`Error response from daemon: ${err.message}`);
    }
  }
  return { out: renderInspect(found, format), errors, missing };
}

const HISTORY_FORMAT: ListFormat = {
  table: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
  headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
};

export interface HistoryFlags {
  human: boolean;
  noTrunc?: boolean;
  quiet?: boolean;
  format?: string;
}

/** `docker history`: newest step first; CREATED BY cut at 45 characters with "…". */
export async function history(client: EngineClient, name: string, flags: HistoryFlags, now = Date.now()): Promise<string> {
  const items = await ask(client.get<HistoryItem[]>(imagePath(name, '/history')));
  const rows = items.map((h) => {
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    return {
      ID: h.Id === '<missing>' || flags.noTrunc ? h.Id : shortId(h.Id),
      CreatedSince: flags.human ? ago(h.Created * 1000, now) : new Date(h.Created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      CreatedAt: new Date(h.Created * 1000).toISOString(),
      CreatedBy: flags.noTrunc || [...createdBy].length <= 45 ? createdBy : `${[...createdBy].slice(0, 44).join('')}…`,
      Size: flags.human ? humanSize(h.Size) : String(h.Size),
      Comment: h.Comment,
      Tags: h.Tags,
    };
  });
  if (flags.quiet) return rows.map((r) => `${r.ID}\n`).join('');
  return renderList(rows, HISTORY_FORMAT, flags.format);
}

/** `docker tag`: the target split into repository and tag as docker's client splits it. */
export async function tag(client: EngineClient, source: string, target: string): Promise<void> {
  const parsed = (text: string, parse: (t: string) => unknown): void => {
    try {
      parse(text);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      throw new EngineError('InvalidArgument', 'INVALID_REFERENCE', `Error parsing reference: ${JSON.stringify(text)} is not a valid repository/tag: ${err.message}`);
    }
  };
  parsed(source, parseAnyReference);
  parsed(target, parseReference);
  const ref = withDefaultTag(parseReference(target));
  if (ref.digest !== undefined) throw new EngineError('InvalidArgument', 'DIGEST_TAG', 'refusing to create a tag with a digest reference');
  await ask(client.post(imagePath(source, '/tag'), undefined, { query: { repo: familiarName(ref), tag: ref.tag } }));
}

export async function removeImages(client: EngineClient, names: string[], flags: { force?: boolean; noPrune?: boolean }): Promise<{ out: string; errors: string[] }> {
  let out = '';
  const errors: string[] = [];
  for (const name of names) {
    try {
      const items = await ask(client.delete<DeleteItem[]>(imagePath(name), { query: { force: flags.force ? true : undefined, noprune: flags.noPrune ? true : undefined } }));
      for (const item of items) out += 'Untagged' in item ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`;
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      errors.push(`Error response from daemon: ${err.describe()}`);
    }
  }
  return { out, errors };
}

/** `docker image prune`: dangling images, or with `all` every image no container uses. */
export async function prune(client: EngineClient, flags: { all?: boolean; filter: string[] }): Promise<string> {
  const filters = parseFilters(flags.filter);
  (filters['dangling'] ??= []).push(String(!flags.all));
  const report = await ask(client.post<{ ImagesDeleted: PruneReport['ImagesDeleted'] | null; SpaceReclaimed: number }>('/images/prune', undefined, { filters }));
  let out = '';
  if (report.ImagesDeleted?.length) {
    out += 'Deleted Images:\n';
    for (const item of report.ImagesDeleted) out += 'Untagged' in item ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`;
    out += '\n';
  }
  return `${out}Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
}

export function pruneWarning(all: boolean | undefined): string {
  return all
    ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] '
    : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ';
}

/** `docker import`: prints the new image's ID. `-` reads stdin; a URL is the daemon's to fetch. */
export async function importFrom(client: EngineClient, source: string, ref: string | undefined, flags: { change: string[]; message?: string }, stdin: Readable): Promise<string> {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
  const query = { fromSrc: url ? source : '-', repo: ref, message: flags.message, changes: flags.change };
  const upload = url ? undefined : { data: source === '-' ? stdin : openInput(source), contentType: 'application/x-tar' };
  const res = await ask(client.stream('POST', '/images/create', undefined, { query, ...(upload ? { upload } : {}) }));
  let id = '';
  await eachMessage(res, 'IMPORT_FAILED', (m) => {
    if (m.status) id = m.status;
  });
  return `${id}\n`;
}

/** Archives are read in 1 MiB chunks rather than Node's 64 KiB: a tenth of the thread-pool round trips. */
const INPUT_CHUNK = 1 << 20;

/** A file to upload, opened before the request, so that a missing one is said so (in docker's words). */
function openInput(path: string): Readable {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new EngineError('InvalidArgument', 'NO_INPUT', `open ${path}: ${errnoText(err)}`, { cause: err });
  }
  return createReadStream(path, { fd, highWaterMark: INPUT_CHUNK });
}

/** "no such file or directory", as Go words an errno. */
function errnoText(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  return /^[A-Z]+: ([^,]+),/.exec(message)?.[1] ?? message;
}

/** A stream to a file, as docker's CopyToFile: a temporary file beside it, renamed when complete (removed if not). */
export async function streamToFile(stream: NodeJS.ReadableStream, output: string): Promise<void> {
  const tmp = `${output}.berth-tmp-${process.pid}`;
  try {
    await pipeline(stream, createWriteStream(tmp));
    renameSync(tmp, output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** `docker save`: the archive to a file, or to stdout when that is not a terminal. */
export async function save(client: EngineClient, names: string[], output: string | undefined, stdout: Writable & { isTTY?: boolean }): Promise<void> {
  if (!output && stdout.isTTY) {
    throw new EngineError('InvalidArgument', 'SAVE_TO_TERMINAL', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  if (output && !existsSync(dirname(resolve(output)))) {
    throw new EngineError('InvalidArgument', 'BAD_OUTPUT', `failed to save image: invalid output path: directory ${JSON.stringify(dirname(resolve(output)))} does not exist`);
  }
  const archive = await ask(client.stream('GET', '/images/get', undefined, { query: { names } }));
  try {
    if (output) await streamToFile(archive, output);
    else await pipeline(archive, stdout, { end: false });
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('Internal', 'SAVE_FAILED', `save: the archive did not arrive whole: ${(err as Error).message}`, { cause: err });
  }
}

/** `docker load`: "Loaded image: name:tag" per tag, "Loaded image ID: sha256:…" for an untagged image. */
export async function load(client: EngineClient, input: string | undefined, stdin: Readable & { isTTY?: boolean }, quiet: boolean, progress: (line: string) => void): Promise<string> {
  if (!input && stdin.isTTY) {
    throw new EngineError('InvalidArgument', 'LOAD_FROM_TERMINAL', 'requested load from stdin, but stdin is empty', { hint: 'give the archive with -i FILE, or redirect it' });
  }
  const source = input ? openInput(input) : stdin;
  const res = await ask(client.stream('POST', '/images/load', undefined, { query: { quiet }, upload: { data: source, contentType: 'application/x-tar' } }));
  let out = '';
  await eachMessage(res, 'LOAD_FAILED', (m) => {
    if (m.stream) out += m.stream;
    else if (m.status) progress([m.status, m.progress, m.id].filter(Boolean).join(' '));
  });
  return out;
}

interface JsonMessage {
  status?: string;
  progress?: string;
  id?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** The daemon's JSON messages in order; a reported error ends the stream as an error. */
async function eachMessage(res: IncomingMessage, code: string, each: (m: JsonMessage) => void): Promise<void> {
  try {
    for await (const m of jsonMessages<JsonMessage>(res)) {
      if (m.errorDetail || m.error) throw streamError(m.errorDetail?.message ?? m.error ?? 'unknown error', code);
      each(m);
    }
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('Unavailable', 'DAEMON_CONNECTION_FAILED', `the daemon's answer ended early: ${(err as Error).message}`, { cause: err });
  }
}
