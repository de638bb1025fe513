// The plank's stdout contract, which squashctl, editor plugins and tests read: exactly one JSON line,
// either `ready` (the endpoint the IDE connects to, and when the plank lets go) or `error`.
import { LoopError, isLoopError, messageOf, type ErrorCode, ERROR_CODES } from '../../core/errors.js';
import type { DebugEndpoint } from '../squash-types.js';

export interface PlankReadyEvent {
  event: 'ready';
  endpoint: DebugEndpoint;
  plank: { pid: number; /** RFC 3339. */ expiresAt: string; ttlMs: number };
}

export interface PlankErrorEvent {
  event: 'error';
  error: { code: string; message: string; hint?: string };
}

export type PlankEvent = PlankReadyEvent | PlankErrorEvent;

export function formatPlankEvent(event: PlankEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** The error event for anything thrown; unknown errors become INTERNAL. */
export function errorEvent(err: unknown): PlankErrorEvent {
  if (isLoopError(err)) return { event: 'error', error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
  return { event: 'error', error: { code: 'INTERNAL', message: messageOf(err) } };
}

/** One stdout line of a plank as an event, or undefined when the line is not one. */
export function parsePlankEvent(line: string): PlankEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.event === 'ready' && typeof v.endpoint === 'object' && v.endpoint !== null && typeof v.plank === 'object' && v.plank !== null) return v as unknown as PlankReadyEvent;
  if (v.event === 'error' && typeof v.error === 'object' && v.error !== null) return v as unknown as PlankErrorEvent;
  return undefined;
}

/** The LoopError a plank reported, so a caller (squashctl) can report it as its own. */
export function errorFromEvent(event: PlankErrorEvent): LoopError {
  const code = (event.error.code in ERROR_CODES ? event.error.code : 'INTERNAL') as ErrorCode;
  return new LoopError(code, event.error.message, event.error.hint ? { hint: event.error.hint } : {});
}
