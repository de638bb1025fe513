// Runs a fuzz target over `count` seeded inputs and reports findings: crashes (anything thrown that is not
// a LoopError), broken properties, inputs slower than the time budget (re-run twice to rule out GC pauses)
// and heap growth over a bound. Input i is generated from inputSeed(seed, i), so one finding is re-run alone
// with `node dist/fuzz/run.js --target <name> --seed <seed> --index <i>`.
import { LoopError } from '../core/errors.js';
import { Gen, inputSeed } from './fuzz-random.js';
import { FuzzPropertyError, type FuzzTarget } from './fuzz-target.js';

export type FindingKind = 'crash' | 'property' | 'slow' | 'memory';

export interface FuzzFinding {
  target: string;
  kind: FindingKind;
  seed: number;
  index: number;
  /** What went wrong: the error's name and message, the time taken, or the heap size. */
  message: string;
  stack?: string;
  /** The input, printable (see showInput). */
  input: string;
  /** The command that regenerates and re-runs this input alone. */
  reproduce: string;
}

export interface FuzzOptions {
  seed: number;
  count: number;
  /** First index to run (default 0); with count 1, re-runs a single input. */
  start?: number;
  /** An input slower than this (plus its size / bytesPerMs) in three runs is a finding; default 100 ms. */
  slowMs?: number;
  /**
   * Time allowed per unit of input size on top of slowMs; default 2,000 (2 MB/s, half of JSON.parse's rate on
   * bracket-only text), so an 800 KB input gets 500 ms: linear work on a big input is not a hang,
   * superlinear work on a small one is.
   */
  bytesPerMs?: number;
  /** Heap used after the run (after a GC when --expose-gc) above this is a finding; default 512 MiB. */
  maxHeapBytes?: number;
  /** Called every `progressEvery` inputs (default 10,000). */
  onProgress?: (done: number, summary: FuzzSummary) => void;
  progressEvery?: number;
  /** Stop after this many findings (default 20): one bug tends to repeat. */
  maxFindings?: number;
}

export interface FuzzSummary {
  target: string;
  seed: number;
  inputs: number;
  /** Inputs the code accepted without an error. */
  accepted: number;
  /** LoopError codes seen and how often. */
  errorCodes: Record<string, number>;
  /** CPU milliseconds of the slowest input (best of three runs when it was over budget). */
  slowestMs: number;
  slowestIndex: number;
  heapUsedBytes: number;
  elapsedMs: number;
  findings: FuzzFinding[];
}

const gc = (globalThis as { gc?: () => void }).gc;

export function runFuzz<T>(target: FuzzTarget<T>, options: FuzzOptions): FuzzSummary {
  const { seed, count } = options;
  const start = options.start ?? 0;
  const slowMs = options.slowMs ?? 100;
  const bytesPerMs = options.bytesPerMs ?? 2_000;
  const maxFindings = options.maxFindings ?? 20;
  const every = options.progressEvery ?? 10_000;
  const summary: FuzzSummary = {
    target: target.name,
    seed,
    inputs: 0,
    accepted: 0,
    errorCodes: {},
    slowestMs: 0,
    slowestIndex: -1,
    heapUsedBytes: 0,
    elapsedMs: 0,
    findings: [],
  };
  const began = performance.now();
  const reproduce = (index: number) => `node dist/fuzz/run.js --target ${target.name} --seed ${seed} --index ${index}`;
  const find = (index: number, input: T, kind: FindingKind, message: string, stack?: string) => {
    summary.findings.push({
      target: target.name,
      kind,
      seed,
      index,
      message,
      ...(stack === undefined ? {} : { stack }),
      input: target.show(input),
      reproduce: reproduce(index),
    });
  };
  for (let index = start; index < start + count && summary.findings.length < maxFindings; index++) {
    const input = target.generate(new Gen(inputSeed(seed, index)));
    const budget = slowMs + target.size(input) / bytesPerMs;
    const ms = once(target, input);
    // A GC pause or a cold JIT, or really slow? The fastest of two more runs decides.
    for (let again = 0; again < 2 && ms.ms > budget; again++) ms.ms = Math.min(ms.ms, once(target, input).ms);
    summary.inputs++;
    const { outcome } = ms;
    if (outcome.kind === 'ok') summary.accepted++;
    else if (outcome.kind === 'loop') summary.errorCodes[outcome.code] = (summary.errorCodes[outcome.code] ?? 0) + 1;
    else if (outcome.kind === 'property') find(index, input, 'property', outcome.message);
    else find(index, input, 'crash', outcome.message, outcome.stack);
    if (ms.ms > summary.slowestMs) {
      summary.slowestMs = ms.ms;
      summary.slowestIndex = index;
    }
    if (ms.ms > budget) find(index, input, 'slow', `took ${ms.ms.toFixed(1)} ms at best of three runs (budget ${budget.toFixed(0)} ms)`);
    if (options.onProgress && summary.inputs % every === 0) {
      summary.elapsedMs = performance.now() - began;
      summary.heapUsedBytes = process.memoryUsage().heapUsed;
      options.onProgress(summary.inputs, summary);
    }
  }
  gc?.();
  summary.heapUsedBytes = process.memoryUsage().heapUsed;
  summary.elapsedMs = performance.now() - began;
  const maxHeap = options.maxHeapBytes ?? 512 * 1024 * 1024;
  if (summary.heapUsedBytes > maxHeap) {
    summary.findings.push({
      target: target.name,
      kind: 'memory',
      seed,
      index: -1,
      message: `heap used after the run is ${mib(summary.heapUsedBytes)}, over the bound of ${mib(maxHeap)}`,
      input: '',
      reproduce: `node --expose-gc dist/fuzz/run.js --target ${target.name} --seed ${seed} --count ${count}`,
    });
  }
  return summary;
}

type Outcome =
  | { kind: 'ok' }
  | { kind: 'loop'; code: string }
  | { kind: 'property'; message: string }
  | { kind: 'crash'; message: string; stack: string | undefined };

/**
 * Runs one input and measures the CPU time this process spent on it, not wall time: on shared cores other
 * processes' load would otherwise show up as slow inputs. Everything a target runs is synchronous.
 */
function once<T>(target: FuzzTarget<T>, input: T): { outcome: Outcome; ms: number } {
  const t0 = process.cpuUsage();
  let outcome: Outcome;
  try {
    target.run(input);
    outcome = { kind: 'ok' };
  } catch (err) {
    if (err instanceof LoopError) outcome = { kind: 'loop', code: err.code };
    else if (err instanceof FuzzPropertyError) outcome = { kind: 'property', message: err.message };
    else {
      const e = err instanceof Error ? err : new Error(String(err));
      outcome = { kind: 'crash', message: `${e.name}: ${e.message}`, stack: e.stack };
    }
  }
  const used = process.cpuUsage(t0);
  return { outcome, ms: (used.user + used.system) / 1000 };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
