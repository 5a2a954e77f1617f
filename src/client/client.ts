import { Agent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import { addAbortSignal, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SystemVersion } from '../api/system.js';
import { API_VERSION, compareApiVersions } from '../api/version.js';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { connectionError, errorFromResponse } from './errors.js';
import { encodeQuery, type Filters, type QueryValue } from './query.js';

export const DEFAULT_SOCKET_PATH = '/run/berth/berth.sock';
/** What a daemon that sends no Api-Version speaks, as Docker's client assumes. */
const FALLBACK_API_VERSION = '1.24';

/**
 * Every request goes over a unix socket, so there is no TLS server name to
 * send. Saying so keeps Node's http agent from working one out per request
 * from the host, 'localhost', which it first tests against its IPv6 pattern:
 * compiling that regex took ~5 ms of the CLI's first request.
 */
const UNIX_SOCKET = { servername: '' };

export interface EngineClientOptions {
  /** DEFAULT_SOCKET_PATH unless told. */
  socketPath?: string;
  /** Pins the API version; otherwise it is negotiated once through /_ping. */
  apiVersion?: string;
  userAgent?: string;
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Docker's `filters` parameter. */
  filters?: Filters;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** A body that is not JSON (a tar upload), sent as it is. */
  upload?: { data: Uint8Array | Readable; contentType: string };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
}

export interface PingResult {
  apiVersion: string;
  osType: string | undefined;
  experimental: boolean;
  builderVersion: string | undefined;
  swarm: string | undefined;
}

export interface HijackOptions {
  query?: Record<string, QueryValue>;
  /** JSON body (exec start's {"Detach":false,"Tty":…}). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface HijackedConnection {
  /**
   * The raw connection: write stdin, end() to close it (the daemon keeps
   * sending output), read output. Bytes the daemon sent right behind its
   * response head are already in the socket's read buffer.
   */
  socket: Socket;
  /**
   * application/vnd.docker.raw-stream or …multiplexed-stream. Below API 1.42
   * a daemon always says raw: whether output is framed (lib/stdcopy) follows
   * from the container's TTY, as in Docker's client.
   */
  contentType: string;
}

/**
 * A typed client of the Engine API over a unix socket, for berth's CLI:
 * JSON in and out, chunked streams, hijacked connections. Errors are
 * EngineErrors: the daemon's (kind from the HTTP status, message from the
 * body, berth's code where berthd sent one) or DAEMON_UNREACHABLE when
 * nothing serves the socket, so the CLI can start berthd or say why not.
 */
export class EngineClient {
  readonly socketPath: string;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly userAgent: string;
  private negotiated: Promise<string> | undefined;

  constructor(options: EngineClientOptions = {}) {
    this.socketPath = options.socketPath ?? DEFAULT_SOCKET_PATH;
    this.userAgent = options.userAgent ?? 'berth-client';
    if (options.apiVersion !== undefined) this.negotiated = Promise.resolve(options.apiVersion);
  }

  /** The daemon's /_ping, headers read as Docker's client reads them. */
  async ping(signal?: AbortSignal): Promise<PingResult> {
    const res = await this.exchange('GET', '/_ping', undefined, signal ? { signal } : {}, false);
    if (res.status >= 400) throw errorFromResponse(res.status, res.headers, res.body);
    const h = (name: string): string | undefined => {
      const v = res.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    return {
      apiVersion: h('api-version') ?? FALLBACK_API_VERSION,
      osType: h('ostype'),
      experimental: h('docker-experimental') === 'true',
      builderVersion: h('builder-version'),
      swarm: h('swarm'),
    };
  }

  /**
   * The API version requests are sent at: the daemon's if older than this
   * client's, else this client's. Asked once; a failed ask is not remembered.
   */
  apiVersion(): Promise<string> {
    this.negotiated ??= this.ping().then(
      (p) => (compareApiVersions(p.apiVersion, API_VERSION) < 0 ? p.apiVersion : API_VERSION),
      (err: unknown) => {
        this.negotiated = undefined;
        throw err;
      },
    );
    return this.negotiated;
  }

  version(): Promise<SystemVersion> {
    return this.get<SystemVersion>('/version');
  }

  get<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.call<T>('GET', path, undefined, options);
  }
  post<T = unknown>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.call<T>('POST', path, body, options);
  }
  put<T = unknown>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.call<T>('PUT', path, body, options);
  }
  delete<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.call<T>('DELETE', path, undefined, options);
  }

  /** A HEAD request: its status and headers; an error status throws as the others do. */
  async head(path: string, options: RequestOptions = {}): Promise<ResponseHead> {
    const res = await this.exchange('HEAD', path, undefined, options);
    if (res.status >= 400) throw errorFromResponse(res.status, res.headers, res.body);
    return { status: res.status, headers: res.headers };
  }

  /** Any request, its answer unread by status: for callers that handle statuses themselves. */
  request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<RawResponse> {
    return this.exchange(method, path, body, options);
  }

  /**
   * A request whose answer is a stream (logs, events, stats, pull progress):
   * the response, to read as a Readable; an error status throws first.
   * Abort it with options.signal or by destroying it.
   */
  async stream(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.open(method, path, body, options, true);
    if ((res.statusCode ?? 0) >= 400) throw errorFromResponse(res.statusCode!, res.headers, await this.readAll(res));
    return res;
  }

  /**
   * POSTs with `Upgrade: tcp` (attach, exec start) and returns the connection
   * once the daemon answers 101; an error status throws as for other requests.
   */
  async hijack(path: string, options: HijackOptions = {}): Promise<HijackedConnection> {
    const version = await this.apiVersion();
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { 'User-Agent': this.userAgent, ...options.headers, Connection: 'Upgrade', Upgrade: 'tcp' };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = request({ ...UNIX_SOCKET, socketPath: this.socketPath, method: 'POST', path: `/v${version}${path}${encodeQuery(options.query)}`, headers, agent: false });
      const signal = abortable(req, options.signal, reject);
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        signal.release();
        if (head.length > 0) socket.unshift(head);
        if (options.signal) addAbortSignal(options.signal, socket);
        resolve({ socket, contentType: String(res.headers['content-type'] ?? 'application/vnd.docker.raw-stream') });
      });
      req.on('response', (res: IncomingMessage) => {
        signal.release();
        this.readAll(res).then((body) => {
          if ((res.statusCode ?? 0) >= 400) reject(errorFromResponse(res.statusCode!, res.headers, body));
          else reject(new EngineError('Internal', 'DAEMON_DID_NOT_UPGRADE', `POST ${path}: the daemon answered ${res.statusCode} instead of upgrading the connection`));
        }, reject);
      });
      req.on('error', (err) => reject(options.signal?.aborted ? err : connectionError(err, this.socketPath)));
      req.end(payload);
    });
  }

  /** Drops the idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private async call<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    const res = await this.exchange(method, path, body, options);
    if (res.status >= 400) throw errorFromResponse(res.status, res.headers, res.body);
    if (res.body.length === 0) return undefined as T;
    const type = String(res.headers['content-type'] ?? '');
    if (!type.includes('json')) return res.body.toString('utf8') as T;
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch (err) {
      throw new EngineError('Internal', 'DAEMON_BAD_RESPONSE', `${method} ${path}: the daemon's answer is not valid JSON: ${(err as Error).message}`);
    }
  }

  private async exchange(method: string, path: string, body: unknown, options: RequestOptions, versioned = true): Promise<RawResponse> {
    const res = await this.open(method, path, body, options, versioned);
    return { status: res.statusCode ?? 0, headers: res.headers, body: await this.readAll(res) };
  }

  private async open(method: string, path: string, body: unknown, options: RequestOptions, versioned: boolean, retry = true): Promise<IncomingMessage> {
    const prefix = versioned ? `/v${await this.apiVersion()}` : '';
    const headers: Record<string, string | number> = { 'User-Agent': this.userAgent, ...options.headers };
    let payload: Uint8Array | Readable | undefined;
    if (options.upload) {
      payload = options.upload.data;
      headers['Content-Type'] = options.upload.contentType;
    } else if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['Content-Type'] = 'application/json';
    }
    if (payload && !(payload instanceof Readable)) headers['Content-Length'] = payload.length;
    return new Promise((resolve, reject) => {
      const req = request({ ...UNIX_SOCKET, socketPath: this.socketPath, method, path: prefix + path + encodeQuery(options.query, options.filters), headers, agent: this.agent });
      const signal = abortable(req, options.signal, reject);
      req.on('response', (res: IncomingMessage) => {
        signal.release();
        // from here the signal ends the answer: its reader gets the AbortError
        if (options.signal) addAbortSignal(options.signal, res);
        resolve(res);
      });
      req.on('error', (err) => {
        if (options.signal?.aborted) return reject(err);
        // a kept-alive connection the daemon closed as we reused it: once more on a new one
        if (retry && req.reusedSocket && errnoOf(err) === 'ECONNRESET' && !(payload instanceof Readable)) {
          return resolve(this.open(method, path, body, options, versioned, false));
        }
        reject(connectionError(err, this.socketPath));
      });
      if (payload instanceof Readable) pipeline(payload, req).catch((err: unknown) => req.destroy(err as Error));
      else req.end(payload);
    });
  }

  private async readAll(res: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw connectionError(err, this.socketPath);
    }
    return Buffer.concat(chunks);
  }
}

/**
 * Until the answer arrives, an abort destroys the request and rejects with
 * an AbortError (as fetch does); then release() hands the signal over to
 * the answer's stream.
 */
function abortable(req: ClientRequest, signal: AbortSignal | undefined, reject: (err: Error) => void): { release(): void } {
  if (!signal) return { release() {} };
  const onAbort = (): void => {
    const err = Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
    req.destroy(err);
    reject(err);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { release: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * The JSON documents of a daemon's stream (events, stats, pull and build
 * progress): dockerd ends each with a newline.
 */
export async function* jsonMessages<T = unknown>(stream: AsyncIterable<Uint8Array>): AsyncGenerator<T> {
  for await (const line of jsonLines(stream)) yield parseMessage<T>(line);
}

/** The same stream's lines as sent, each checked to be JSON (for a caller that needs the exact text, as events' timeNano). */
export async function* jsonLines(stream: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  let buf = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') yield checked(line);
    }
  }
  buf += decoder.decode();
  if (buf.trim() !== '') yield checked(buf.trim());
}

function checked(line: string): string {
  parseMessage(line);
  return line;
}

function parseMessage<T>(line: string): T {
  try {
    return JSON.parse(line) as T;
  } catch (err) {
    throw new EngineError('Internal', 'DAEMON_BAD_RESPONSE', `read a message of the daemon's stream: ${(err as Error).message}`);
  }
}
