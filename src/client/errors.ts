import { STATUS_CODES } from 'node:http';
import { type ErrorKind, EngineError, errnoOf } from '../errors/engine-error.js';

/** The header berthd puts berth's stable error code in (api/errors.ts). */
export const ERROR_CODE_HEADER = 'berth-error-code';

/**
 * An HTTP status back into an error kind, as Docker's client does
 * (errdefs.FromStatusCode): the CLI picks exit codes from the kind.
 */
export function kindOfStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
      return 'InvalidArgument';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 501:
      return 'NotImplemented';
    case 503:
      return 'Unavailable';
    default:
      return status >= 500 ? 'Internal' : 'InvalidArgument';
  }
}

/**
 * The EngineError a daemon's error response stands for: its kind from the
 * status, its message from the JSON body's "message" (the text a docker CLI
 * prints after "Error response from daemon: "), its code from berthd's
 * header, or DAEMON_ERROR from another daemon.
 */
export function errorFromResponse(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): EngineError {
  const text = body.toString('utf8').trim();
  let message = text;
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc && typeof doc === 'object' && typeof (doc as { message?: unknown }).message === 'string') message = (doc as { message: string }).message;
  } catch {
    // a text body (dockerd answers clients below 1.24 so) is the message itself
  }
  if (message === '') message = `${status} ${STATUS_CODES[status] ?? 'error'}`;
  const code = headers[ERROR_CODE_HEADER];
  return new EngineError(kindOfStatus(status), typeof code === 'string' && code !== '' ? code : 'DAEMON_ERROR', message);
}

/** A failure to reach the daemon at all, worded as the docker CLI words it. */
export function connectionError(err: unknown, socketPath: string): EngineError {
  const errno = errnoOf(err);
  const address = `unix://${socketPath}`;
  if (errno === 'ENOENT' || errno === 'ECONNREFUSED') {
    return new EngineError('Unavailable', 'DAEMON_UNREACHABLE', `Cannot connect to the berth daemon at ${address}. Is berthd running?`, { cause: err });
  }
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new EngineError('Forbidden', 'DAEMON_PERMISSION_DENIED', `permission denied while trying to connect to the berth daemon socket at ${address}`, {
      cause: err,
      hint: "run it as root, or as a member of the socket's group",
    });
  }
  return new EngineError('Unavailable', 'DAEMON_CONNECTION_FAILED', `error during connect to ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
