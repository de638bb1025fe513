import { expect, it } from 'vitest';
import type { GatewayBenchResult, PairRun, RowResult } from './gateway-bench.js';
import { capacityRatio, cpuRatio, medianRun, pairedRatio, renderGatewaySection } from './gateway-report.js';
import type { WrkResult } from './wrk-load.js';

const run = (requestsPerSec: number): WrkResult => ({ requestsPerSec, requests: 0, p50Ms: requestsPerSec / 1000, p99Ms: 0, errors: 0, non2xx: 0 });

it.each([
  [[5], 5],
  [[9, 3, 6], 6],
  [[4, 8, 2, 6], 4],
])('the median run of %o has %d req/s', (rates, expected) => expect(medianRun(rates.map(run)).requestsPerSec).toBe(expected));

const pair = (row: number, tapOff: number, proxyCpuBusy?: number): PairRun => ({ row: [run(row / 2), run(row / 2)], tapOff: [run(tapOff / 2), run(tapOff / 2)], ...(proxyCpuBusy !== undefined ? { proxyCpuBusy } : {}) });
const row = (key: RowResult['key'], pairs?: PairRun[]): RowResult => ({ key, label: '', runs: [run(1)], runBusy: [], ...(pairs ? { pairs } : {}) });
const solo = (key: RowResult['key'], rates: number[], busy: number[]): RowResult => ({ key, label: '', runs: rates.map(run), runBusy: busy });

it('takes each head-to-head window as one ratio: the median, the range and the busy share of the proxy CPU', () => {
  // The machine doubles its speed in window 2: within each window the row is 90% of the tap-off gateway.
  expect(pairedRatio(row('tap-all', [pair(900, 1000, 0.99), pair(1800, 2000, 0.97), pair(900, 1000, 1)]))).toEqual({ median: 0.9, min: 0.9, max: 0.9, count: 3, byCpu: false, rateMedian: 0.9, busy: 0.99 });
  // Each side is the sum over its processes: 900 of 1000 however the scheduler split them.
  expect(pairedRatio(row('tap-all', [{ row: [run(300), run(600)], tapOff: [run(450), run(550)] }]))!.median).toBeCloseTo(0.9);
  const r = pairedRatio(row('tap-all', [pair(80, 100), pair(95, 100), pair(100, 100), pair(70, 100)]))!;
  expect(r.median).toBeCloseTo(0.875);
  expect([r.min, r.max, r.busy]).toEqual([0.7, 1, undefined]);
});

it('prefers CPU time per request to req/s when both sides\' CPU times were read', () => {
  const served = (requests: number): WrkResult => ({ ...run(requests / 5), requests });
  // The row's side got more of the core (1,000 requests) but spent 0.2 tick on each; tap off 0.15: 75%.
  const window: PairRun = { row: [served(600), served(400)], tapOff: [served(500), served(700)], rowTicks: 200, tapOffTicks: 180 };
  const r = pairedRatio(row('tap-all', [window, window]))!;
  expect(r.byCpu).toBe(true);
  expect(r.median).toBeCloseTo(0.75);
  // One window without CPU times: every window falls back to req/s, so the ratios stay of one kind.
  expect(pairedRatio(row('tap-all', [window, { ...window, rowTicks: 0 }]))!.byCpu).toBe(false);
});

it('has nothing for a row never paired', () => {
  expect(pairedRatio(row('upstream'))).toBeUndefined();
});

it('compares the tap-off gateway with nginx per busy second of the proxy CPU, round by round', () => {
  // Round 1: nginx held back by the load side (10,000 req/s at 40% busy = 25,000 per busy second).
  const tapOff = solo('tap-off', [5000, 6000], [1, 1]);
  const nginx = solo('nginx-1', [10000, 12000], [0.4, 0.5]);
  const r = capacityRatio(tapOff, nginx)!;
  expect(r.count).toBe(2);
  expect([r.min, r.max]).toEqual([0.2, 0.25]);
  expect(r.median).toBeCloseTo(0.225);
  expect(capacityRatio(tapOff, solo('nginx-1', [1, 1], []))).toBeUndefined();
});

it('calls a check inconclusive when the proxy CPU was not kept busy', () => {
  const base: GatewayBenchResult = {
    ran: true,
    settings: { threads: 1, connections: 32, seconds: 5, warmupSeconds: 2, jitWarmupSeconds: 15, rounds: 1, pairRounds: 2, pairWarmupSeconds: 10, sideProcesses: 1 },
    nginx: undefined,
    loadAverage: [0, 0, 0],
    pinned: { taskset: 'taskset', proxy: '0', load: '1' },
    rows: [
      solo('tap-off', [1000], [1]),
      row('tap-off-control', [pair(99, 100, 1), pair(101, 100, 1), pair(98, 100, 1)]),
      solo('nginx-1', [2000], [0.8]),
      row('tap-all', [pair(85, 100, 0.6), pair(85, 100, 0.7)]),
      row('tap-request-miss', [pair(97, 100, 0.99), pair(96, 100, 0.98)]),
      row('tap-off-node', [pair(74, 100, 1), pair(76, 100, 1)]),
    ],
  };
  const text = renderGatewaySection(base).join('\n');
  // The gateway on node:http says what the own server side saves; it has no target either.
  expect(text).toMatch(/\| the gateway on node:http \(`--server node`\) instead of its own server side \| none \(what the own server side saves\) \| 75% by req\/s .*; 2 windows, 74%–76%; .*\| \|/);
  expect(text).toMatch(/every exchange captured \| ≥ 80% of tap off \| 85%.*\| not conclusive: the proxy's CPU was only 65% busy/);
  expect(text).toMatch(/ruled out at request headers\) \| ≥ 95% of tap off \| 97%.*\| met \|/);
  // The control (two tap-off gateways) is reported with its spread, and has no target to meet.
  expect(text).toMatch(/\| control: a second tap-off gateway \| none \(the method's zero point\) \| 99% by req\/s \(CPU times not readable\); 3 windows, 98%–101%; proxy CPU 100% busy \| \|/);
  expect(text).toMatch(/vs nginx, worker_processes 1 .*\| ≥ 0\.4× \| 0\.40× per busy second of the proxy's CPU; 1 solo rounds, .*plain solo req\/s 0\.50×, with nginx held back by the load side \(its CPU 80% busy\)\) \| met \|/);
});

it('compares nginx with the tap-off gateway by CPU time per request, window by window', () => {
  const served = (requests: number): WrkResult => ({ ...run(requests / 5), requests });
  const windows: PairRun[] = [
    { row: [served(45_000)], rowTicks: 300, tapOff: [served(10_000)], tapOffTicks: 200 }, // 1/150 tick a request against 1/50: 0.33×
    { row: [served(40_000)], rowTicks: 200, tapOff: [served(10_000)], tapOffTicks: 100 }, // 1/200 against 1/100: 0.5×
  ];
  const nginx: RowResult = { ...solo('nginx-1', [1], []), pairs: windows };
  const r = cpuRatio(nginx)!;
  expect(r.count).toBe(2);
  expect([r.min, r.median, r.max].map((n) => n.toFixed(3))).toEqual(['0.333', '0.417', '0.500']);
  // Without CPU times in every window there is no CPU ratio: req/s would count the scheduler's favouring of nginx.
  expect(cpuRatio({ ...nginx, pairs: [...windows, { row: [served(40_000)], rowTicks: 0, tapOff: [served(10_000)], tapOffTicks: 100 }] })).toBeUndefined();
  expect(cpuRatio(solo('nginx-1', [1], []))).toBeUndefined();

  const result: GatewayBenchResult = {
    ran: true,
    settings: { threads: 1, connections: 32, seconds: 5, warmupSeconds: 2, jitWarmupSeconds: 15, rounds: 1, pairRounds: 2, pairWarmupSeconds: 10, sideProcesses: 1 },
    nginx: 'nginx 1.22.1',
    loadAverage: [0, 0, 0],
    pinned: { taskset: 'taskset', proxy: '0', load: '1' },
    rows: [solo('tap-off', [1000], [1]), { ...solo('nginx-1', [2000], [0.5]), pairs: windows }],
  };
  const text = renderGatewaySection(result).join('\n');
  expect(text).toMatch(/vs nginx, worker_processes 1 .*\| ≥ 0\.4× \| 0\.42× by CPU time per request, head to head; 2 windows, 0\.33×–0\.50×; solo rounds, per busy second of the proxy's CPU: 0\.25×.*\| met \|/);
});
