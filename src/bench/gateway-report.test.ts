import { expect, it } from 'vitest';
import type { RowResult } from './gateway-bench.js';
import { medianRun, pairedRatio } from './gateway-report.js';
import type { WrkResult } from './wrk-load.js';

const run = (requestsPerSec: number): WrkResult => ({ requestsPerSec, requests: 0, p50Ms: requestsPerSec / 1000, p99Ms: 0, errors: 0, non2xx: 0 });

it.each([
  [[5], 5],
  [[9, 3, 6], 6],
  [[4, 8, 2, 6], 4],
])('the median run of %o has %d req/s', (rates, expected) => expect(medianRun(rates.map(run)).requestsPerSec).toBe(expected));

const row = (rates: number[]): RowResult => ({ key: 'tap-off', label: '', runs: rates.map(run) });

it('pairs rounds: the median of per-round ratios, with their range', () => {
  // The machine doubles its speed in round 2: per round the row is 90% of the base every time.
  expect(pairedRatio(row([900, 1800, 900]), row([1000, 2000, 1000]))).toEqual({ median: 0.9, min: 0.9, max: 0.9 });
  const r = pairedRatio(row([80, 95, 100, 70]), row([100, 100, 100, 100]));
  expect(r.median).toBeCloseTo(0.875);
  expect([r.min, r.max]).toEqual([0.7, 1]);
});
