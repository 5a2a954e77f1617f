import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostLayout, type CgroupLayout } from '../cgroups/layout.js';
import { LocalContentStore } from '../content/local-store.js';
import type { Container } from '../engine/container.js';
import type { EngineContext } from '../engine/context.js';
import { Engine } from '../engine/engine.js';
import { resolveMounts } from '../engine/mounts.js';
import { ContainerStore } from '../engine/store.js';
import { ImageService } from '../image/service.js';
import { ImageStore } from '../image/store.js';
import type { Digest } from '../lib/digest.js';
import { Logger } from '../lib/logger.js';
import { StateStore } from '../runtime/state-store.js';
import { createSnapshotter } from '../snapshot/create.js';
import { RealHostFacts } from '../sys/host-facts.js';
import { nativeBinary } from '../sys/native-paths.js';
import { VolumeStore } from '../volume/store.js';

export const VERSION = '0.1.0';

export interface DaemonPaths {
  /** default /var/lib/berth */
  dataRoot: string;
  /** default /run/berth */
  runRoot: string;
}

/** Everything berthd serves, composed: the stores, the image service, the engine. */
export interface Services {
  engine: Engine;
  images: ImageService;
  volumes: VolumeStore;
  ctx: EngineContext;
  log: Logger;
}

export function openServices(paths: DaemonPaths, log: Logger = new Logger(undefined, 'text', false, 'berthd')): Services {
  const dataRoot = resolve(paths.dataRoot);
  const runRoot = resolve(paths.runRoot);
  mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
  mkdirSync(runRoot, { recursive: true, mode: 0o700 });
  const content = new LocalContentStore(join(dataRoot, 'content'));
  const snapshots = createSnapshotter(dataRoot);
  const containers = new ContainerStore(join(dataRoot, 'containers'), (m) => log.warn(m));
  const volumes = new VolumeStore(join(dataRoot, 'volumes'));
  const images = new ImageService({
    content,
    images: new ImageStore(join(dataRoot, 'image'), content),
    snapshots,
    engineVersion: VERSION,
    containersUsing: (id: Digest) =>
      containers
        .list()
        .filter((c) => c.Image === id)
        .map((c) => ({ id: c.ID, running: c.State.Running })),
  });
  let layout: CgroupLayout | undefined;
  const ctx: EngineContext = {
    dataRoot,
    runRoot,
    containers,
    images,
    snapshots,
    runtime: {
      store: new StateStore(join(runRoot, 'runtime')),
      log,
      host: new RealHostFacts(),
      cgroupLayout: () => (layout ??= hostLayout()),
    },
    log,
    shimPath: nativeBinary('berth-shim'),
    reaperPath: nativeBinary('berth-reaper'),
    version: VERSION,
  };
  const inUse = (name: string): string[] => containers.list().filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === name)).map((c) => c.ID);
  const removeAnonymous = async (c: Container): Promise<void> => {
    for (const m of c.Mounts) {
      if (m.Type !== 'volume' || !m.Anonymous || !m.Name) continue;
      const users = inUse(m.Name).filter((id) => id !== c.ID);
      if (users.length === 0) volumes.remove(m.Name, [], true);
    }
  };
  const engine = new Engine(ctx, async (id, hc, config) => resolveMounts({ volumes, containers }, id, hc, config), removeAnonymous);
  return { engine, images, volumes, ctx, log };
}
