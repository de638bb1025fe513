import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLoopError } from '../core/errors.js';
import { loadTapConfigs } from './tapconfig-loader.js';
import { MAX_YAML_NESTING, yamlNestingOverflow } from './yaml-nesting.js';

const HEAD = 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: a}\nspec:\n  match: "true"\n  redact: ';
const block = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n');

describe('yamlNestingOverflow', () => {
  it.each([
    ['the tutorial TapConfig', readFileSync(new URL('../../examples/tutorial/gloo-loop/tap.yaml', import.meta.url), 'utf8'), -1],
    ['brackets inside quoted and plain scalars', 'a: "[[[[[[[["\nb: \'{{{{{\'\nc: x[[[[[[[[\nd: |\n  [[[[[[[[[\n', -1],
    // A block mapping counts 2 (a sequence may share its indentation), so "a: " plus 62 flow levels is 64.
    ['64 levels', `a: ${'['.repeat(62)}${']'.repeat(62)}`, -1],
    ['65 levels: at the 63rd "["', `a: ${'['.repeat(63)}${']'.repeat(63)}`, 3 + 62],
    ['flow maps: at the 63rd "{"', `${'{a: '.repeat(100)}1${'}'.repeat(100)}`, 4 * 62],
    ['indented block mappings: at the 33rd line', block(200), block(32).length + 1 + 32],
    ['compact sequences: at the 63rd "-"', `${'- '.repeat(100)}x`, 2 * 62],
  ])('%s', (_name, text, want) => {
    expect(yamlNestingOverflow(text)).toBe(want);
  });
});

describe('loadTapConfigs on deeply nested YAML', () => {
  it.each([
    ['100,000 nested flow sequences', HEAD + '['.repeat(100_000) + ']'.repeat(100_000)],
    ['100,000 nested flow mappings', HEAD + '{a: '.repeat(100_000) + '1' + '}'.repeat(100_000)],
    ['1,000 indented block mappings', `${HEAD}\n${block(1000).replace(/^/gm, '    ')}`],
  ])('refuses %s quickly with TAPCONFIG_INVALID naming the limit', (_name, text) => {
    const t0 = performance.now();
    let err: unknown;
    try {
      loadTapConfigs(text, 'deep.yaml');
    } catch (e) {
      err = e;
    }
    expect(performance.now() - t0).toBeLessThan(100);
    expect(isLoopError(err, 'TAPCONFIG_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^deep.yaml: \\d+:\\d+: YAML nests deeper than ${MAX_YAML_NESTING} levels`));
  });

  it('still loads a TapConfig nested as deep as real ones are', () => {
    expect(loadTapConfigs(`${HEAD}{headers: [x-a], jsonFields: [a.b]}`)).toHaveLength(1);
  });
});
