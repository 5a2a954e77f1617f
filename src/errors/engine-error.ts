/**
 * EngineError: the one error type users see. The kind decides the exit code
 * (in cli/) or the HTTP status (in api/); the code is stable and greppable;
 * the hint says what to do about it.
 */
export type ErrorKind =
  | 'NotFound'
  | 'InvalidArgument'
  | 'Conflict'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Unavailable'
  | 'NotImplemented'
  | 'Internal';

export interface EngineErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly hint: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options: EngineErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }

  /** The message with its hint, as printed to a user. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export function isEngineError(err: unknown, code?: string): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}

/** errno name of a Node system error (ENOENT, EEXIST, …), if it is one. */
export function errnoOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
