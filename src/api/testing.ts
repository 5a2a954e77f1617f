import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../lib/logger.js';
import { type ApiServerOptions, createApiServer, type ApiServer } from './server.js';

/** Test helpers: a server on a socket under a fresh berth-prefixed temp dir, and plain HTTP to it. */

export class CapturingLogger extends Logger {
  readonly lines: string[] = [];
  constructor() {
    super(undefined, 'text', true, 'berthd-test');
  }
  override debug(msg: string): void {
    this.lines.push(`debug: ${msg}`);
  }
  override info(msg: string): void {
    this.lines.push(`info: ${msg}`);
  }
  override warn(msg: string): void {
    this.lines.push(`warning: ${msg}`);
  }
  override error(msg: string): void {
    this.lines.push(`error: ${msg}`);
  }
}

export interface TestServer {
  server: ApiServer;
  dir: string;
  socketPath: string;
  logger: CapturingLogger;
  /** Closes the server and removes the temp dir. */
  stop(): Promise<void>;
}

export async function startTestServer(options: Partial<ApiServerOptions> = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-api-'));
  const socketPath = options.socketPath ?? join(dir, 'run', 'berth.sock');
  const logger = new CapturingLogger();
  const server = await createApiServer({ version: { version: '0.1.0-test', gitCommit: 'abc1234' }, logger, ...options, socketPath });
  return {
    server,
    dir,
    socketPath,
    logger,
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PlainResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function httpRequest(socketPath: string, method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes, returns everything the server writes until it closes (or `until` matches). */
export function rawExchange(socketPath: string, send: (s: Socket, received: () => string) => unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.on('connect', () => {
      Promise.resolve(send(s, () => out)).catch(reject);
    });
  });
}

export async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
