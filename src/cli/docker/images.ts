import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { EngineError } from '../../errors/engine-error.js';
import type { ImageService } from '../../image/service.js';
import { shortId } from '../../lib/digest.js';
import type { ImageSummary } from '../../image/list.js';
import { renderInspect, renderList, type ListFormat } from './format/render.js';
import { ago, humanSize } from './format/units.js';

/**
 * `berth` image commands: each takes the service and parsed flags and
 * returns what to print, as the docker CLI prints it.
 */

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

/** One row per tag, as `docker images` shows them; `<none>` for what is missing. */
function imageRows(images: ImageSummary[], noTrunc: boolean, now: number): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const base = {
      ID: noTrunc ? img.Id : shortId(img.Id),
      CreatedSince: ago(img.Created * 1000, now),
      CreatedAt: new Date(img.Created * 1000).toISOString(),
      Size: humanSize(img.Size),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      VirtualSize: humanSize(img.VirtualSize),
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

export async function images(service: ImageService, reference: string | undefined, flags: ImagesFlags, now = Date.now()): Promise<string> {
  const filters = parseFilters(flags.filter);
  if (reference) (filters['reference'] ??= []).push(reference);
  const list = await service.list({ all: flags.all, filters });
  const rows = imageRows(list, Boolean(flags.noTrunc), now);
  if (flags.quiet) return rows.map((r) => `${r.ID}\n`).join('');
  const table = flags.digests ? IMAGES_FORMAT.table.replace('{{.Tag}}\t', '{{.Tag}}\t{{.Digest}}\t') : IMAGES_FORMAT.table;
  return renderList(rows, { ...IMAGES_FORMAT, table }, flags.format);
}

export async function inspect(service: ImageService, names: string[], format?: string): Promise<{ out: string; errors: string[] }> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await service.inspect(name));
    } catch (err) {
      if (!(err instanceof EngineError && err.kind === 'NotFound')) throw err;
      errors.push(`Error: No such image: ${name}`);
    }
  }
  return { out: found.length || !errors.length ? renderInspect(found, format) : '', errors };
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
export async function history(service: ImageService, name: string, flags: HistoryFlags, now = Date.now()): Promise<string> {
  const items = await service.history(name);
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

export async function removeImages(service: ImageService, names: string[], flags: { force?: boolean; noPrune?: boolean }): Promise<{ out: string; errors: string[] }> {
  let out = '';
  const errors: string[] = [];
  for (const name of names) {
    try {
      for (const item of await service.remove(name, { force: flags.force, noPrune: flags.noPrune })) {
        out += 'Untagged' in item ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`;
      }
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      errors.push(`Error response from daemon: ${err.describe()}`);
    }
  }
  return { out, errors };
}

export async function prune(service: ImageService, flags: { all?: boolean; filter: string[] }): Promise<string> {
  const report = await service.prune({ all: flags.all, filters: parseFilters(flags.filter) });
  let out = '';
  if (report.ImagesDeleted.length) {
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

/** `docker import`: prints the new image's ID. `-` reads stdin. */
export async function importFrom(service: ImageService, source: string, ref: string | undefined, flags: { change: string[]; message?: string }, stdin: Readable): Promise<string> {
  const input = source === '-' ? stdin : openInput(source);
  const result = await service.importImage(input, { ref, changes: flags.change, message: flags.message, source: source === '-' ? '-' : source });
  return `${result.id}\n`;
}

/** Archives are read in 1 MiB chunks rather than Node's 64 KiB: a tenth of the thread-pool round trips. */
const INPUT_CHUNK = 1 << 20;

function openInput(path: string): Readable {
  if (/^[a-z]+:\/\//i.test(path)) {
    throw new EngineError('NotImplemented', 'NO_URL_IMPORT', `import from a URL is not supported yet: ${path}`, { hint: 'download it first, then: berth import FILE' });
  }
  return createReadStream(path, { highWaterMark: INPUT_CHUNK });
}

/** `docker save`: the archive to a file, or to stdout when that is not a terminal. */
export async function save(service: ImageService, names: string[], output: string | undefined, stdout: Writable & { isTTY?: boolean }): Promise<void> {
  if (!output && stdout.isTTY) {
    throw new EngineError('InvalidArgument', 'SAVE_TO_TERMINAL', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  const archive = await service.save(names);
  if (output) {
    const tmp = `${output}.berth-tmp-${process.pid}`;
    try {
      await pipeline(archive, createWriteStream(tmp));
      renameSync(tmp, output);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  } else {
    await pipeline(archive, stdout, { end: false });
  }
}

/** `docker load`: "Loaded image: name:tag" per tag, "Loaded image ID: sha256:…" for an untagged image. */
export async function load(service: ImageService, input: string | undefined, stdin: Readable & { isTTY?: boolean }, quiet: boolean, progress: (line: string) => void): Promise<string> {
  if (!input && stdin.isTTY) {
    throw new EngineError('InvalidArgument', 'LOAD_FROM_TERMINAL', 'requested load from stdin, but stdin is empty', { hint: 'give the archive with -i FILE, or redirect it' });
  }
  const source = input ? createReadStream(input, { highWaterMark: INPUT_CHUNK }) : stdin;
  const result = await service.load(source, quiet ? {} : { onProgress: (e) => progress(`Loading layer ${e.index + 1}/${e.count} ${e.layer}`) });
  return result.loaded.map((l) => (l.startsWith('sha256:') ? `Loaded image ID: ${l}\n` : `Loaded image: ${l}\n`)).join('');
}
