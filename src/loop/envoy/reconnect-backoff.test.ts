import { describe, expect, it } from 'vitest';
import { backoffDelay } from './reconnect-backoff.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 100, maxMs: 1_000 };
  it.each([
    // attempt, random, delay
    [0, 0, 50],
    [0, 0.999_999, 100],
    [1, 0, 100],
    [1, 0.5, 150],
    [2, 0.999_999, 400],
    [3, 0, 400],
    [4, 0.999_999, 1_000], // 1600 capped at 1000
    [4, 0, 500],
    [60, 0.999_999, 1_000],
    [5_000, 0, 500], // 2^5000 is Infinity: still capped
  ])('attempt %d, random %d → %d ms', (attempt, r, delay) => {
    expect(backoffDelay(attempt, opts, () => r)).toBe(delay);
  });

  it('grows until the cap, whatever the jitter', () => {
    const delays = Array.from({ length: 8 }, (_, i) => backoffDelay(i, opts, () => 0.999_999));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
  });
});
