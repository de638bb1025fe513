// The service-tap section as BENCHMARKS.md shows it: medians and ranges per row, and a warning when the
// services' CPU was not busy enough for the figure to mean what it says.
import { describe, expect, it } from 'vitest';
import type { ServiceTapResult } from './service-tap-bench.js';
import { renderServiceTapSection } from './service-tap-report.js';

const window = (ratio: number, busy: number, a: number, b: number) => ({ ratio, busy, aUsPerRequest: a, bUsPerRequest: b });

const result: ServiceTapResult = {
  when: '2026-11-27T19:40:00.000Z',
  host: '2 × AMD EPYC, Node v20.20.2',
  settings: { windows: 3, seconds: 5, warmupSeconds: 15 },
  rows: [
    { label: 'tap on, matching nothing', match: 'responseHeaders[":status"] == "599"', windows: [window(0.95, 0.97, 60, 63), window(0.97, 0.96, 61, 63), window(0.99, 0.98, 60, 61)], tap: { matched: 0, shipped: 0, dropped: 0, queueFull: 0 } },
    { label: 'tap on, every exchange captured', match: 'true', windows: [window(0.7, 0.8, 60, 86), window(0.72, 0.85, 61, 85), window(0.75, 0.82, 60, 80)], tap: { matched: 120000, shipped: 114000, dropped: 6000, queueFull: 6000 } },
  ],
};

describe('renderServiceTapSection', () => {
  it('gives each row its median, range, CPU per request and what the tap did', () => {
    const text = renderServiceTapSection(result).join('\n');
    expect(text).toContain('Measured 2026-11-27 on 2 × AMD EPYC, Node v20.20.2. Reproduce: `npm run bench -- service-tap`');
    expect(text).toContain('| tap on, matching nothing | **97%** | 95%–99% | 3 | 60 → 63 | 97% | 0 / 0 / 0 |');
    expect(text).toContain('| tap on, every exchange captured | **72%** | 70%–75% | 3 | 60 → 85 | 82% | 120,000 / 114,000 / 6,000 |');
    expect(text).toContain('Match expressions: `responseHeaders[":status"] == "599"`, `true`.');
  });

  it('says when a row was measured with the services under 90% busy', () => {
    const text = renderServiceTapSection(result).join('\n');
    expect(text).toContain('- tap on, every exchange captured: the services\' CPU was 82% busy, under 90%: the load side set the pace, so the figure reads high.');
    expect(text).not.toContain('- tap on, matching nothing:');
  });

  it('says how many captures were dropped, and why', () => {
    const text = renderServiceTapSection(result).join('\n');
    expect(text).toContain("- tap on, every exchange captured: 6,000 captures (5%) were dropped, the tap's queue was full: its loop server,");
    expect(text.match(/were dropped/g)).toHaveLength(1);
  });
});
