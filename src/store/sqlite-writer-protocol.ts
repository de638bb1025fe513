// The messages between the SQLite store and its writer thread. Errors cross as plain data (structured
// clone keeps neither the LoopError class nor a driver error's `code`) and become LoopErrors again, with
// the worker-side error as `cause`.
import { LoopError, type ErrorCode } from '../core/errors.js';
import type { SqliteConnectionOptions } from './sqlite-connection.js';
import type { SqliteWriteOp } from './sqlite-writes.js';

export type WriterRequest =
  | { id: number; op: 'open'; args: [options: SqliteConnectionOptions, now: string] }
  | { id: number; op: 'checkpoints'; args: [options: SqliteConnectionOptions, intervalMs: number] }
  | { id: number; op: 'close'; args: [] }
  | { id: number; op: SqliteWriteOp; args: unknown[] };

export type WriterReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** LoopError code, or a driver's (`SQLITE_BUSY`). */
  code?: string | undefined;
  loop?: { hint?: string | undefined; details?: Record<string, unknown> | undefined } | undefined;
  cause?: SerializedError | undefined;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  const out: SerializedError = { name: err.name, message: err.message, stack: err.stack };
  if (typeof code === 'string') out.code = code;
  if (err instanceof LoopError) out.loop = { hint: err.hint, details: err.details };
  if (err.cause !== undefined && depth < 4) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** A LoopError from the writer comes back as one with the same code, message, hint and details. */
export function deserializeError(e: SerializedError): Error {
  const cause = e.cause ? deserializeError(e.cause) : undefined;
  if (e.loop && e.code) {
    const err = new LoopError(e.code as ErrorCode, e.message, {
      ...(cause !== undefined ? { cause } : {}),
      ...(e.loop.hint !== undefined ? { hint: e.loop.hint } : {}),
      ...(e.loop.details !== undefined ? { details: e.loop.details } : {}),
    });
    if (e.stack) err.stack = `${err.stack ?? ''}\n    --- on the SQLite writer thread ---\n${e.stack}`;
    return err;
  }
  const err = new Error(e.message, cause !== undefined ? { cause } : undefined);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  if (e.code !== undefined) (err as Error & { code?: string }).code = e.code;
  return err;
}
