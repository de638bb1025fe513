// BENCHMARKS.md's gateway section from a `gatewayBench` result: the table, the issue #3 checks, what the
// tap did in each tap-on row, and how the numbers were taken.
import os from 'node:os';
import type { GatewayBenchResult, RowKey, RowResult, TapCounts } from './gateway-bench.js';
import type { WrkResult } from './wrk-load.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en');
const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (n: number): string => `${(n * 100).toFixed(0)}%`;
const check = (ok: boolean): string => (ok ? 'met' : '**missed**');
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The round with the median throughput (the lower middle for an even count): its p50/p99 go in the table. */
export function medianRun(runs: WrkResult[]): WrkResult {
  const sorted = [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function tapLine(row: RowResult, tap: TapCounts): string {
  const queueFull = tap.dropped.queue_full ?? 0;
  const otherDrops = Object.entries(tap.dropped)
    .filter(([reason, n]) => reason !== 'queue_full' && n > 0)
    .map(([reason, n]) => `${fmt(n)} ${reason}`)
    .join(', ');
  return `| ${row.label} | \`${cell(row.match ?? '')}\` | ${fmt(tap.proxied)} | ${fmt(tap.skipped)} | ${fmt(tap.recorded)} | ${fmt(tap.matched)} | ${fmt(tap.shipped)} | ${fmt(queueFull)} | ${otherDrops || '0'} | ${fmt(tap.stored)} |`;
}

export function renderGatewaySection(result: GatewayBenchResult): string[] {
  const head = ['## Gateway: throughput and latency', ''];
  if (!result.ran) return [...head, `Not run: ${result.reason}.`, ''];
  const { settings, rows } = result;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const rps = (key: RowKey): number | undefined => {
    const row = byKey.get(key);
    return row ? medianRun(row.runs).requestsPerSec : undefined;
  };
  const tapOff = rps('tap-off')!;
  const nginx1 = rps('nginx-1');
  const nginxAuto = rps('nginx-auto');
  const ratio = (n: number, base: number | undefined): string => (base ? `${(n / base).toFixed(2)}×` : '–');

  const table = rows.map((row) => {
    const mid = medianRun(row.runs);
    const all = row.runs.map((r) => r.requestsPerSec);
    const range = all.length > 1 ? `${fmt(Math.min(...all))}–${fmt(Math.max(...all))}` : '–';
    const errors = row.runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
    return `| ${row.label} | ${fmt(mid.requestsPerSec)} | ${range} | ${ms(mid.p50Ms)} | ${ms(mid.p99Ms)} | ${ratio(mid.requestsPerSec, tapOff)} | ${ratio(mid.requestsPerSec, nginx1)} | ${errors > 0 ? `**${fmt(errors)}**` : '0'} |`;
  });

  const checks: string[] = [];
  const vsTapOff = (key: RowKey, what: string, target: number): void => {
    const n = rps(key);
    if (n !== undefined) checks.push(`| ${what} | ≥ ${pct(target)} of tap off | ${pct(n / tapOff)} (${fmt(n)} vs ${fmt(tapOff)} req/s) | ${check(n / tapOff >= target)} |`);
  };
  vsTapOff('tap-response-miss', 'tap on, matching nothing (decided at the response)', 0.95);
  vsTapOff('tap-request-miss', 'tap on, matching nothing (ruled out at request headers)', 0.95);
  vsTapOff('tap-all', 'tap on, every exchange captured', 0.8);
  const vsNginx = (base: number | undefined, what: string): void => {
    checks.push(
      base === undefined
        ? `| gateway (tap off) vs ${what} | ≥ 0.4× | not measured: nginx is not installed (\`apt-get install -y nginx\`) | |`
        : `| gateway (tap off) vs ${what} | ≥ 0.4× | ${(tapOff / base).toFixed(2)}× (${fmt(tapOff)} vs ${fmt(base)} req/s) | ${check(tapOff / base >= 0.4)} |`,
    );
  };
  vsNginx(nginx1, 'nginx, worker_processes 1 (one process, like the gateway)');
  vsNginx(nginxAuto, `nginx, worker_processes auto (${os.cpus().length} workers here)`);

  const tapRows = rows.filter((r) => r.tap);
  const all = byKey.get('tap-all')?.tap;
  const dropped = all ? Object.values(all.dropped).reduce((a, b) => a + b, 0) : 0;
  const shown = settings.rounds > 1 ? `the median req/s of ${settings.rounds} rounds, the p50/p99 of that round, and the range over rounds` : 'the req/s, p50 and p99 of one round';
  return [
    ...head,
    `Run ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average at the start ${result.loadAverage.map((n) => n.toFixed(2)).join(' / ')}.`,
    '',
    `Every row: \`wrk -t${settings.threads} -c${settings.connections} -d${settings.seconds}s --latency\`, each request a POST with a 1 KiB JSON body, after a ${settings.warmupSeconds} s warm-up run;`,
    `the same upstream (node:http in its own process, reading the body, answering 200 with 1 KiB of JSON). Each target runs in its own process, all started`,
    `before the first measurement; rounds go through every row in turn; the table shows ${shown}.`,
    'nginx: a generated config, keep-alive upstream pool (64), `proxy_http_version 1.1`, `proxy_set_header Connection ""`, no access log.',
    'Tap-on rows: one `loop serve` each (SQLite in a temp dir) holding the one TapConfig shown below; the gateway ships captures to it.',
    '',
    `**Caveat:** this machine has ${os.cpus().length} cores, shared by wrk, the proxy under test and the upstream (and the loop server for tap-on rows); nothing is pinned.`,
    'Absolute numbers are those of a loaded small box; the ratios are the figures with targets, all taken in the same run.',
    '',
    '| target | req/s | range | p50 (ms) | p99 (ms) | vs tap-off gateway | vs nginx (1 worker) | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...table,
    '',
    '| check (issue #3) | target | measured | |',
    '|---|---|---|---|',
    ...checks,
    '',
    'What the tap did (all requests the gateway saw, warm-ups included; counters from the gateway\'s /metrics, stored from the loop server\'s):',
    '',
    '| row | TapConfig match | proxied | skipped | recorded, not matched | matched | shipped | dropped (queue full) | dropped (other) | stored |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...tapRows.map((r) => tapLine(r, r.tap!)),
    '',
    ...(all
      ? [
          `Every exchange captured: ${fmt(all.stored)} of ${fmt(all.matched)} matched exchanges reached the store (${pct(all.matched ? all.stored / all.matched : 0)}); ${fmt(dropped)} dropped${dropped > 0 ? ' (the tap drops when its queue is full rather than slow the traffic)' : ''}${all.queued > 0 ? `; ${fmt(all.queued)} still queued when counted` : ''}.`,
          '',
        ]
      : []),
  ];
}
