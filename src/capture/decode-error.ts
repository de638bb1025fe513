// Error helpers shared by the capture decoders. Every rejection of bad input is a LoopError with
// code INGEST_INVALID whose message names the path of the offending field and what was expected,
// e.g. `http_buffered_trace.request.headers[3].value: expected a string, got number`, so the
// loop server can answer 400 with a sentence the sender can act on.
import { LoopError } from '../core/errors.js';

/** A short name for the JSON type of a value, as used in "got …" messages. */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** An INGEST_INVALID error with a path-prefixed message. */
export function invalidInput(path: string, message: string, cause?: unknown): LoopError {
  return new LoopError('INGEST_INVALID', path === '' ? message : `${path}: ${message}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** `path: expected <what>, got <type>`. */
export function expected(path: string, what: string, got: unknown): LoopError {
  return invalidInput(path, `expected ${what}, got ${describeJsonType(got)}`);
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
