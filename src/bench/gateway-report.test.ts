import { expect, it } from 'vitest';
import { medianRun } from './gateway-report.js';
import type { WrkResult } from './wrk-load.js';

const run = (requestsPerSec: number): WrkResult => ({ requestsPerSec, requests: 0, p50Ms: requestsPerSec / 1000, p99Ms: 0, errors: 0, non2xx: 0 });

it.each([
  [[5], 5],
  [[9, 3, 6], 6],
  [[4, 8, 2, 6], 4],
])('the median run of %o has %d req/s', (rates, expected) => expect(medianRun(rates.map(run)).requestsPerSec).toBe(expected));
