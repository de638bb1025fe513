// `npm run fuzz`: every target (or --target) over --count seeded inputs, progress on stderr, a summary per
// target, exit 1 on any finding. `--index N` re-runs the single input N of --seed and prints it.
//
//   node --expose-gc dist/fuzz/run.js [--target match,proto] [--seed 42] [--count 100000] [--index N] [--slow-ms 100]
import { parseArgs } from 'node:util';
import { Gen, inputSeed } from './fuzz-random.js';
import { FUZZ_TARGETS } from './fuzz-targets.js';
import { mib, runFuzz, type FuzzSummary } from './run-fuzz.js';

const HELP = `usage: npm run fuzz -- [options]   (node --expose-gc dist/fuzz/run.js [options])
  --target NAMES   comma-separated targets (default: all of ${FUZZ_TARGETS.map((t) => t.name).join(', ')})
  --seed N         seed of the run (default: random, printed)
  --count N        inputs per target (default 100000)
  --index N        re-run the single input N of --seed and print it
  --slow-ms MS     report inputs slower than this (default 100)
Exit status 1 on any finding.`;

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', default: false },
      target: { type: 'string' },
      seed: { type: 'string' },
      count: { type: 'string', default: '100000' },
      index: { type: 'string' },
      'slow-ms': { type: 'string', default: '100' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const names = values.target ? values.target.split(',') : FUZZ_TARGETS.map((t) => t.name);
  const targets = names.map((n) => FUZZ_TARGETS.find((t) => t.name === n));
  const unknown = names.filter((_, i) => !targets[i]);
  if (unknown.length > 0) {
    process.stderr.write(`unknown target ${unknown.join(', ')}; expected ${FUZZ_TARGETS.map((t) => t.name).join(', ')}\n`);
    return 2;
  }
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const count = Number(values.count);
  const slowMs = Number(values['slow-ms']);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(count) || count < 1 || !(slowMs > 0)) {
    process.stderr.write('--seed and --count take integers, --slow-ms a positive number\n');
    return 2;
  }
  if (values.index !== undefined) {
    const index = Number(values.index);
    for (const t of targets) {
      process.stdout.write(`${t!.name} seed ${seed} index ${index}: ${t!.show(t!.generate(new Gen(inputSeed(seed, index))))}\n`);
    }
  }
  const start = values.index === undefined ? 0 : Number(values.index);
  const n = values.index === undefined ? count : 1;
  process.stderr.write(`fuzzing ${names.join(', ')}: seed ${seed}, ${n} input(s) each from index ${start}\n`);
  const summaries: FuzzSummary[] = [];
  for (const target of targets) {
    const summary = runFuzz(target!, {
      seed,
      count: n,
      start,
      slowMs,
      onProgress: (done, s) =>
        process.stderr.write(`  ${target!.name}: ${done}/${n} inputs, ${s.findings.length} finding(s), ${(s.elapsedMs / 1000).toFixed(1)} s, heap ${mib(s.heapUsedBytes)}\n`),
    });
    summaries.push(summary);
    printSummary(summary);
  }
  const findings = summaries.flatMap((s) => s.findings);
  for (const f of findings) {
    process.stdout.write(`\nFINDING ${f.kind} in ${f.target} (seed ${f.seed}, index ${f.index}): ${f.message}\n  input: ${f.input}\n  reproduce: ${f.reproduce}\n`);
    if (f.stack) process.stdout.write(`  ${f.stack.split('\n').slice(0, 8).join('\n  ')}\n`);
  }
  process.stdout.write(`\n${findings.length === 0 ? 'no findings' : `${findings.length} finding(s)`} (seed ${seed})\n`);
  return findings.length === 0 ? 0 : 1;
}

function printSummary(s: FuzzSummary): void {
  const codes = Object.entries(s.errorCodes)
    .map(([code, k]) => `${code} ×${k}`)
    .join(', ');
  process.stdout.write(
    `${s.target}: ${s.inputs} inputs in ${(s.elapsedMs / 1000).toFixed(1)} s, ${s.accepted} accepted, errors: ${codes || 'none'}; ` +
      `slowest ${s.slowestMs.toFixed(1)} ms (index ${s.slowestIndex}); heap after ${mib(s.heapUsedBytes)}; findings ${s.findings.length}\n`,
  );
}

process.exitCode = main(process.argv.slice(2));
