// `npm run bench -- service-tap`: what tapping itself costs a Node service (`squash-loop/tap`). The same
// node:http service runs twice on the proxy CPU, bare and tapped, each under its own wrk (POST, 1 KiB bodies
// both ways), head to head (head-to-head.ts); the tapped one follows its own `loop serve` on the load CPU.
// Rows: a TapConfig that matches nothing (decided at the response), and one that captures every exchange.
// The issue sets no target for these: they are reported for users deciding whether to tap a service.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LoopError } from '../core/errors.js';
import { spawnServer } from '../core/spawn-server.js';
import { envInt } from './bench-support.js';
import { pinTree, planCpus } from './cpu-pinning.js';
import { metricsText, metricValue, putTapConfig, startLoopServer, waitFor, type RunningTarget } from './gateway-targets.js';
import { headToHead, type HeadToHeadWindow } from './head-to-head.js';
import { findExecutable, postScript } from './wrk-load.js';

const DIST = path.resolve(import.meta.dirname, '..');

export interface ServiceTapSettings {
  windows: number;
  seconds: number;
  warmupSeconds: number;
}

export function serviceTapSettingsFromEnv(env: NodeJS.ProcessEnv): ServiceTapSettings {
  const int = (name: string, fallback: number): number => envInt(env, name, fallback);
  return { windows: int('LOOP_BENCH_PAIR_ROUNDS', 10), seconds: int('LOOP_BENCH_SECONDS', 5), warmupSeconds: int('LOOP_BENCH_WARMUP', 15) };
}

export interface ServiceTapRow {
  label: string;
  match: string;
  windows: HeadToHeadWindow[];
  /** What the tapped service's tap counted over the whole row. */
  /** `queueFull`: of `dropped`, those the tap's full queue turned away. */
  tap: { matched: number; shipped: number; dropped: number; queueFull: number };
}

export interface ServiceTapResult {
  when: string;
  host: string;
  settings: ServiceTapSettings;
  rows: ServiceTapRow[];
}

const ROWS = [
  { label: 'tap on, TapConfig matching nothing (decided at the response)', match: 'responseHeaders[":status"] == "599"' },
  { label: 'tap on, every exchange captured (1 KiB bodies)', match: 'true' },
];

async function startService(loopServer?: string): Promise<RunningTarget & { metrics(): Promise<string> }> {
  const server = await spawnServer([path.join(DIST, 'bench/tapped-service.js'), ...(loopServer ? ['--loop-server', loopServer] : [])], { name: 'tapped service' });
  return { url: server.url, pid: server.child.pid!, stop: () => server.stop().then(() => undefined), metrics: () => metricsText(server.url) };
}

export async function serviceTapBench(settings: ServiceTapSettings, log: (line: string) => void): Promise<ServiceTapResult> {
  const wrk = await findExecutable('wrk');
  if (!wrk) throw new LoopError('CONFIG_INVALID', 'the service-tap suite needs wrk (apt-get install -y wrk)');
  const cpus = await planCpus(process.env);
  if (!cpus) throw new LoopError('CONFIG_INVALID', 'the service-tap suite needs two CPUs and taskset, to keep the services apart from the load');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'service-tap-bench-'));
  const script = path.join(dir, 'post.lua');
  await writeFile(script, postScript(1024));
  const rows: ServiceTapRow[] = [];
  try {
    for (const spec of ROWS) {
      log(`service-tap: ${spec.label}`);
      const running: RunningTarget[] = [];
      try {
        const loop = await startLoopServer(await mkdtemp(path.join(dir, 'loop-')));
        running.push(loop);
        await pinTree(cpus.taskset, loop.pid, cpus.load);
        await putTapConfig(loop.url, 'service', spec.match);
        const bare = await startService();
        running.push(bare);
        const tapped = await startService(loop.url);
        running.push(tapped);
        for (const s of [bare, tapped]) await pinTree(cpus.taskset, s.pid, cpus.proxy);
        const settled = (): Promise<void> => waitFor(async () => metricValue(await tapped.metrics(), 'loop_tap_queue_depth') === 0, "the tapped service's queue to drain", 60_000);
        const windows = await headToHead({ name: 'bare', url: bare.url, pid: bare.pid }, { name: 'tapped', url: tapped.url, pid: tapped.pid, settled }, { wrk, script, cpus, windows: settings.windows, seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, log });
        const text = await tapped.metrics();
        const tap = { matched: metricValue(text, 'loop_tap_exchanges_total', { outcome: 'matched' }), shipped: metricValue(text, 'loop_tap_captures_shipped_total'), dropped: metricValue(text, 'loop_tap_captures_dropped_total'), queueFull: metricValue(text, 'loop_tap_captures_dropped_total', { reason: 'queue_full' }) };
        // A row whose tap saw nothing, or lost count of its captures, measured something else: say so, loudly.
        if (metricValue(text, 'loop_tap_exchanges_total') === 0) throw new LoopError('INTERNAL', `service-tap: the tapped service's tap counted no exchange in "${spec.label}"`);
        if (spec.match === 'true' && (tap.matched === 0 || tap.shipped + tap.dropped !== tap.matched)) {
          throw new LoopError('INTERNAL', `service-tap: "${spec.label}": matched ${tap.matched}, shipped ${tap.shipped}, dropped ${tap.dropped}`);
        }
        rows.push({ label: spec.label, match: spec.match, windows, tap });
      } finally {
        for (const t of running.reverse()) await t.stop().catch(() => {});
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { when: new Date().toISOString(), host: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`, settings, rows };
}
