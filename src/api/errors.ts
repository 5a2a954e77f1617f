import { type ErrorKind, EngineError } from '../errors/engine-error.js';

/**
 * The one place an error kind becomes an HTTP status (STYLE.md). The docker
 * CLI and the Go client turn the status back into a category (errdefs), so
 * each kind takes the status dockerd uses for that category.
 */
const STATUS: Record<ErrorKind, number> = {
  InvalidArgument: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Internal: 500,
  NotImplemented: 501,
  Unavailable: 503,
};

export function statusOfKind(kind: ErrorKind): number {
  return STATUS[kind];
}

/**
 * Berth's stable error code travels in this header, so that berth's own
 * client can rebuild the EngineError it came from; the body stays exactly
 * dockerd's `{"message": …}` for every other client.
 */
export const ERROR_CODE_HEADER = 'Berth-Error-Code';

export interface ErrorReply {
  status: number;
  message: string;
  code: string | undefined;
  /** Not an EngineError: a bug or an unexpected failure, worth logging with its stack. */
  unexpected: boolean;
}

export function errorReply(err: unknown): ErrorReply {
  if (err instanceof EngineError) return { status: statusOfKind(err.kind), message: err.describe(), code: err.code, unexpected: false };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, message: message || 'internal error', code: undefined, unexpected: true };
}
