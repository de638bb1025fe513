// The gateway benchmark (issue #3): the same wrk load (POST, 1 KiB body) against the same upstream through
// each target — the upstream itself (reference), a bare node:http proxy (baseline), nginx, and `loop
// gateway` with the tap off, on matching nothing, and on capturing everything. Targets run side by side
// in their own processes, each first warmed up long enough for V8 to finish optimizing (a tap-on gateway
// has more code to optimize: it was still compiling 15 s into its load).
//
// Solo rounds measure each row alone (req/s, latency), rows in turn, every other round in reverse. The
// checks are head to head: the tap-off gateways and the compared row's gateways share the proxy's CPU at the
// same time, each process under its own wrk, and each side's CPU time (from /proc) is divided by the requests
// it served. This VM's speed drifts by ±30% between consecutive 3-second windows; solo windows of two rows
// never see the same machine, processes measured at the same moment do. CPU time per request does not
// depend on how the scheduler and the shared load CPU split the requests between the processes (two
// identical processes served 1,292 and 1,421 req/s in one window); the sides' req/s are kept beside it.
// nginx (one target, its workers included) is compared with the tap-off gateway(s) the same way.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LoopError } from '../core/errors.js';
import { envInt } from './bench-support.js';
import { metricsText, metricValue, putTapConfig, request, startBareNodeProxy, startGateway, startLoopServer, startUpstream, waitFor, type RunningTarget } from './gateway-targets.js';
import { busyText, cpuTicksOfTree, perRequestUs, pinTree, planCpus, watchingCpu, type CpuPlan } from './cpu-pinning.js';
import { startNginx } from './nginx-target.js';
import { findExecutable, postScript, runWrk, type WrkResult, type WrkSettings } from './wrk-load.js';

export const BODY_BYTES = 1024;

export type RowKey = 'upstream' | 'node-proxy' | 'nginx-1' | 'nginx-auto' | 'tap-off' | 'tap-off-control' | 'tap-off-node' | 'tap-request-miss' | 'tap-response-miss' | 'tap-all';

export interface GatewayBenchSettings {
  threads: number;
  connections: number;
  /** Measured seconds per solo window and per head-to-head window. */
  seconds: number;
  /** Load right before each measured window, so that it measures a process already under load rather than one waking from a minute idle. */
  warmupSeconds: number;
  /** Load per target before anything is measured, for V8 to finish optimizing. */
  jitWarmupSeconds: number;
  /** Solo rounds through every row. */
  rounds: number;
  /** Head-to-head windows per check. */
  pairRounds: number;
  /** Joint load of a compared row and the tap-off gateway before the row's head-to-head windows. */
  pairWarmupSeconds: number;
  /** Gateway processes per side of a head-to-head window, 1 or 2. */
  sideProcesses: 1 | 2;
}

/**
 * One head-to-head window: the row's processes and the tap-off gateways (one or two) at the same time, on the
 * proxy's CPU, each under its own wrk (one result per process; nginx is one target, its workers included).
 */
export interface PairRun {
  row: WrkResult[];
  tapOff: WrkResult[];
  /** CPU time (clock ticks) each side's processes used in the window; undefined when /proc cannot say. */
  rowTicks?: number;
  tapOffTicks?: number;
  /** How busy the proxy's CPU was during the window, 0–1 (undefined when CPUs are not pinned). */
  proxyCpuBusy?: number;
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
  /** One wrk result per solo round, in round order. */
  runs: WrkResult[];
  /** Per solo round: how busy the proxy's CPU was, 0–1 (empty when CPUs are not pinned). */
  runBusy: number[];
  /** Head-to-head windows against the tap-off gateway, for the rows the checks compare with it (HEAD_TO_HEAD). */
  pairs?: PairRun[];
  /** For tap-on rows: the TapConfig's match expression and what the tap did. */
  match?: string;
  tap?: TapCounts;
}

export type GatewayBenchResult =
  | { ran: true; settings: GatewayBenchSettings; rows: RowResult[]; nginx: string | undefined; loadAverage: number[]; pinned: CpuPlan | undefined }
  | { ran: false; reason: string };

/**
 * LOOP_BENCH_SECONDS: measured seconds per window (default 5; each after a 2 s warm-up);
 * LOOP_BENCH_ROUNDS: solo rounds through all rows (default 4); LOOP_BENCH_PAIR_ROUNDS: head-to-head
 * rounds per check (default 16: with 8, verdicts moved by 2-4 points between runs); LOOP_BENCH_WARMUP: seconds of load per target before anything is measured
 * (default 15); LOOP_BENCH_CONNECTIONS: wrk connections per target (default 32); LOOP_BENCH_PIN=0: do not pin CPUs;
 * LOOP_BENCH_SIDE_PROCESSES: gateway processes per side of a head-to-head window (default 1; 2 averages
 * out process-to-process differences, but four processes on one core thrash each other's caches, and the
 * tap-on gateways, with more code and data, lose more to that: such a run read 93/92/75% where runs with
 * one a side read 97/98/81%).
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv): GatewayBenchSettings {
  const int = (name: string, fallback: number): number => envInt(env, name, fallback);
  return {
    threads: 1,
    connections: int('LOOP_BENCH_CONNECTIONS', 32),
    seconds: int('LOOP_BENCH_SECONDS', 5),
    warmupSeconds: 2,
    jitWarmupSeconds: int('LOOP_BENCH_WARMUP', 15),
    rounds: int('LOOP_BENCH_ROUNDS', 4),
    pairRounds: int('LOOP_BENCH_PAIR_ROUNDS', 16),
    pairWarmupSeconds: 10,
    sideProcesses: sideProcesses(env.LOOP_BENCH_SIDE_PROCESSES),
  };
}

function sideProcesses(raw: string | undefined): 1 | 2 {
  if (raw === undefined || raw === '' || raw === '1') return 1;
  if (raw === '2') return 2;
  throw new LoopError('CONFIG_INVALID', `LOOP_BENCH_SIDE_PROCESSES="${raw}": expected 1 or 2`);
}

const processesOf = (row: LiveRow): RunningTarget[] => (row.twin ? [row.target, row.twin] : [row.target]);

interface LiveRow extends RowResult {
  target: RunningTarget;
  /** A second process of the same target, for the head-to-head windows (gateway rows, LOOP_BENCH_SIDE_PROCESSES=2). */
  twin?: RunningTarget;
  loopServer?: RunningTarget;
}

/**
 * The rows measured head to head with the tap-off gateway(s), compared by CPU time per request: the control
 * (tap-off gateways again: the method's zero point), the tap-on gateways, and nginx (one target, its workers
 * included). For nginx, CPU time rather than req/s: the scheduler hands it more than its half of the core,
 * which a req/s ratio would count against the gateway.
 *
 * Gateways come one or two processes a side. Two (LOOP_BENCH_SIDE_PROCESSES=2) would average out what sets
 * two processes of identical code apart (a single control process read 99%, 103% and 100% in three runs),
 * but four processes on one core evict each other from the caches, and that costs the tap-on gateways
 * more: one a side is the default.
 * The windows of one row run back to back after a joint warm-up: interleaving rows left each compared
 * row idle through the others' windows while the tap-off gateways never were, and an idled gateway read
 * about 3% slower (up to 11%) than the same code kept busy.
 */
const HEAD_TO_HEAD: readonly RowKey[] = ['tap-off-control', 'tap-off-node', 'tap-request-miss', 'tap-response-miss', 'tap-all', 'nginx-1', 'nginx-auto'];

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
      { key: 'upstream', label: 'upstream directly (reference)', target: upstream, runs: [], runBusy: [] },
      { key: 'node-proxy', label: 'bare node:http proxy (baseline)', target: await started(startBareNodeProxy(upstream.url)), runs: [], runBusy: [] },
    ];
    let nginxName: string | undefined;
    if (nginx) {
      nginxName = `nginx ${await nginxVersion(nginx)}`.trim();
      rows.push({ key: 'nginx-1', label: `${nginxName}, worker_processes 1`, target: await started(startNginx(nginx, path.join(dir, 'nginx-1'), new URL(upstream.url), '1')), runs: [], runBusy: [] });
      rows.push({ key: 'nginx-auto', label: `${nginxName}, worker_processes auto`, target: await started(startNginx(nginx, path.join(dir, 'nginx-auto'), new URL(upstream.url), 'auto')), runs: [], runBusy: [] });
    }
    const gateway = async (loopServer?: string, extraArgs: string[] = []): Promise<{ target: RunningTarget; twin?: RunningTarget }> => {
      const one = (): Promise<RunningTarget> => started(startGateway(upstream.url, loopServer, loopServer ? 1 : 0, extraArgs));
      const target = await one();
      return settings.sideProcesses === 2 ? { target, twin: await one() } : { target };
    };
    rows.push({ key: 'tap-off', label: 'gateway, tap off', ...(await gateway()), runs: [], runBusy: [] });
    rows.push({ key: 'tap-off-control', label: 'gateway, tap off (another process: control)', ...(await gateway()), runs: [], runBusy: [] });
    rows.push({ key: 'tap-off-node', label: 'gateway, tap off, on node:http (`--server node`)', ...(await gateway(undefined, ['--server', 'node'])), runs: [], runBusy: [] });
    for (const spec of TAP_ROWS) {
      // The row's gateways (two with LOOP_BENCH_SIDE_PROCESSES=2) ship to one loop server.
      const loopServer = await started(startLoopServer(path.join(dir, spec.key)), 'load');
      await putTapConfig(loopServer.url, spec.key, spec.match);
      rows.push({ ...spec, loopServer, ...(await gateway(loopServer.url)), runs: [], runBusy: [] });
    }

    const body = Buffer.alloc(BODY_BYTES, 'x');
    for (const row of rows) await checkTarget(row, body);

    const describe = (r: WrkResult): string => {
      const errors = r.errors + r.non2xx > 0 ? `, ${r.errors} socket errors, ${r.non2xx} non-2xx` : '';
      return `${Math.round(r.requestsPerSec).toLocaleString('en')} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${errors}`;
    };
    // Shipping what a capturing row queued must not eat into the next window's CPU.
    const drained = async (row: LiveRow): Promise<void> => {
      if (row.key !== 'tap-all') return;
      await waitFor(async () => metricValue(await metricsText(row.target.adminUrl!), 'loop_tap_queue_depth') === 0, 'the tap queue to drain', 60_000).catch(() => log('  tap queue not drained after 60 s'));
    };
    const loadTarget = (target: RunningTarget, seconds: number): Promise<WrkResult> => runWrk(wrk, target.url, { ...wrkSettings, seconds });
    const load = (row: LiveRow, seconds: number): Promise<WrkResult> => loadTarget(row.target, seconds);
    /** Every process of each row at once, each under its own wrk: one result per process, row by row. */
    const loadGroup = async (group: LiveRow[], seconds: number): Promise<WrkResult[][]> => {
      const runs = await Promise.all(group.flatMap(processesOf).map((t) => loadTarget(t, seconds)));
      let at = 0;
      return group.map((row) => runs.slice(at, (at += processesOf(row).length)));
    };
    /** Runs `work` and says how busy the proxy's CPU was meanwhile (when CPUs are pinned). */
    const watchingProxyCpu = <T>(work: () => Promise<T>): Promise<{ value: T; busy?: number }> => watchingCpu(pinned?.proxy, work);

    for (const row of rows) {
      for (const target of processesOf(row)) {
        log(`gateway bench JIT warm-up (${settings.jitWarmupSeconds} s): ${row.label}${target === row.twin ? ' (second process)' : ''}`);
        log(`  ${describe(await loadTarget(target, settings.jitWarmupSeconds))}`);
        await drained(row);
      }
    }

    for (let round = 1; round <= settings.rounds; round++) {
      // Every other round backwards: a machine that speeds up or slows down over the run favours no row.
      for (const row of round % 2 === 1 ? rows : [...rows].reverse()) {
        log(`gateway bench solo round ${round}/${settings.rounds}: ${row.label}`);
        await load(row, settings.warmupSeconds);
        const { value: result, busy } = await watchingProxyCpu(() => load(row, settings.seconds));
        row.runs[round - 1] = result;
        if (busy !== undefined) row.runBusy[round - 1] = busy;
        log(`  ${describe(result)}${busyText(busy)}`);
        await drained(row);
      }
    }

    const tapOff = rows.find((r) => r.key === 'tap-off')!;
    const control = rows.find((r) => r.key === 'tap-off-control')!;
    // The reference side of a row's windows: the two tap-off processes in turn, round by round, so that what
    // sets two processes of identical code apart (the control read 100-103% in four runs, never below) is
    // averaged out of every check rather than counted in it. The control itself is always against tap-off.
    const referenceFor = (row: LiveRow, round: number): LiveRow => (row === control || round % 2 === 1 ? tapOff : control);
    /** CPU ticks of a row's processes so far. */
    const groupTicks = async (row: LiveRow): Promise<number | undefined> => {
      const ticks = await Promise.all(processesOf(row).map((t) => cpuTicksOfTree(t.pid)));
      return ticks.some((t) => t === undefined) ? undefined : ticks.reduce((a, b) => a! + b!, 0);
    };
    const sum = (runs: WrkResult[]): string => `${Math.round(runs.reduce((n, r) => n + r.requestsPerSec, 0)).toLocaleString('en')} req/s (${runs.map((r) => Math.round(r.requestsPerSec).toLocaleString('en')).join(' + ')})`;
    for (const row of rows.filter((r) => HEAD_TO_HEAD.includes(r.key))) {
      log(`gateway bench head to head: ${row.label} with the tap-off gateways, ${settings.pairWarmupSeconds} s of joint warm-up`);
      // Half of it with each reference the windows will meet, the first window's last, so that neither
      // reference comes to a window idle (the control used to sit out the whole warm-up).
      const references = row === control ? [tapOff] : [referenceFor(row, 2), referenceFor(row, 1)];
      for (const reference of references) await loadGroup([row, reference], Math.max(1, Math.round(settings.pairWarmupSeconds / references.length)));
      await drained(row);
      for (let round = 1; round <= settings.pairRounds; round++) {
        const reference = referenceFor(row, round);
        log(`gateway bench head to head ${round}/${settings.pairRounds}: ${row.label} with ${reference.label}`);
        await loadGroup([row, reference], settings.warmupSeconds);
        const before = await Promise.all([groupTicks(row), groupTicks(reference)]);
        const { value: [result, off], busy } = await watchingProxyCpu(() => loadGroup([row, reference], settings.seconds));
        const after = await Promise.all([groupTicks(row), groupTicks(reference)]);
        const ticks = before.every((t) => t !== undefined) && after.every((t) => t !== undefined) ? { rowTicks: after[0]! - before[0]!, tapOffTicks: after[1]! - before[1]! } : {};
        (row.pairs ??= []).push({ row: result!, tapOff: off!, ...ticks, ...(busy !== undefined ? { proxyCpuBusy: busy } : {}) });
        const perRequest = (t: number | undefined, runs: WrkResult[]): string => (t === undefined ? '' : `, ${perRequestUs(t, runs.reduce((n, r) => n + r.requests, 0))}`);
        log(`  ${sum(result!)}${perRequest(ticks.rowTicks, result!)} | tap off ${sum(off!)}${perRequest(ticks.tapOffTicks, off!)}${busyText(busy)}`);
        await drained(row);
      }
    }
    for (const row of rows) if (row.loopServer) row.tap = await tapCounts(row, log);
    return {
      ran: true,
      settings,
      nginx: nginxName,
      loadAverage,
      pinned,
      rows: rows.map(({ key, label, runs, runBusy, pairs, match, tap }) => ({ key, label, runs, runBusy, ...(pairs ? { pairs } : {}), ...(match ? { match } : {}), ...(tap ? { tap } : {}) })),
    };
  } finally {
    for (const target of running.reverse()) await target.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
