// BENCHMARKS.md's squash section from a `squashBench` result.
import os from 'node:os';
import type { SquashBenchResult } from './squash-bench.js';

const ms = (n: number): string => (n < 100 ? n.toFixed(1) : n.toFixed(0));

export function renderSquashSection(result: SquashBenchResult, date = new Date()): string[] {
  const cpus = os.cpus();
  const lines = [
    '## Squash: command to debugger ready',
    '',
    `Run ${date.toISOString().slice(0, 10)} on ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
    `Per runtime, ${result.rounds} rounds, each on a freshly started sample service from \`examples/\`: *plank* is \`plank --pid PID\` timed from spawn to its ready line`,
    '(the endpoint an IDE can connect to, relayed on loopback); *attach alone* is the same debugger attached in-process through the library, without',
    `plank's process start-up. Plank's own start-up (\`plank --help\`): median ${ms(result.plankStartup.median)} ms. The target is judged on the median; the max is shown beside it.`,
    'gdb attaches when a debugger connects (the target runs until then): its times run on to the first answer gdbserver gives a connected client (`?`).',
    '',
    '| runtime | debugger | plank median (ms) | plank max (ms) | attach alone median (ms) | failed attaches | target | |',
    '|---|---|---:|---:|---:|---:|---|---|',
  ];
  for (const row of result.rows) {
    const target = row.targetMs === undefined ? '–' : `< ${row.targetMs / 1000} s`;
    const verdict = row.targetMs === undefined ? '' : row.plank.median < row.targetMs ? 'met' : '**missed**';
    lines.push(`| ${row.runtime} | ${row.debugger} | ${ms(row.plank.median)} | ${ms(row.plank.max)} | ${ms(row.attach.median)} | ${row.failures} of ${result.rounds * 2} | ${target} | ${verdict} |`);
  }
  for (const s of result.skipped) lines.push(`| ${s.runtime} | – | – | – | – | – | not run: ${s.reason} | |`);
  lines.push('');
  for (const row of result.rows.filter((r) => r.firstFailure !== undefined)) {
    lines.push(`${row.runtime}: ${row.failures} attach(es) failed; the first: ${row.firstFailure}`, '');
  }
  return lines;
}
