import { systemInfo } from '../daemon/info.js';
import { openServices, VERSION, type DaemonPaths, type Services } from '../daemon/services.js';
import { Logger } from '../lib/logger.js';
import { registerContainerRoutes } from './routes/containers.js';
import { registerImageRoutes } from './routes/images.js';
import { registerVolumeRoutes } from './routes/volumes.js';
import { createApiServer, type ApiServer } from './server.js';

export interface DaemonOptions extends DaemonPaths {
  /** default /run/berth/berth.sock */
  socketPath: string;
  debug?: boolean;
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
  const services = openServices(opts, log);
  await services.engine.recover();
  const server = await createApiServer({
    socketPath: opts.socketPath,
    mode: 0o660,
    version: { version: VERSION, components: [{ Name: 'berth-runtime', Version: VERSION }] },
    logger: log,
    info: () => systemInfo(services, opts),
  });
  registerContainerRoutes(server.router, services.engine);
  registerVolumeRoutes(server.router, services);
  registerImageRoutes(server.router, services);
  return {
    services,
    server,
    async close() {
      await server.close();
      services.engine.close();
    },
  };
}
