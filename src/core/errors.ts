// The one error type of the project. Callers branch on `code`, never on message text or class.
// The HTTP API maps codes to statuses (see `httpStatusFor`); the CLIs print one line per error.

/** Every error code the project raises, with the HTTP status the API answers for it. */
export const ERROR_CODES = {
  BAD_REQUEST: 400,
  MATCH_SYNTAX: 400,
  TAPCONFIG_INVALID: 400,
  INGEST_INVALID: 400,
  INGEST_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONFIG_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  STORE_UNAVAILABLE: 503,
  STORE_FAILED: 500,
  REPLAY_DESTINATION_INVALID: 400,
  REPLAY_DESTINATION_DENIED: 403,
  REPLAY_NOT_REPLAYABLE: 422,
  REPLAY_UNSAFE_METHOD: 422,
  REPLAY_FAILED: 502,
  SERVER_UNREACHABLE: 503,
  INTERNAL: 500,
  TARGET_NOT_FOUND: 404,
  TARGET_AMBIGUOUS: 409,
  PERMISSION_DENIED: 403,
  DEBUGGER_ATTACH_FAILED: 502,
  DEBUGGER_NOT_INSTALLED: 501,
  RUNTIME_UNSUPPORTED: 422,
  JVM_NOT_DEBUGGABLE: 422,
  TARGET_EXITED: 410,
  DEBUGGER_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface LoopErrorOptions {
  cause?: unknown;
  /** A sentence telling the user what fixes it; the CLI prints it under the message. */
  hint?: string;
  /** Structured facts for API clients (field names, positions); serialised into the error body. */
  details?: Record<string, unknown>;
}

export class LoopError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: LoopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LoopError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isLoopError(err: unknown, code?: ErrorCode): err is LoopError {
  return err instanceof LoopError && (code === undefined || err.code === code);
}

export function httpStatusFor(code: string): number {
  return (ERROR_CODES as Record<string, number>)[code] ?? 500;
}

/** The message of anything thrown, for logs and wrapping. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
