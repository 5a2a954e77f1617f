import { EngineError } from '../errors/engine-error.js';
import type { ContainerConfig, HealthConfig } from '../spec/oci-image.js';
import { layerSize, type ImageContext } from './context.js';
import type { ImageRecord } from './store.js';

/**
 * `docker image inspect` and `docker history`: what dockerd 20.10 answers,
 * field for field, computed from the image record, its config and the
 * snapshots' sizes.
 */

/** Docker's container.Config as inspect prints it: every field, zero values included. */
export interface DockerContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  ContainerConfig: DockerContainerConfig;
  DockerVersion: string;
  Author: string;
  Config: DockerContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

export interface HistoryItem {
  /** the image this step made, or "<missing>" when no image here has that step as its top */
  Id: string;
  /** Unix seconds */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** Go's zero time, which Docker prints for a time it never set. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Fills in Docker's container.Config fields in its order (Go marshals a struct, so every field shows). */
export function dockerContainerConfig(c: ContainerConfig | undefined | null): DockerContainerConfig {
  const src = c ?? {};
  const out: DockerContainerConfig = {
    Hostname: src.Hostname ?? '',
    Domainname: src.Domainname ?? '',
    User: src.User ?? '',
    AttachStdin: src.AttachStdin ?? false,
    AttachStdout: src.AttachStdout ?? false,
    AttachStderr: src.AttachStderr ?? false,
    Tty: src.Tty ?? false,
    OpenStdin: src.OpenStdin ?? false,
    StdinOnce: src.StdinOnce ?? false,
    Env: src.Env ?? null,
    Cmd: src.Cmd ?? null,
    Image: src.Image ?? '',
    Volumes: src.Volumes ?? null,
    WorkingDir: src.WorkingDir ?? '',
    Entrypoint: src.Entrypoint ?? null,
    OnBuild: src.OnBuild ?? null,
    Labels: src.Labels ?? null,
  };
  // the omitempty fields, each where Go's struct order puts it
  const ordered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) {
    if (k === 'Tty' && src.ExposedPorts && Object.keys(src.ExposedPorts).length > 0) ordered['ExposedPorts'] = src.ExposedPorts;
    if (k === 'Image') {
      if (src.Healthcheck) ordered['Healthcheck'] = src.Healthcheck;
      if (src.ArgsEscaped) ordered['ArgsEscaped'] = true;
    }
    ordered[k] = v;
  }
  if (src.StopSignal) ordered['StopSignal'] = src.StopSignal;
  if (src.StopTimeout !== undefined) ordered['StopTimeout'] = src.StopTimeout;
  if (src.Shell && src.Shell.length > 0) ordered['Shell'] = src.Shell;
  return ordered as unknown as DockerContainerConfig;
}

/** Size of an image as Docker counts it: the bytes of all its layers. */
export function imageSize(ctx: ImageContext, record: ImageRecord): number {
  return record.layers.reduce((sum, l) => sum + layerSize(ctx, l), 0);
}

export async function inspectImage(ctx: ImageContext, refOrId: string): Promise<ImageInspect> {
  const record = ctx.images.resolve(refOrId);
  const config = await ctx.images.config(record.id);
  const names = ctx.images.names(record.id);
  const size = imageSize(ctx, record);
  const top = record.layers.at(-1)?.chainId;
  const out: ImageInspect = {
    Id: record.id,
    RepoTags: names.repoTags,
    RepoDigests: names.repoDigests,
    Parent: record.parent ?? '',
    Comment: config.comment ?? '',
    Created: config.created ?? ZERO_TIME,
    Container: config.container ?? '',
    ContainerConfig: dockerContainerConfig(config.container_config),
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: config.config ? dockerContainerConfig(config.config) : null,
    Architecture: config.architecture,
    Os: config.os,
    Size: size,
    VirtualSize: size,
    GraphDriver: { Data: top === undefined ? null : ctx.graphDriverData(top), Name: ctx.snapshots.driver },
    RootFS: { Type: config.rootfs.type, Layers: record.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: record.lastTagTime ?? ZERO_TIME },
  };
  // Variant and OsVersion are omitempty in Docker's answer, and sit after Architecture and Os
  const ordered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) {
    ordered[k] = v;
    if (k === 'Architecture' && config.variant) ordered['Variant'] = config.variant;
    if (k === 'Os' && config['os.version']) ordered['OsVersion'] = config['os.version'];
  }
  return ordered as unknown as ImageInspect;
}

/**
 * `docker history`: the config's history, newest first. Each entry that
 * made a layer has that layer's size; metadata-only steps (empty_layer)
 * have 0. Image IDs are filled in down the parent chain (the image, its
 * parent, …); steps no local image ends at show "<missing>".
 */
export async function imageHistory(ctx: ImageContext, refOrId: string): Promise<HistoryItem[]> {
  const record = ctx.images.resolve(refOrId);
  const config = await ctx.images.config(record.id);
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      const l = record.layers[layer++];
      if (!l) {
        throw new EngineError('InvalidArgument', 'INVALID_IMAGE_CONFIG', `history of ${refOrId}: too many non-empty layers in History section`, {
          hint: 'the image config is inconsistent; pull or build it again',
        });
      }
      size = layerSize(ctx, l);
    }
    const created = h.created === undefined ? NaN : Date.parse(h.created);
    items.unshift({
      Id: '<missing>',
      Created: Number.isNaN(created) ? new Date(ZERO_TIME).getTime() / 1000 : Math.floor(created / 1000),
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  let image: ImageRecord | undefined = record;
  for (const item of items) {
    if (!image) break;
    item.Id = image.id;
    const tags = ctx.images.names(image.id).repoTags;
    item.Tags = tags.length > 0 ? tags : null;
    image = image.parent === undefined ? undefined : ctx.images.get(image.parent);
  }
  return items;
}
