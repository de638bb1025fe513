// BENCHMARKS.md's service-tap section from a `serviceTapBench` result.
import type { ServiceTapResult } from './service-tap-bench.js';
import { MIN_PROXY_BUSY, summarize } from './gateway-report.js';

const pct = (n: number): string => `${(n * 100).toFixed(0)}%`;
const fmt = (n: number): string => Math.round(n).toLocaleString('en');

export function renderServiceTapSection(result: ServiceTapResult): string[] {
  const lines = [
    '## Service tap',
    '',
    `Measured ${result.when.slice(0, 10)} on ${result.host}. Reproduce: \`npm run bench -- service-tap\` (about ${Math.ceil((result.rows.length * (result.settings.windows * (result.settings.seconds + 2) + result.settings.warmupSeconds * 3 + 20)) / 60)} minutes).`,
    '',
    'What tapping itself (`squash-loop/tap`) costs a Node service. The same node:http service (reads the 1 KiB request body, answers 1 KiB) runs bare and tapped on one CPU at the same moment, each under its own wrk; wrk and the tapped service\'s `loop serve` run on the other CPU. The figure is the tapped service\'s throughput relative to the bare one\'s at equal CPU: the bare one\'s CPU time per request over the tapped one\'s, per window. No target is set for these.',
    '',
    '| row | throughput vs bare (median) | range | windows | CPU µs/request bare → tapped (median) | CPU busy (median) | matched / shipped / dropped |',
    '|---|---|---|---|---|---|---|',
  ];
  const notes: string[] = [];
  for (const row of result.rows) {
    const ratio = summarize(row.windows.map((w) => w.ratio));
    const busy = summarize(row.windows.flatMap((w) => (w.busy === undefined ? [] : [w.busy])));
    const a = summarize(row.windows.map((w) => w.aUsPerRequest));
    const b = summarize(row.windows.map((w) => w.bUsPerRequest));
    if (!ratio) continue;
    lines.push(
      `| ${row.label} | **${pct(ratio.median)}** | ${pct(ratio.min)}–${pct(ratio.max)} | ${ratio.count} | ${a ? a.median.toFixed(0) : '?'} → ${b ? b.median.toFixed(0) : '?'} | ${busy ? pct(busy.median) : 'not read'} | ${fmt(row.tap.matched)} / ${fmt(row.tap.shipped)} / ${fmt(row.tap.dropped)} |`,
    );
    if (row.tap.dropped > 0) {
      const why = row.tap.queueFull === row.tap.dropped ? "the tap's queue was full" : `${fmt(row.tap.queueFull)} of them with the tap's queue full`;
      notes.push(
        `- ${row.label}: ${fmt(row.tap.dropped)} captures (${pct(row.tap.dropped / row.tap.matched)}) were dropped, ${why}: its loop server, on the load CPU beside both wrk processes, stored them more slowly than the service made them, and the tap drops and counts rather than hold the service up.`,
      );
    }
    if (busy && busy.median < MIN_PROXY_BUSY) notes.push(`- ${row.label}: the services' CPU was ${pct(busy.median)} busy, under ${pct(MIN_PROXY_BUSY)}: the load side set the pace, so the figure reads high.`);
  }
  lines.push('', `Match expressions: ${result.rows.map((r) => `\`${r.match}\``).join(', ')}.`);
  if (notes.length > 0) lines.push('', ...notes);
  return lines;
}
