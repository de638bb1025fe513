// How long a collector waits before reconnecting: exponential in the attempt number, capped, with "equal
// jitter" (half the delay fixed, half random) so many collectors restarted together do not reconnect in step.

export interface BackoffOptions {
  /** Delay before the first retry, before jitter; default 500 ms. */
  initialMs?: number;
  /** Ceiling of the delay, before jitter; default 30 s. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const;

/**
 * The delay before retry number `attempt` (0 for the first): min(max, initial·2^attempt), of which the upper
 * half is scaled by `random()` (in [0, 1)).
 * @example backoffDelay(3, { initialMs: 100, maxMs: 10_000 }, () => 0.5) // 600: ceiling 800, 400 fixed + 200 jitter
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const max = Math.max(initial, options.maxMs ?? DEFAULT_BACKOFF.maxMs);
  // 2^attempt overflows to Infinity for large attempts, which min() caps.
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
