import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer, IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { Logger } from '../lib/logger.js';
import { Exchange } from './context.js';
import { errorReply } from './errors.js';
import { Query } from './query.js';
import { RawRequest } from './raw-request.js';
import { type Handler, type HttpMethod, Router } from './router.js';
import { registerSystemRoutes, type VersionInfo } from './system.js';
import { type ApiVersionRange, API_VERSION, checkRequestedVersion, MIN_API_VERSION, splitVersionPrefix, versionBelow } from './version.js';

export interface ApiServerOptions {
  /** The unix socket to serve on; its directory is created 0700 if missing. */
  socketPath: string;
  /** The socket's permissions: 0660 unless told (root and the socket's group). */
  mode?: number;
  /** A group to own the socket (dockerd's `-G docker`); the process's own unless told. */
  gid?: number;
  version: VersionInfo;
  /** The access log goes to debug(), handler failures to error(). */
  logger?: Logger;
  /** GET /info, which the engine answers. */
  info?: Handler;
  /** Called as each request starts and as it ends (berthd's idle collector watches them). */
  onActivity?: () => void;
}

/**
 * The Engine API over a unix socket: dockerd's routing rules (an optional
 * `/v1.NN` prefix checked against the versions served, "page not found" for
 * anything else), its response headers and error bodies, chunked streams,
 * and hijacked connections for attach and exec. What a route does is the
 * daemon's: it registers handlers on `router`.
 */
export class ApiServer {
  readonly router = new Router();
  readonly socketPath: string;
  private readonly options: ApiServerOptions;
  private readonly http: Server;
  private readonly log: Logger;
  private readonly range: ApiVersionRange;
  private readonly baseHeaders: [string, string][];
  private readonly active = new Set<Exchange>();
  private readonly rawSockets = new Set<Socket>();
  private socketIno: number | undefined;

  constructor(options: ApiServerOptions) {
    this.options = options;
    this.socketPath = options.socketPath;
    this.log = options.logger ?? new Logger(undefined, 'text', false, 'berthd');
    this.range = { max: options.version.apiVersion ?? API_VERSION, min: options.version.minApiVersion ?? MIN_API_VERSION };
    if (versionBelow(this.range.max, this.range.min)) throw new Error(`API version range ${this.range.min}–${this.range.max} is empty`);
    this.baseHeaders = [
      ['Api-Version', this.range.max],
      ['Docker-Experimental', String(options.version.experimental ?? false)],
      ['Ostype', 'linux'],
      ['Server', `berth/${options.version.version} (linux)`],
    ];
    registerSystemRoutes(this.router, options.version);
    if (options.info) this.router.get('/info', options.info);

    this.http = createServer({
      IncomingMessage: this.incomingMessageClass(),
      // Go's default; registry auth headers of builds can be large
      maxHeaderSize: 1 << 20,
      // uploads (image load, build contexts) take as long as they take
      requestTimeout: 0,
    });
    this.http.on('request', (req: IncomingMessage, res: ServerResponse) => void this.dispatch(req, res, undefined));
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.rawSockets.add(socket);
      socket.on('close', () => this.rawSockets.delete(socket));
      socket.on('error', (err) => this.log.debug(`api: connection of ${req.method} ${req.url}: ${err.message}`));
      void this.dispatch(req, undefined, new RawRequest(socket, head, req));
    });
  }

  get listening(): boolean {
    return this.http.listening;
  }

  /**
   * Listens on the socket. A socket file left by a daemon that is gone is
   * replaced; one a live server answers on is not.
   */
  async listen(): Promise<void> {
    await prepareSocketPath(this.socketPath);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new EngineError('Unavailable', 'API_LISTEN_FAILED', `listen on ${JSON.stringify(this.socketPath)}: ${err.message}`, { cause: err }));
      this.http.once('error', onError);
      // the socket is bound inside listen(): a umask that leaves no more than
      // `mode` makes it never reachable by others, not even until the chmod below
      const mode = this.options.mode ?? 0o660;
      const umask = setUmask(0o777 & ~mode);
      try {
        this.http.listen(this.socketPath, () => {
          this.http.off('error', onError);
          resolve();
        });
      } finally {
        if (umask !== undefined) setUmask(umask);
      }
    });
    try {
      await chmod(this.socketPath, this.options.mode ?? 0o660);
      if (this.options.gid !== undefined) await chown(this.socketPath, -1, this.options.gid);
      this.socketIno = (await lstat(this.socketPath)).ino;
    } catch (err) {
      await this.close();
      throw new EngineError('Internal', 'API_SOCKET_SETUP_FAILED', `set up socket ${JSON.stringify(this.socketPath)}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Stops serving: requests in progress are aborted (their handlers see the
   * signal), connections closed, and the socket file removed if it is still ours.
   */
  async close(): Promise<void> {
    if (!this.http.listening) return;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const ex of this.active) ex.abort();
    this.http.closeAllConnections();
    for (const socket of this.rawSockets) socket.destroy();
    await closed;
    try {
      if ((await lstat(this.socketPath)).ino === this.socketIno) await unlink(this.socketPath);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') this.log.warn(`api: remove socket ${JSON.stringify(this.socketPath)}: ${(err as Error).message}`);
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse | undefined, raw: RawRequest | undefined): Promise<void> {
    const started = performance.now();
    this.options.onActivity?.();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const { version: requested, path } = splitVersionPrefix(q < 0 ? url : url.slice(0, q));
    const method = (req.method ?? 'GET') as HttpMethod;
    const ex = new Exchange({
      req,
      res,
      raw,
      method,
      path,
      query: Query.parse(q < 0 ? '' : url.slice(q + 1)),
      version: requested ?? this.range.max,
      headers: this.baseHeaders,
    });
    this.active.add(ex);
    try {
      // dockerd answers an unknown path, and a known one with the wrong method, alike
      const match = this.router.match(method, path);
      if (!match) throw new EngineError('NotFound', 'PAGE_NOT_FOUND', 'page not found');
      ex.pattern = match.route.pattern;
      ex.params = match.params;
      ex.version = checkRequestedVersion(requested, this.range);
      const value = await match.route.handler(ex);
      await ex.complete(value);
    } catch (err) {
      const reply = errorReply(err);
      if (reply.unexpected) this.log.error(`api: handler for ${method} ${ex.pattern || path} failed: ${(err as Error)?.stack ?? String(err)}`);
      else if (reply.status >= 500) this.log.error(`api: handler for ${method} ${ex.pattern || path} returned an error: ${reply.message}`);
      try {
        // clients older than 1.24 expect text errors; dockerd still sends them that way
        ex.fail(err, requested !== undefined && versionBelow(requested, '1.24'));
      } catch (writeErr) {
        this.log.debug(`api: could not send the error for ${method} ${url}: ${(writeErr as Error).message}`);
      }
    } finally {
      this.active.delete(ex);
      this.options.onActivity?.();
      const ms = (performance.now() - started).toFixed(1);
      const note = ex.signal.aborted ? ' (client went away)' : ex.hijacked ? ' (hijacked)' : '';
      this.log.debug(`api: ${method} ${url} ${ex.status} ${ms}ms${note}`);
    }
  }

  /**
   * Node's parser hands a request over with its socket only when the client
   * asked for an upgrade. Docker clients may POST attach or exec start
   * without one and still stream stdin after the head; the parser would read
   * those bytes as a next request. So a request to a route registered with
   * `{ hijack: true }` reports itself as an upgrade, which is what the parser
   * asks (after the method, URL and headers are known) to decide.
   */
  private incomingMessageClass(): typeof IncomingMessage {
    const mayHijack = (req: IncomingMessage): boolean => {
      if (req.method !== 'POST' || req.url === undefined) return false;
      const q = req.url.indexOf('?');
      const { path } = splitVersionPrefix(q < 0 ? req.url : req.url.slice(0, q));
      try {
        return this.router.match('POST', path)?.route.hijack === true;
      } catch {
        return false;
      }
    };
    const PARSER_UPGRADE = Symbol('parser upgrade');
    type Flagged = IncomingMessage & { [PARSER_UPGRADE]?: boolean };
    class BerthIncomingMessage extends IncomingMessage {}
    Object.defineProperty(BerthIncomingMessage.prototype, 'upgrade', {
      configurable: true,
      get(this: Flagged): boolean {
        return this[PARSER_UPGRADE] === true || mayHijack(this);
      },
      set(this: Flagged, value: boolean) {
        this[PARSER_UPGRADE] = value;
      },
    });
    return BerthIncomingMessage;
  }
}

/** Sets the process umask, returning the old one; undefined where it cannot be set (a worker thread). */
function setUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    return undefined;
  }
}

/** Creates a server and starts listening. */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const server = new ApiServer(options);
  await server.listen();
  return server;
}

async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) {
    throw new EngineError('Conflict', 'SOCKET_PATH_TAKEN', `listen on ${JSON.stringify(path)}: the path exists and is not a socket`, { hint: 'remove it, or choose another socket path' });
  }
  const answer = await probe(path);
  if (answer === 'stale') {
    await unlink(path);
    return;
  }
  throw new EngineError('Conflict', 'DAEMON_ALREADY_RUNNING', `listen on ${JSON.stringify(path)}: ${answer === 'live' ? 'another server is listening on it' : `it cannot be probed (${answer})`}`, {
    hint: 'stop the daemon that serves it, or choose another socket path',
  });
}

/** Whether something accepts connections on a socket file. */
function probe(path: string): Promise<'live' | 'stale' | string> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve('live');
    });
    s.once('error', (err) => {
      const code = errnoOf(err);
      resolve(code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : (code ?? err.message));
    });
  });
}
