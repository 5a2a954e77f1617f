import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { EngineError } from '../errors/engine-error.js';
import { errorReply, ERROR_CODE_HEADER } from './errors.js';
import type { Query } from './query.js';
import type { RawRequest } from './raw-request.js';
import type { HttpMethod } from './router.js';
import { versionAtLeast } from './version.js';

export const MediaType = {
  Json: 'application/json',
  RawStream: 'application/vnd.docker.raw-stream',
  MultiplexedStream: 'application/vnd.docker.multiplexed-stream',
} as const;

/** What a handler gets: the request, read, and the ways to answer it. */
export interface RequestContext {
  readonly method: HttpMethod;
  /** The path under the version prefix, as sent (still percent-encoded). */
  readonly path: string;
  /** The route pattern that matched, for logs. */
  readonly pattern: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
  readonly headers: IncomingHttpHeaders;
  /** The API version the client asked for (the prefix), else the maximum served. */
  readonly version: string;
  /**
   * Node's request, for bodies that are not JSON (tar uploads): read it as a
   * stream. A request sent with Upgrade, or to a `{ hijack: true }` route, was
   * taken off the HTTP parser after its head: its body comes from rawBody().
   */
  readonly req: IncomingMessage;
  /** Aborted when the client goes away before the answer is complete. */
  readonly signal: AbortSignal;
  /** True once the handler has begun an answer. */
  readonly answered: boolean;

  /** The JSON body; undefined when empty; a 400 when malformed or not JSON. */
  body(): Promise<unknown>;
  /** The body's bytes. */
  rawBody(): Promise<Buffer>;
  /** A header for the answer (before it starts). */
  setHeader(name: string, value: string | number | readonly string[]): void;
  json(status: number, value: unknown): void;
  text(status: number, text: string, contentType?: string): void;
  noContent(): void;
  /** Starts a chunked answer (logs, events, stats, pull progress). */
  stream(options?: StreamOptions): ResponseStream;
  /** Takes over the connection (attach, exec start); see HijackOptions. */
  hijack(options?: HijackOptions): Promise<HijackedConnection>;
}

export interface StreamOptions {
  status?: number;
  /** application/json (a JSON document a line) unless told otherwise. */
  contentType?: string;
}

export interface ResponseStream {
  readonly signal: AbortSignal;
  /** The client has gone or the stream has ended: further writes are dropped. */
  readonly closed: boolean;
  /** The response itself, for pipeline(). */
  readonly writable: Writable;
  /** Resolves once the chunk is written or buffered below the high-water mark. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** One JSON document and a newline, as dockerd's streams send them. */
  writeJson(value: unknown): Promise<void>;
  end(): Promise<void>;
}

export interface HijackOptions {
  /**
   * The handler will write stdcopy frames (a container without a TTY). An
   * upgraded connection at API ≥ 1.42 then says so in its Content-Type, as
   * dockerd does; the bytes are the same either way.
   */
  multiplexed?: boolean;
}

export interface HijackedConnection {
  /**
   * The client's connection, after the response head. Bytes the client sent
   * after its request are already in the socket's read buffer, in order. The
   * client may end its side (stdin closed) while the handler keeps writing:
   * read with on('data') or pipe(), not `for await`, whose end destroys the
   * socket. The connection is closed when the handler settles.
   */
  readonly socket: Socket;
  /** The client asked for `Upgrade: tcp` and was answered 101. */
  readonly upgraded: boolean;
  readonly contentType: string;
  readonly signal: AbortSignal;
}

type State = 'pending' | 'answered' | 'streaming' | 'hijacked';

export interface ExchangeInit {
  req: IncomingMessage;
  /** Node's response; absent for a request taken off the HTTP parser (upgrade path). */
  res: ServerResponse | undefined;
  raw: RawRequest | undefined;
  method: HttpMethod;
  path: string;
  query: Query;
  version: string;
  headers: Iterable<[string, string]>;
}

/**
 * One request and its answer. Requests come two ways: through Node's HTTP
 * parser (a ServerResponse answers them), or, for `Upgrade` requests and
 * routes that may hijack, taken off the parser right after their head (a
 * RawRequest holds the socket; a ServerResponse is put on it only if the
 * handler answers in HTTP, and the connection closes afterwards).
 */
export class Exchange implements RequestContext {
  readonly req: IncomingMessage;
  readonly method: HttpMethod;
  readonly path: string;
  readonly query: Query;
  version: string;
  pattern = '';
  params: Record<string, string> = {};
  /** The status sent, for the access log (101 for an upgraded hijack). */
  status = 0;
  private state: State = 'pending';
  private done = false;
  private readonly aborter = new AbortController();
  private readonly outHeaders = new Map<string, string | number | readonly string[]>();
  private res: ServerResponse | undefined;
  private readonly raw: RawRequest | undefined;
  private bodyBytes: Promise<Buffer> | undefined;
  private stream_: HttpResponseStream | undefined;

  constructor(init: ExchangeInit) {
    this.req = init.req;
    this.res = init.res;
    this.raw = init.raw;
    this.method = init.method;
    this.path = init.path;
    this.query = init.query;
    this.version = init.version;
    for (const [k, v] of init.headers) this.outHeaders.set(k, v);
    const gone = (): void => {
      if (!this.done && !(this.res?.writableFinished ?? false)) this.aborter.abort(new Error('client closed the connection'));
    };
    if (this.res) this.res.on('close', gone);
    else this.raw?.socket.on('close', gone);
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }
  get signal(): AbortSignal {
    return this.aborter.signal;
  }
  get answered(): boolean {
    return this.state !== 'pending';
  }
  get hijacked(): boolean {
    return this.state === 'hijacked';
  }

  rawBody(): Promise<Buffer> {
    this.bodyBytes ??= this.raw ? this.raw.readBody() : readAll(this.req);
    return this.bodyBytes;
  }

  async body(): Promise<unknown> {
    const bytes = await this.rawBody();
    const text = bytes.toString('utf8');
    if (text.trim() === '') return undefined;
    const type = this.req.headers['content-type'];
    if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== MediaType.Json) {
      throw new EngineError('InvalidArgument', 'BAD_CONTENT_TYPE', `unsupported Content-Type header (${type}): must be 'application/json'`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new EngineError('InvalidArgument', 'INVALID_JSON', `invalid JSON: ${(err as Error).message}`);
    }
  }

  setHeader(name: string, value: string | number | readonly string[]): void {
    if (this.state !== 'pending') throw new Error(`setHeader(${name}) after the response has started`);
    this.outHeaders.set(name, value);
  }

  json(status: number, value: unknown): void {
    // Go's json.Encoder ends the document with a newline; clients reading line by line rely on it
    this.send(status, (JSON.stringify(value) ?? 'null') + '\n', MediaType.Json);
  }

  text(status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
    this.send(status, text, contentType);
  }

  noContent(): void {
    this.send(204, undefined, undefined);
  }

  stream(options: StreamOptions = {}): ResponseStream {
    const res = this.begin('streaming');
    this.status = options.status ?? 200;
    res.writeHead(this.status, { 'Content-Type': options.contentType ?? MediaType.Json });
    // the client sees the head now, not with the first event (docker events waits on it)
    res.flushHeaders();
    this.stream_ = new HttpResponseStream(res, this.signal);
    return this.stream_;
  }

  async hijack(options: HijackOptions = {}): Promise<HijackedConnection> {
    if (!this.raw) {
      throw new Error(`hijack: ${this.method} ${this.pattern} was not sent with Upgrade and is not registered with { hijack: true }`);
    }
    if (this.state !== 'pending') throw new Error('hijack after the response has started');
    // a body the handler did not read is not the client's stdin
    await this.rawBody();
    if (this.state !== 'pending') throw new Error('hijack after the response has started');
    this.state = 'hijacked';
    const upgraded = this.req.headers.upgrade !== undefined;
    const contentType = upgraded && options.multiplexed && versionAtLeast(this.version, '1.42') ? MediaType.MultiplexedStream : MediaType.RawStream;
    this.status = upgraded ? 101 : 200;
    const lines = upgraded
      ? ['HTTP/1.1 101 UPGRADED', `Content-Type: ${contentType}`, 'Connection: Upgrade', 'Upgrade: tcp']
      : ['HTTP/1.1 200 OK', `Content-Type: ${contentType}`];
    for (const [k, v] of this.outHeaders) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`);
    const socket = this.raw.takeOver(lines.join('\r\n') + '\r\n\r\n');
    return { socket, upgraded, contentType, signal: this.signal };
  }

  /** After the handler resolved: send what it returned, end what it left open. */
  async complete(value: unknown): Promise<void> {
    switch (this.state) {
      case 'pending':
        if (value !== undefined) this.json(200, value);
        else this.send(200, undefined, undefined);
        break;
      case 'streaming':
        await this.stream_!.end();
        break;
      case 'hijacked':
        this.raw!.close();
        break;
      case 'answered':
        break;
    }
    this.done = true;
  }

  /**
   * After the handler threw: the error as dockerd sends it if nothing was
   * sent yet; otherwise the answer cannot change, and the connection ends.
   */
  fail(err: unknown, plainText: boolean): void {
    const reply = errorReply(err);
    switch (this.state) {
      case 'pending':
        if (this.signal.aborted) break;
        if (reply.code) this.outHeaders.set(ERROR_CODE_HEADER, reply.code);
        if (plainText) {
          // as Go's http.Error: dockerd answers clients older than 1.24 in text
          this.outHeaders.set('X-Content-Type-Options', 'nosniff');
          this.text(reply.status, reply.message + '\n');
        } else {
          this.json(reply.status, { message: reply.message });
        }
        break;
      case 'streaming':
        // a clean end would pass a truncated stream off as complete
        this.res!.destroy();
        break;
      case 'hijacked':
        this.raw!.close();
        break;
      case 'answered':
        break;
    }
    this.done = true;
  }

  /** Stops the exchange: the server is closing. */
  abort(): void {
    this.aborter.abort(new Error('the server is closing'));
    this.res?.destroy();
    this.raw?.socket.destroy();
  }

  private send(status: number, body: string | undefined, contentType: string | undefined): void {
    const res = this.begin('answered');
    this.status = status;
    const headers: Record<string, string | number> = { 'Content-Length': body === undefined ? 0 : Buffer.byteLength(body) };
    if (contentType) headers['Content-Type'] = contentType;
    if (status === 204) delete headers['Content-Length'];
    res.writeHead(status, headers);
    res.end(body);
  }

  private begin(next: State): ServerResponse {
    if (this.state !== 'pending') throw new Error(`a response was already ${this.state === 'hijacked' ? 'hijacked' : 'started'} for ${this.method} ${this.path}`);
    this.state = next;
    this.res ??= this.raw!.response(this.req);
    for (const [k, v] of this.outHeaders) this.res.setHeader(k, v);
    return this.res;
  }
}

class HttpResponseStream implements ResponseStream {
  constructor(
    private readonly res: ServerResponse,
    readonly signal: AbortSignal,
  ) {}

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed || this.signal.aborted;
  }
  get writable(): Writable {
    return this.res;
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.closed) return;
    if (!this.res.write(chunk)) await settled(this.res, 'drain');
  }

  writeJson(value: unknown): Promise<void> {
    return this.write(JSON.stringify(value) + '\n');
  }

  async end(): Promise<void> {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.end();
    await settled(this.res, 'finish');
  }
}

/** Resolves on `event` or when the stream closes, whichever comes first. */
function settled(stream: Writable, event: 'drain' | 'finish'): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off(event, done);
      stream.off('close', done);
      resolve();
    };
    stream.on(event, done);
    stream.on('close', done);
  });
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

