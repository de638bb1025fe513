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

/**
 * The median over rounds of a's req/s divided by b's in the same round. Rows run back to back within a
 * round, so a machine that drifts (a VM's neighbours, thermal limits) shifts both alike; ratios of
 * whole-run medians would pair a fast moment of one row with a slow one of the other.
 */
export function pairedRatio(a: RowResult, b: RowResult): { median: number; min: number; max: number } {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.runs.length, b.runs.length); i++) ratios.push(a.runs[i]!.requestsPerSec / b.runs[i]!.requestsPerSec);
  ratios.sort((x, y) => x - y);
  const mid = ratios.length % 2 === 1 ? ratios[(ratios.length - 1) / 2]! : (ratios[ratios.length / 2 - 1]! + ratios[ratios.length / 2]!) / 2;
  return { median: mid, min: ratios[0]!, max: ratios[ratios.length - 1]! };
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
  const tapOffRow = byKey.get('tap-off')!;
  const nginx1Row = byKey.get('nginx-1');
  const nginxAutoRow = byKey.get('nginx-auto');
  const ratio = (row: RowResult, base: RowResult | undefined): string => (base ? `${pairedRatio(row, base).median.toFixed(2)}×` : '–');

  const table = rows.map((row) => {
    const mid = medianRun(row.runs);
    const all = row.runs.map((r) => r.requestsPerSec);
    const range = all.length > 1 ? `${fmt(Math.min(...all))}–${fmt(Math.max(...all))}` : '–';
    const errors = row.runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
    return `| ${row.label} | ${fmt(mid.requestsPerSec)} | ${range} | ${ms(mid.p50Ms)} | ${ms(mid.p99Ms)} | ${ratio(row, tapOffRow)} | ${ratio(row, nginx1Row)} | ${errors > 0 ? `**${fmt(errors)}**` : '0'} |`;
  });

  const checks: string[] = [];
  const spread = (r: { min: number; max: number }, f: (n: number) => string): string => (settings.rounds > 1 ? `; rounds ${f(r.min)}–${f(r.max)}` : '');
  const vsTapOff = (key: RowKey, what: string, target: number): void => {
    const row = byKey.get(key);
    if (!row) return;
    const r = pairedRatio(row, tapOffRow);
    checks.push(`| ${what} | ≥ ${pct(target)} of tap off | ${pct(r.median)} (median req/s ${fmt(rps(key)!)} vs ${fmt(tapOff)}${spread(r, pct)}) | ${check(r.median >= target)} |`);
  };
  vsTapOff('tap-response-miss', 'tap on, matching nothing (decided at the response)', 0.95);
  vsTapOff('tap-request-miss', 'tap on, matching nothing (ruled out at request headers)', 0.95);
  vsTapOff('tap-all', 'tap on, every exchange captured', 0.8);
  const vsNginx = (base: RowResult | undefined, what: string): void => {
    if (base === undefined) {
      checks.push(`| gateway (tap off) vs ${what} | ≥ 0.4× | not measured: nginx is not installed (\`apt-get install -y nginx\`) | |`);
      return;
    }
    const r = pairedRatio(tapOffRow, base);
    const x = (n: number): string => `${n.toFixed(2)}×`;
    checks.push(`| gateway (tap off) vs ${what} | ≥ 0.4× | ${x(r.median)} (median req/s ${fmt(tapOff)} vs ${fmt(medianRun(base.runs).requestsPerSec)}${spread(r, x)}) | ${check(r.median >= 0.4)} |`);
  };
  vsNginx(nginx1Row, 'nginx, worker_processes 1 (one process, like the gateway)');
  vsNginx(nginxAutoRow, `nginx, worker_processes auto (${os.cpus().length} workers${result.pinned ? `, pinned to the proxy's CPU ${result.pinned.proxy}` : ''})`);

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
    `before the first measurement; rounds go through every row in turn, every other round in reverse order; the table shows ${shown}.`,
    'Ratios (the "vs" columns and the checks) are medians over rounds of the ratio within each round, so that drift of the machine during the run favours no row.',
    'nginx: a generated config, keep-alive upstream pool (64), `proxy_http_version 1.1`, `proxy_set_header Connection ""`, no access log.',
    'Tap-on rows: one `loop serve` each (SQLite in a temp dir) holding the one TapConfig shown below; the gateway ships captures to it.',
    '',
    result.pinned
      ? `CPUs pinned with taskset: the proxy under test (every thread; nginx's workers too) on CPU ${result.pinned.proxy}; wrk, the upstream and the loop servers of the tap-on rows on CPU ${result.pinned.load}. The "upstream directly" row therefore runs on the load side alone.`
      : `CPUs not pinned: this machine's ${os.cpus().length} cores are shared by wrk, the proxy under test, the upstream and (tap-on rows) the loop server.`,
    `**Caveat:** this machine has ${os.cpus().length} cores (a VM whose speed drifts by ±20% within a minute); absolute numbers are those of a small box, the ratios are the figures with targets, all taken in the same run.`,
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
