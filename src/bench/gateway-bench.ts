// The gateway benchmark (issue #3): the same wrk load (POST, 1 KiB body) against the same upstream through
// each target in turn — the upstream itself (reference), a bare node:http proxy (baseline), nginx, and
// `loop gateway` with the tap off, on matching nothing, and on capturing everything. Targets run side by
// side in their own processes; rounds interleave them so a burst of noise hits one round, not one row.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LoopError } from '../core/errors.js';
import { metricsText, metricValue, putTapConfig, request, startBareNodeProxy, startGateway, startLoopServer, startUpstream, waitFor, type RunningTarget } from './gateway-targets.js';
import { pinTree, planCpus, type CpuPlan } from './cpu-pinning.js';
import { startNginx } from './nginx-target.js';
import { findExecutable, postScript, runWrk, type WrkResult, type WrkSettings } from './wrk-load.js';

export const BODY_BYTES = 1024;

export type RowKey = 'upstream' | 'node-proxy' | 'nginx-1' | 'nginx-auto' | 'tap-off' | 'tap-request-miss' | 'tap-response-miss' | 'tap-all';

export interface GatewayBenchSettings {
  threads: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
}

/** What the tap did during a row, from the gateway's /metrics and the loop server's. */
export interface TapCounts {
  proxied: number;
  skipped: number;
  recorded: number;
  matched: number;
  shipped: number;
  dropped: Record<string, number>;
  /** Captures in the loop server's store after the run. */
  stored: number;
  /** Captures still queued in the gateway when we stopped waiting for the queue to drain. */
  queued: number;
}

export interface RowResult {
  key: RowKey;
  label: string;
  /** One wrk result per round, in round order. */
  runs: WrkResult[];
  /** For tap-on rows: the TapConfig's match expression and what the tap did. */
  match?: string;
  tap?: TapCounts;
}

export type GatewayBenchResult =
  | { ran: true; settings: GatewayBenchSettings; rows: RowResult[]; nginx: string | undefined; loadAverage: number[]; pinned: CpuPlan | undefined }
  | { ran: false; reason: string };

/**
 * LOOP_BENCH_SECONDS: measured seconds per row and round (default 5; the warm-up is 1 s);
 * LOOP_BENCH_ROUNDS: rounds through all rows (default 6; the report shows medians);
 * LOOP_BENCH_CONNECTIONS: wrk connections (default 32); LOOP_BENCH_PIN=0: do not pin CPUs.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv): GatewayBenchSettings {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new LoopError('CONFIG_INVALID', `${name}="${raw}": expected a whole number ≥ 1`);
    return n;
  };
  const seconds = int('LOOP_BENCH_SECONDS', 5);
  return { threads: 1, connections: int('LOOP_BENCH_CONNECTIONS', 32), seconds, warmupSeconds: 1, rounds: int('LOOP_BENCH_ROUNDS', 6) };
}

interface LiveRow extends RowResult {
  target: RunningTarget;
  loopServer?: RunningTarget;
}

const TAP_ROWS: { key: RowKey; label: string; match: string }[] = [
  { key: 'tap-request-miss', label: 'gateway, tap on, TapConfig ruled out at request headers', match: 'requestHeaders["x-never"] == present()' },
  { key: 'tap-response-miss', label: 'gateway, tap on, TapConfig matching nothing (decided at the response)', match: 'responseHeaders[":status"] == "599"' },
  { key: 'tap-all', label: 'gateway, tap on, every exchange captured (1 KiB bodies)', match: 'true' },
];

async function nginxVersion(nginxPath: string): Promise<string> {
  const { stderr } = await promisify(execFile)(nginxPath, ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(stderr)?.[1] ?? '';
}

/** POSTs one 1 KiB body through the target: it must answer 200 with the upstream's 1 KiB body. */
async function checkTarget(row: LiveRow, body: Buffer): Promise<void> {
  const answer = await request(new URL('/bench/check', row.target.url), 'POST', body);
  if (answer.status !== 200 || answer.body.length !== BODY_BYTES) {
    throw new LoopError('INTERNAL', `${row.label} answered ${answer.status} with ${answer.body.length} bytes; expected 200 with the upstream's ${BODY_BYTES} bytes`);
  }
}

async function tapCounts(row: LiveRow, log: (s: string) => void): Promise<TapCounts> {
  const admin = row.target.adminUrl!;
  // Let the shipper empty its queue first, so shipped + dropped account for every matched exchange.
  const queued = async (): Promise<number> => metricValue(await metricsText(admin), 'loop_tap_queue_depth');
  await waitFor(async () => (await queued()) === 0, `the tap queue of "${row.label}" to drain`, 60_000).catch(() => log(`  ${row.label}: tap queue not empty after 60 s`));
  const text = await metricsText(admin);
  const outcome = (o: string): number => metricValue(text, 'loop_tap_exchanges_total', { outcome: o });
  const dropped: Record<string, number> = {};
  for (const reason of ['queue_full', 'rejected', 'closed', 'shutdown']) dropped[reason] = metricValue(text, 'loop_tap_captures_dropped_total', { reason });
  return {
    proxied: metricValue(text, 'loop_gateway_requests_total'),
    skipped: outcome('skipped'),
    recorded: outcome('recorded'),
    matched: outcome('matched'),
    shipped: metricValue(text, 'loop_tap_captures_shipped_total'),
    dropped,
    stored: metricValue(await metricsText(row.loopServer!.url), 'loop_captures_stored'),
    queued: metricValue(text, 'loop_tap_queue_depth'),
  };
}

export async function gatewayBench(settings: GatewayBenchSettings, log: (s: string) => void): Promise<GatewayBenchResult> {
  const wrk = await findExecutable('wrk');
  if (!wrk) {
    log('wrk is not installed: skipping the gateway benchmark. Install it with: apt-get install -y wrk nginx');
    return { ran: false, reason: 'wrk is not installed (`apt-get install -y wrk nginx`)' };
  }
  const loadAverage = os.loadavg();
  const nginx = await findExecutable('nginx', ['/usr/sbin']);
  if (!nginx) log('nginx is not installed: its rows are left out (apt-get install -y nginx)');
  const pinned = await planCpus(process.env);
  log(pinned ? `gateway bench: the proxy under test on CPU ${pinned.proxy}; wrk, the upstream and the loop servers on CPU ${pinned.load}` : 'gateway bench: CPUs not pinned (taskset missing, one CPU, or LOOP_BENCH_PIN=0)');
  const dir = await mkdtemp(path.join(tmpdir(), 'loop-bench-gateway-'));
  const running: RunningTarget[] = [];
  /** `side`: which CPUs the process gets when pinning — the proxy's, or the load side's. */
  const started = async <T extends RunningTarget>(t: Promise<T>, side: 'proxy' | 'load' = 'proxy'): Promise<T> => {
    const target = await t;
    running.push(target);
    if (pinned) await pinTree(pinned.taskset, target.pid, pinned[side]);
    return target;
  };
  try {
    const script = path.join(dir, 'post.lua');
    await writeFile(script, postScript(BODY_BYTES));
    const wrkSettings: WrkSettings = { threads: settings.threads, connections: settings.connections, seconds: settings.seconds, script, ...(pinned ? { pin: { taskset: pinned.taskset, cpus: pinned.load } } : {}) };
    log('gateway bench: starting the upstream and the targets');
    const upstream = await started(startUpstream(), 'load');
    const rows: LiveRow[] = [
      { key: 'upstream', label: 'upstream directly (reference)', target: upstream, runs: [] },
      { key: 'node-proxy', label: 'bare node:http proxy (baseline)', target: await started(startBareNodeProxy(upstream.url)), runs: [] },
    ];
    let nginxName: string | undefined;
    if (nginx) {
      nginxName = `nginx ${await nginxVersion(nginx)}`.trim();
      rows.push({ key: 'nginx-1', label: `${nginxName}, worker_processes 1`, target: await started(startNginx(nginx, path.join(dir, 'nginx-1'), new URL(upstream.url), '1')), runs: [] });
      rows.push({ key: 'nginx-auto', label: `${nginxName}, worker_processes auto`, target: await started(startNginx(nginx, path.join(dir, 'nginx-auto'), new URL(upstream.url), 'auto')), runs: [] });
    }
    rows.push({ key: 'tap-off', label: 'gateway, tap off', target: await started(startGateway(upstream.url)), runs: [] });
    for (const spec of TAP_ROWS) {
      const loopServer = await started(startLoopServer(path.join(dir, spec.key)), 'load');
      await putTapConfig(loopServer.url, spec.key, spec.match);
      rows.push({ ...spec, loopServer, target: await started(startGateway(upstream.url, loopServer.url, 1)), runs: [] });
    }

    const body = Buffer.alloc(BODY_BYTES, 'x');
    for (const row of rows) await checkTarget(row, body);

    for (let round = 1; round <= settings.rounds; round++) {
      // Every other round backwards: a machine that speeds up or slows down over the run favours no row.
      for (const row of round % 2 === 1 ? rows : [...rows].reverse()) {
        log(`gateway bench round ${round}/${settings.rounds}: ${row.label}`);
        await runWrk(wrk, row.target.url, { ...wrkSettings, seconds: settings.warmupSeconds });
        const result = await runWrk(wrk, row.target.url, wrkSettings);
        row.runs[round - 1] = result;
        const errors = result.errors + result.non2xx > 0 ? `, ${result.errors} socket errors, ${result.non2xx} non-2xx` : '';
        log(`  ${Math.round(result.requestsPerSec).toLocaleString('en')} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms${errors}`);
        // Shipping what a capturing row queued must not eat into the next row's CPU.
        if (row.key === 'tap-all') await waitFor(async () => metricValue(await metricsText(row.target.adminUrl!), 'loop_tap_queue_depth') === 0, 'the tap queue to drain', 60_000).catch(() => log('  tap queue not drained after 60 s'));
      }
    }
    for (const row of rows) if (row.loopServer) row.tap = await tapCounts(row, log);
    return {
      ran: true,
      settings,
      nginx: nginxName,
      loadAverage,
      pinned,
      rows: rows.map(({ key, label, runs, match, tap }) => ({ key, label, runs, ...(match ? { match } : {}), ...(tap ? { tap } : {}) })),
    };
  } finally {
    for (const target of running.reverse()) await target.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
