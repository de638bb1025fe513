import { describe, expect, it } from 'vitest';
import type { SquashBenchResult } from './squash-bench.js';
import { renderSquashSection } from './squash-report.js';

const t = (median: number, max = median): { min: number; median: number; p99: number; max: number } => ({ min: median, median, p99: max, max });

describe('renderSquashSection', () => {
  const result: SquashBenchResult = {
    rounds: 3,
    plankStartup: t(120),
    rows: [
      { runtime: 'node', debugger: 'nodejs', targetMs: 1000, plank: t(450, 900), attach: t(300), failures: 0 },
      { runtime: 'go', debugger: 'dlv', targetMs: 3000, plank: t(3200, 4000), attach: t(2900), failures: 1, firstFailure: 'dlv: timed out' },
      { runtime: 'java', debugger: 'java', plank: t(200), attach: t(80), failures: 0 },
    ],
    skipped: [{ runtime: 'python', reason: 'python3 debugpy not found (apt-get install python3-debugpy)' }],
  };
  const text = renderSquashSection(result, new Date('2026-11-26T10:00:00Z')).join('\n');

  it('judges each runtime against its own target, on the median', () => {
    expect(text).toMatch(/\| node \| nodejs \| 450 \| 900 \| 300 \| 0 of 6 \| < 1 s \| met \|/);
    expect(text).toMatch(/\| go \| dlv \| 3200 \| 4000 \| 2900 \| 1 of 6 \| < 3 s \| \*\*missed\*\* \|/);
    expect(text).toMatch(/\| java \| java \| 200 \| 200 \| 80.0 \| 0 of 6 \| – \| +\|/);
  });

  it('counts failed attaches and shows the first error', () => {
    expect(text).toContain('go: 1 attach(es) failed; the first: dlv: timed out');
  });

  it('says which runtimes did not run and why', () => {
    expect(text).toContain('not run: python3 debugpy not found (apt-get install python3-debugpy)');
  });

  it('names the date, the rounds and plank start-up', () => {
    expect(text).toContain('Run 2026-11-26');
    expect(text).toContain('3 rounds');
    expect(text).toContain('median 120 ms');
  });
});
