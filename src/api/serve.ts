import { systemInfo } from '../daemon/info.js';
import { openServices, VERSION, type DaemonPaths, type Services } from '../daemon/services.js';
import { EngineError } from '../errors/engine-error.js';
import { Logger } from '../lib/logger.js';
import { lockFile } from '../sys/addon.js';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { registerArchiveRoutes } from './routes/archive.js';
import { registerContainerRoutes } from './routes/containers.js';
import { registerImageRoutes } from './routes/images.js';
import { registerMonitoringRoutes } from './routes/monitoring.js';
import { registerVolumeRoutes } from './routes/volumes.js';
import { createApiServer, type ApiServer } from './server.js';

export interface DaemonOptions extends DaemonPaths {
  /** default /run/berth/berth.sock */
  socketPath: string;
  debug?: boolean;
  /** Called as each API request starts and ends. */
  onActivity?: () => void;
}

export interface Daemon {
  services: Services;
  server: ApiServer;
  /** Stops serving; running containers go on under their shims. */
  close(): Promise<void>;
}

/**
 * berthd as a whole (it lives here, above the API it serves, because the
 * layering lets only api/ see both):  the services over the data root, the API on
 * the socket, and recovery — containers that ran under an earlier berthd
 * are watched again, and the exits it missed are recorded.
 */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const log = new Logger(undefined, 'text', opts.debug === true, 'berthd');
  // one berthd per data root: a second one's recovery would undo the first one's starts
  holdDaemonLock(opts.dataRoot);
  const services = openServices(opts, log);
  await services.engine.recover();
  const server = await createApiServer({
    socketPath: opts.socketPath,
    mode: 0o660,
    version: { version: VERSION, components: [{ Name: 'berth-runtime', Version: VERSION }] },
    logger: log,
    info: () => systemInfo(services, opts),
    onActivity: opts.onActivity,
  });
  registerContainerRoutes(server.router, services.engine);
  registerArchiveRoutes(server.router, services.engine);
  registerVolumeRoutes(server.router, services);
  registerImageRoutes(server.router, services);
  registerMonitoringRoutes(server.router, services);
  return {
    services,
    server,
    async close() {
      await server.close();
      services.engine.close();
      await services.ctx.containers.flush();
    },
  };
}

/** Takes <data-root>/berthd.pid's lock for the life of this process, with our pid in it; refuses if another berthd has it. */
function holdDaemonLock(dataRoot: string): void {
  mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
  const path = join(dataRoot, 'berthd.pid');
  const fd = openSync(path, 'a+', 0o644);
  if (!lockFile(fd)) {
    let holder = '';
    try {
      holder = readFileSync(path, 'utf8').trim();
    } catch {
      // unreadable: the message goes without the pid
    }
    closeSync(fd);
    throw new EngineError('Conflict', 'DAEMON_ALREADY_RUNNING', `another berthd${holder ? ` (pid ${holder})` : ''} is using the data root ${dataRoot}`, { hint: 'stop it first, or give this one another --data-root' });
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  // the descriptor stays open (and locked) until the process ends
}
