import { cpus } from 'node:os';
import { EngineError } from '../errors/engine-error.js';
import { chainId } from '../image/config.js';
import { parseDigest } from '../lib/digest.js';
import { initialState, type Container, type MountPoint } from './container.js';
import { RUN_DIR_ID_LENGTH, type EngineContext } from './context.js';
import { hostHostnameOf, writeEtcFiles } from './etc-files.js';
import { checkContainerName, generateName, newContainerId } from './names.js';
import { createContainerLayers, removeContainerLayers } from './rootfs.js';
import { resolveRuntime } from './runtime-binary.js';
import { adaptHostConfig } from './spec/adapt.js';
import { mergeImageConfig } from './spec/merge.js';
import type { ContainerConfig, HostConfig } from './spec/types.js';

export interface CreateRequest {
  name?: string | undefined;
  config: ContainerConfig;
  hostConfig?: HostConfig | undefined;
}

export interface CreateResult {
  Id: string;
  Warnings: string[];
}

const KNOWN_NETWORK_MODES = /^(none|host|default|container:.+)$/;

/** Docker's defaults for what the request leaves out; until bridge networks exist, `none` is the default network. */
function withHostDefaults(hc: HostConfig | undefined): HostConfig {
  const out: HostConfig = { ...(hc ?? {}) };
  if (!out.NetworkMode || out.NetworkMode === 'default' || out.NetworkMode === 'bridge') out.NetworkMode = 'none';
  if (!KNOWN_NETWORK_MODES.test(out.NetworkMode)) {
    throw new EngineError('NotImplemented', 'NO_SUCH_NETWORK_MODE', `network ${out.NetworkMode} not found`, { hint: 'berth has --network none, host and container:<name|id> for now; bridge networks come later' });
  }
  out.RestartPolicy ??= { Name: 'no', MaximumRetryCount: 0 };
  out.LogConfig ??= { Type: 'json-file', Config: {} };
  if (out.LogConfig.Type && out.LogConfig.Type !== 'json-file') {
    throw new EngineError('NotImplemented', 'LOG_DRIVER', `logging driver ${JSON.stringify(out.LogConfig.Type)} is not supported`, { hint: 'berth writes json-file logs only' });
  }
  return out;
}

/** The container's mounts from -v / --mount; filled in by the volume code. */
export type MountResolver = (id: string, hostConfig: HostConfig, config: ContainerConfig) => Promise<MountPoint[]>;

/**
 * `docker create`: a record, the container's two layers over its image,
 * and its /etc files — no process (start makes one). A failure at any step
 * removes what the earlier ones made.
 */
export async function createContainer(ctx: EngineContext, req: CreateRequest, resolveMounts: MountResolver): Promise<CreateResult> {
  const imageRef = req.config.Image;
  if (!imageRef) throw new EngineError('InvalidArgument', 'NO_IMAGE', 'Config.Image is required: which image to create the container from');
  // run directories are named by the first RUN_DIR_ID_LENGTH digits: those must be unique too
  let id = newContainerId();
  while (ctx.containers.list().some((c) => c.ID.slice(0, RUN_DIR_ID_LENGTH) === id.slice(0, RUN_DIR_ID_LENGTH))) id = newContainerId();
  // the name is taken now, before anything is awaited: concurrent creates never share one
  const name = req.name ? checkContainerName(req.name) : generateName((n) => ctx.containers.nameInUse(n));
  ctx.containers.reserveName(name, id);
  try {
    return await createReserved(ctx, req, resolveMounts, id, name, imageRef);
  } finally {
    ctx.containers.releaseName(name); // saved: the record holds it now; failed: free again
  }
}

async function createReserved(ctx: EngineContext, req: CreateRequest, resolveMounts: MountResolver, id: string, name: string, imageRef: string): Promise<CreateResult> {
  const adapted = adaptHostConfig(withHostDefaults(req.hostConfig), { cgroupV2: false, numCpus: cpus().length });
  const hostConfig = adapted.hostConfig;
  if (hostConfig.Runtime && hostConfig.Runtime !== 'berth') resolveRuntime(hostConfig.Runtime); // refused now, not at start
  if (req.config.Hostname && (hostConfig.NetworkMode === 'host' || hostConfig.NetworkMode?.startsWith('container:'))) {
    throw new EngineError('InvalidArgument', 'HOSTNAME_CONFLICT', 'conflicting options: hostname and the network mode');
  }
  let image;
  try {
    image = await ctx.images.inspect(imageRef);
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'NotFound') throw new EngineError('NotFound', 'NO_SUCH_IMAGE', `No such image: ${imageRef}`, { cause: err });
    throw err;
  }
  const config = mergeImageConfig(req.config, image.Config ?? {});
  const args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (args.length === 0) throw new EngineError('InvalidArgument', 'NO_COMMAND', 'No command specified');
  const hostNetwork = hostConfig.NetworkMode === 'host';
  if (!config.Hostname) config.Hostname = hostNetwork ? hostHostnameOf() : id.slice(0, 12);

  const dir = ctx.containers.makeDir(id);
  let layers = false;
  try {
    await ctx.images.ensureUnpacked(parseDigest(image.Id));
    const top = chainId(image.RootFS.Layers.map((d) => parseDigest(d)));
    const mounts = await resolveMounts(id, hostConfig, config);
    createContainerLayers(ctx.snapshots, id, top, dir, mounts.map((m) => m.Destination), { volatile: hostConfig.AutoRemove === true });
    layers = true;
    const etc = writeEtcFiles(dir, config.Hostname, hostNetwork);
    const container: Container = {
      ID: id,
      Created: new Date().toISOString(),
      Path: args[0]!,
      Args: args.slice(1),
      State: initialState(),
      Image: image.Id,
      ImageRef: imageRef,
      Name: `/${name}`,
      RestartCount: 0,
      Driver: ctx.snapshots.driver,
      Config: config,
      HostConfig: hostConfig,
      Mounts: mounts,
      LogPath: `${dir}/${id}-json.log`,
      HostnamePath: etc.hostnamePath,
      HostsPath: etc.hostsPath,
      ResolvConfPath: etc.resolvConfPath,
      Runtime: hostConfig.Runtime || 'berth',
    };
    // on disk before the ID is given out: a create whose record could not be written is undone
    const unsaved = await ctx.containers.save(container);
    if (unsaved) throw new EngineError('Internal', 'CONTAINER_RECORD', `create: write the container's record: ${unsaved.message}`, { hint: 'check the data root is writable and has space', cause: unsaved });
    return { Id: id, Warnings: adapted.warnings };
  } catch (err) {
    if (layers) removeContainerLayers(ctx.snapshots, id);
    await ctx.containers.remove(id);
    throw err;
  }
}
