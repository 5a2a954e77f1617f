import type { EngineClient } from '../../client/client.js';
import { EngineError } from '../../errors/engine-error.js';
import { connect, DEFAULT_HOST, type ConnectOptions } from './daemon-start.js';

export const VERSION = '0.1.0';
export { DEFAULT_HOST };

/** berth's global flags, before the command: `berth -H unix:///x.sock --data-root /d images`. */
export interface GlobalFlags {
  host?: string;
  dataRoot?: string;
}

/**
 * Where berthd is and how to start it, from the global flags, else the
 * environment: BERTH_HOST (default unix:///run/berth/berth.sock) and
 * BERTH_DATA_ROOT, which only matters to a berthd that berth starts.
 */
export function connectOptions(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): ConnectOptions {
  const dataRoot = flags.dataRoot ?? env['BERTH_DATA_ROOT'];
  return {
    host: flags.host ?? (env['BERTH_HOST'] || DEFAULT_HOST),
    ...(dataRoot ? { dataRoot } : {}),
    // BERTH_AUTOSTART=0: scripts that must not bring a daemon back (cleanups, benchmarks)
    ...(env['BERTH_AUTOSTART'] === '0' ? { autoStart: false } : {}),
    userAgent: `berth/${VERSION}`,
  };
}

/**
 * The commands' way to the daemon: connected on first use (a command that
 * fails on its flags starts no daemon), then shared by every call.
 */
export function lazyClient(flags: () => GlobalFlags, warn?: (message: string) => void): () => Promise<EngineClient> {
  let client: Promise<EngineClient> | undefined;
  return () => (client ??= connect({ ...connectOptions(flags()), ...(warn ? { warn } : {}) }));
}

/**
 * How an error reaches the user, as the docker CLI prints it: the daemon's
 * answer after "Error response from daemon: ", a failure to reach the
 * daemon and a failure reported inside a stream (load) as they are, and
 * berth's own refusals after "Error: ".
 */
const origins = new WeakMap<EngineError, 'daemon' | 'plain'>();

/** Transport failures: the client's own, or a daemon berth could not start. */
const CONNECTION_CODES = new Set(['DAEMON_UNREACHABLE', 'DAEMON_PERMISSION_DENIED', 'DAEMON_CONNECTION_FAILED', 'DAEMON_BAD_RESPONSE', 'DAEMON_DID_NOT_UPGRADE', 'DAEMON_START_FAILED', 'DAEMON_START_TIMEOUT', 'BAD_HOST']);

/** A request to the daemon, whose error answers are marked as the daemon's. */
export async function ask<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof EngineError && !CONNECTION_CODES.has(err.code) && !origins.has(err)) origins.set(err, 'daemon');
    throw err;
  }
}

/** An error the daemon reported inside a stream: printed as it is, as docker prints it. */
export function streamError(message: string, code: string): EngineError {
  const err = new EngineError('Internal', code, message);
  origins.set(err, 'plain');
  return err;
}

export function errorLine(err: EngineError): string {
  const origin = origins.get(err) ?? (CONNECTION_CODES.has(err.code) ? 'plain' : undefined);
  if (origin === 'daemon') return `Error response from daemon: ${err.describe()}`;
  if (origin === 'plain') return err.describe();
  return `Error: ${err.describe()}`;
}
