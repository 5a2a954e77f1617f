import type { EngineClient } from '../../client/client.js';
import { EngineError } from '../../errors/engine-error.js';
import { renderInspect, renderList, type ListFormat } from './format/render.js';
import { ago, humanSize } from './format/units.js';

/**
 * `berth`'s container commands as berthd clients: each returns what to
 * print (docker's words and formats); streaming ones take a writer.
 */

interface Summary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: unknown[];
  Labels: Record<string, string>;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: { Name?: string; Source: string }[];
  HostConfig: { NetworkMode: string };
}

const PS_FORMAT: ListFormat = {
  table: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}',
  headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Status: 'STATUS', Ports: 'PORTS', Names: 'NAMES', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', State: 'STATE', LocalVolumes: 'LOCAL VOLUMES' },
};

/** "a=b,c" filter flags as the API's filters. */
export function parseFilterFlags(flags: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new EngineError('InvalidArgument', 'BAD_FILTER', `bad format of filter (expected name=value)`);
    (out[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  return out;
}

/** docker's ellipsis: at most `max` characters, the last one "…" when cut. */
function ellipsis(text: string, max: number): string {
  return [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;
}

export interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  size?: boolean;
  filter: string[];
  format?: string;
  noTrunc?: boolean;
  last?: number;
  latest?: boolean;
}

export async function ps(client: EngineClient, flags: PsFlags, now = Date.now()): Promise<string> {
  const limit = flags.latest ? 1 : flags.last !== undefined && flags.last >= 0 ? flags.last : undefined;
  const list = await client.get<Summary[]>('/containers/json', {
    query: { all: flags.all || limit !== undefined ? 1 : undefined, size: flags.size ? 1 : undefined, limit },
    filters: parseFilterFlags(flags.filter),
  });
  const trunc = !flags.noTrunc;
  const rows = list.map((c) => ({
    ID: trunc ? c.Id.slice(0, 12) : c.Id,
    Image: trunc && c.Image.startsWith('sha256:') ? c.Image.slice(7, 19) : c.Image,
    Command: trunc ? JSON.stringify(ellipsis(c.Command, 20)) : JSON.stringify(c.Command),
    CreatedAt: new Date(c.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    RunningFor: ago(c.Created * 1000, now),
    Status: c.Status,
    State: c.State,
    Ports: '',
    Names: c.Names.map((n) => n.slice(1)).join(','),
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    Mounts: c.Mounts.map((m) => m.Name ?? m.Source).join(','),
    Networks: c.HostConfig.NetworkMode,
    Size: c.SizeRw === undefined ? '' : `${humanSize(c.SizeRw)} (virtual ${humanSize(c.SizeRootFs ?? 0)})`,
    LocalVolumes: String(c.Mounts.filter((m) => m.Name).length),
  }));
  if (flags.quiet) return rows.map((r) => `${r.ID}\n`).join('');
  const table = flags.size ? `${PS_FORMAT.table}\t{{.Size}}` : PS_FORMAT.table;
  return renderList(rows, { ...PS_FORMAT, table }, flags.format);
}

/** `docker inspect` for containers (images: the caller falls back). */
export async function inspectContainers(client: EngineClient, refs: string[], format?: string, size = false): Promise<{ out: string; errors: string[]; missing: string[] }> {
  const found: unknown[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    try {
      found.push(await client.get(`/containers/${encodeURIComponent(ref)}/json`, { query: { size: size ? 1 : undefined } }));
    } catch (err) {
      if (!(err instanceof EngineError && err.kind === 'NotFound')) throw err;
      missing.push(ref);
    }
  }
  return { out: found.length ? renderInspect(found, format) : '', errors: missing.map((r) => `Error: No such container: ${r}`), missing };
}

/**
 * Runs one request per container, as docker's stop/kill/rm/start/restart
 * do: the name is printed for each success, an error line for each failure
 * (exit status 1 if any failed).
 */
export async function eachContainer(refs: string[], action: (ref: string) => Promise<void>): Promise<{ out: string; errors: string[] }> {
  let out = '';
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await action(ref);
      out += `${ref}\n`;
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      errors.push(`Error response from daemon: ${err.describe()}`);
    }
  }
  return { out, errors };
}

export const path = (ref: string, rest = ''): string => `/containers/${encodeURIComponent(ref)}${rest}`;

export async function waitFor(client: EngineClient, ref: string, condition?: string): Promise<number> {
  const r = await client.post<{ StatusCode: number; Error?: { Message: string } | null }>(path(ref, '/wait'), undefined, { query: { condition } });
  if (r.Error?.Message) throw new EngineError('Internal', 'WAIT_FAILED', r.Error.Message);
  return r.StatusCode;
}

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  details?: boolean;
}

/**
 * `docker inspect`: each name as a container, else as an image (or only as
 * `type` says), in the order given; "No such object" for a name that is
 * neither.
 */
export async function inspectObjects(client: EngineClient, refs: string[], format?: string, type?: string): Promise<{ out: string; errors: string[] }> {
  if (type !== undefined && !['container', 'image', 'volume'].includes(type)) {
    throw new EngineError('InvalidArgument', 'BAD_TYPE', `"${type}" is not a valid value for --type`);
  }
  const found: unknown[] = [];
  const errors: string[] = [];
  const tries: [string, (ref: string) => string][] = [
    ['container', (r) => path(r, '/json')],
    ['image', (r) => `/images/${encodeURIComponent(r)}/json`],
    ['volume', (r) => `/volumes/${encodeURIComponent(r)}`],
  ];
  for (const ref of refs) {
    let hit: unknown;
    for (const [kind, url] of tries) {
      if (type !== undefined ? kind !== type : kind === 'volume') continue;
      try {
        hit = await client.get(url(ref));
        break;
      } catch (err) {
        if (!(err instanceof EngineError && err.kind === 'NotFound')) throw err;
      }
    }
    if (hit === undefined) errors.push(`Error: No such ${type ?? 'object'}: ${ref}`);
    else found.push(hit);
  }
  return { out: found.length || !errors.length ? renderInspect(found, format) : '', errors };
}
