// The squash suite: command-to-debugger-ready per runtime. For each runtime, a fresh sample service is
// started per round and `plank --pid PID` is timed from spawn to its ready line (the moment an IDE can
// connect). In the same run, two baselines: plank's own start-up (`plank --help`: Node plus our modules)
// and the debugger attach alone, called in-process through the library — so the table shows where the
// time goes. Targets (issue #4): under 1 s for node and gdb, under 3 s for dlv and debugpy.
// gdb attaches when a client connects (the target runs until then), so its rows time up to the first
// answer gdbserver gives a connected client (`?`, the stop reason): what an IDE waits for.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createDebuggerRegistry } from '../squash/debuggers/index.js';
import { buildSamples, startSample, type BuiltSamples, type RunningSample } from '../squash/samples/sample-targets.js';
import { connectGdbRemote } from '../squash/debuggers/gdb-remote-client.js';
import type { DebugEndpoint, DebuggerName, Runtime } from '../squash/squash-types.js';
import { nowMs, summarizeTimes, type Timing } from './bench-support.js';

const PLANK = path.resolve(import.meta.dirname, '../cli/plank/main.js');

interface RuntimeCase {
  runtime: Runtime;
  debugger: DebuggerName;
  /** Command-to-ready target in ms (undefined: no target set by the issue). */
  targetMs?: number;
}

const CASES: RuntimeCase[] = [
  { runtime: 'node', debugger: 'nodejs', targetMs: 1000 },
  { runtime: 'c', debugger: 'gdb', targetMs: 1000 },
  { runtime: 'go', debugger: 'dlv', targetMs: 3000 },
  { runtime: 'python', debugger: 'python', targetMs: 3000 },
  { runtime: 'java', debugger: 'java' },
];

export interface SquashRow {
  runtime: Runtime;
  debugger: DebuggerName;
  targetMs?: number;
  plank: Timing;
  attach: Timing;
  /** Rounds whose attach failed (timed out or errored), with the first error; not in the timings. */
  failures: number;
  firstFailure?: string;
}

export interface SquashBenchResult {
  rounds: number;
  plankStartup: Timing;
  rows: SquashRow[];
  skipped: { runtime: Runtime; reason: string }[];
}

export interface SquashBenchSettings {
  rounds: number;
}

export function squashSettingsFromEnv(env: NodeJS.ProcessEnv): SquashBenchSettings {
  const rounds = Number(env.LOOP_BENCH_ROUNDS ?? 5);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`LOOP_BENCH_ROUNDS must be a positive integer, got "${env.LOOP_BENCH_ROUNDS}"`);
  return { rounds };
}

interface PlankRun {
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * For gdb, the attach itself happens when a client connects: connects, asks for the stop reason, and
 * detaches again (`D`, which lets the target run on). Other debuggers are attached at ready.
 */
async function firstAnswer(endpoint: DebugEndpoint): Promise<void> {
  if (endpoint.debugger !== 'gdb') return;
  const client = await connectGdbRemote(endpoint.host, endpoint.port);
  try {
    await client.request('?', 10_000);
    await client.request('D', 10_000);
  } finally {
    client.close();
  }
}

/** Spawns plank for `pid` and resolves at its ready line (rejects with its error line or exit). */
async function timePlank(pid: number, debuggerName: DebuggerName): Promise<PlankRun> {
  const started = nowMs();
  const child = spawn(process.execPath, [PLANK, '--pid', String(pid), '--debugger', debuggerName], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    void exited.then(([code]) => reject(new Error(`plank exited (${String(code)}) before ready: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)));
  });
  const event = JSON.parse(line) as { event: string; endpoint?: DebugEndpoint; error?: { message: string } };
  if (event.event !== 'ready' || !event.endpoint) {
    child.kill('SIGKILL');
    throw new Error(`plank: ${event.error?.message ?? line}`);
  }
  await firstAnswer(event.endpoint);
  const readyMs = nowMs() - started;
  return {
    readyMs,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function timeCommand(args: string[]): Promise<number> {
  const started = nowMs();
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${String(code)}`);
  return nowMs() - started;
}

async function withSample<T>(c: RuntimeCase, built: BuiltSamples, fn: (sample: RunningSample) => Promise<T>): Promise<T> {
  const sample = await startSample(c.runtime, built, c.runtime === 'java' ? { jdwpAddress: '127.0.0.1:0' } : {});
  try {
    return await fn(sample);
  } finally {
    await sample.stop();
  }
}

export async function squashBench(settings: SquashBenchSettings, log: (s: string) => void): Promise<SquashBenchResult> {
  const registry = createDebuggerRegistry();
  const plankStartup: number[] = [];
  for (let i = 0; i < settings.rounds; i++) plankStartup.push(await timeCommand([PLANK, '--help']));
  log(`plank --help: ${summarizeTimes(plankStartup).median.toFixed(0)} ms`);

  const built = await buildSamples();
  const rows: SquashRow[] = [];
  const skipped: SquashBenchResult['skipped'] = [];
  try {
    for (const c of CASES) {
      const available = await registry.byName(c.debugger).available();
      if (!available.ok) {
        skipped.push({ runtime: c.runtime, reason: `${available.reason} (apt-get install ${available.package})` });
        continue;
      }
      const plankTimes: number[] = [];
      const attachTimes: number[] = [];
      let failures = 0;
      let firstFailure: string | undefined;
      // A failed attach is counted and reported, not hidden and not fatal to the other runtimes' rows.
      const measure = async (what: () => Promise<void>): Promise<void> => {
        try {
          await what();
        } catch (err) {
          failures++;
          firstFailure ??= err instanceof Error ? err.message : String(err);
          log(`${c.runtime}/${c.debugger}: attach failed: ${firstFailure}`);
        }
      };
      for (let i = 0; i < settings.rounds; i++) {
        // A fresh target for every measurement: the first attach to a process is what a user waits for.
        await measure(() =>
          withSample(c, built, async (sample) => {
            const run = await timePlank(sample.pid, c.debugger);
            plankTimes.push(run.readyMs);
            await run.stop();
          }),
        );
        await measure(() =>
          withSample(c, built, async (sample) => {
            const started = nowMs();
            const session = await registry.byName(c.debugger).attach(sample.pid);
            await firstAnswer(session.endpoint);
            attachTimes.push(nowMs() - started);
            await session.detach();
          }),
        );
      }
      if (plankTimes.length === 0 || attachTimes.length === 0) {
        skipped.push({ runtime: c.runtime, reason: `every attach failed: ${firstFailure ?? 'unknown'}` });
        continue;
      }
      const row: SquashRow = { runtime: c.runtime, debugger: c.debugger, plank: summarizeTimes(plankTimes), attach: summarizeTimes(attachTimes), failures };
      if (firstFailure !== undefined) row.firstFailure = firstFailure;
      if (c.targetMs !== undefined) row.targetMs = c.targetMs;
      rows.push(row);
      log(`${c.runtime}/${c.debugger}: plank ready median ${row.plank.median.toFixed(0)} ms, attach alone ${row.attach.median.toFixed(0)} ms`);
    }
  } finally {
    await built.remove();
  }
  return { rounds: settings.rounds, plankStartup: summarizeTimes(plankStartup), rows, skipped };
}
