import { describe, expect, it } from 'vitest';
import { composeBenchmarks, sectionOf } from './benchmarks-file.js';

const SUITES = [
  { name: 'core', heading: '## Loop core' },
  { name: 'gateway', heading: '## Gateway' },
];

describe('composeBenchmarks', () => {
  it('replaces the section of the suite that ran and keeps the other one', () => {
    const before = composeBenchmarks(['# B'], SUITES, new Map([['core', '## Loop core: ingest\n\nold core'], ['gateway', '## Gateway\n\nold gateway']]), undefined);
    const after = composeBenchmarks(['# B'], SUITES, new Map([['gateway', '## Gateway\n\nnew gateway']]), before);
    expect(after).toContain('old core');
    expect(after).toContain('new gateway');
    expect(after).not.toContain('old gateway');
    expect(sectionOf(after, SUITES[0]!)).toBe('## Loop core: ingest\n\nold core');
  });

  it('says how to produce a section never run', () => {
    expect(composeBenchmarks(['# B'], SUITES, new Map([['core', '## Loop core\n\nc']]), undefined)).toContain('Not run yet: `npm run bench -- gateway`.');
  });

  it('finds a suite in a file written before the markers, by its headings', () => {
    const legacy = '# Benchmarks\n\nReproduce: x\n\n## Loop core: ingest\n\nA\n\n## Loop core: first filtered page\n\nB\n';
    const text = composeBenchmarks(['# B'], SUITES, new Map([['gateway', '## Gateway\n\nG']]), legacy);
    expect(sectionOf(text, SUITES[0]!)).toBe('## Loop core: ingest\n\nA\n\n## Loop core: first filtered page\n\nB');
    expect(text).not.toContain('Reproduce: x');
  });
});
