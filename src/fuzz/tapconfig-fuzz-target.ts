// Fuzz target: the TapConfig loader (YAML → objects → schema checks → match parse). Inputs are TapConfig
// documents generated key by key with near-misses (wrong apiVersion/kind, bad names, odd YAML types and
// tags, anchors and aliases, duplicate keys, several documents), deep nesting in flow and block style, and
// mutations of the tutorial's tap.yaml. Property: every config the loader returns validates again as itself.
import { isDeepStrictEqual } from 'node:util';
import { loadTapConfigs, validateTapConfig } from '../tapconfig/tapconfig-loader.js';
import type { Gen } from './fuzz-random.js';
import { FuzzPropertyError, showInput, type FuzzTarget } from './fuzz-target.js';
import { generateMatchExpression } from './match-fuzz-target.js';
import { mutateText } from './mutate.js';
import { tutorialTapConfig } from './fuzz-seeds.js';

const SCALARS = [
  'null', '~', 'true', 'no', 'yes', '0', '-1', '1.5', '.nan', '.inf', '0x10', '0o7', '1e3', '2026-01-01', '2026-01-01T00:00:00Z',
  '""', "''", '"a\\u0000b"', '!!binary aGVsbG8=', '!!str 5', '!!int "7"', '!!float x', '!!timestamp bad', '!custom x', '*nope', '&a x',
  '|\n    block', '>-\n    folded', '[]', '{}', '[a, b]', '{a: 1}', '? complex\n  : key',
];
const DICTIONARY = ['\n', '---\n', '...\n', ': ', '- ', '#', '&a ', '*a', '!!str ', '[', ']', '{', '}', '"', "'", '\t', '  ', '<<: *a\n', '%YAML 1.2\n', '\ufeff'];

function scalar(gen: Gen): string {
  return gen.pick(SCALARS);
}

function quoted(gen: Gen, text: string): string {
  return gen.weighted([[6, JSON.stringify(text)], [2, `'${text.replace(/'/g, "''")}'`], [1, text]]);
}

function document(gen: Gen): string {
  const lines: string[] = [];
  if (gen.chance(0.9)) lines.push(`apiVersion: ${gen.weighted([[10, 'loop.solo.io/v1'], [1, 'loop.solo.io/v2'], [1, scalar(gen)]])}`);
  if (gen.chance(0.9)) lines.push(`kind: ${gen.weighted([[10, 'TapConfig'], [1, 'tapconfig'], [1, scalar(gen)]])}`);
  if (gen.chance(0.9)) {
    lines.push(gen.chance(0.05) ? `metadata: ${scalar(gen)}` : 'metadata:');
    const nm = gen.weighted<() => string>([[10, () => gen.pick(['gloo', 'errors', 'a.b', 'x-1'])], [1, () => gen.pick(['Gloo', '-a', 'a_b', 'a'.repeat(254), ''])], [1, () => scalar(gen)]])();
    if (gen.chance(0.95)) lines.push(`  name: ${nm}`);
    if (gen.chance(0.6)) lines.push(`  namespace: ${gen.weighted([[10, gen.pick(['default', 'gloo-system'])], [1, gen.pick(['a.b', 'A', 'x'.repeat(64)])], [1, scalar(gen)]])}`);
    if (gen.chance(0.1)) lines.push('  labels: {app: x}');
  }
  if (gen.chance(0.9)) {
    lines.push(gen.chance(0.05) ? `spec: ${scalar(gen)}` : 'spec:');
    if (gen.chance(0.95)) lines.push(`  match: ${gen.chance(0.1) ? scalar(gen) : quoted(gen, generateMatchExpression(gen))}`);
    if (gen.chance(0.3)) lines.push(`  maxBodyBytes: ${gen.pick(['0', '1024', '67108864', '67108865', '-1', '1.5', '1e3', '"10"', '9007199254740993'])}`);
    if (gen.chance(0.3)) lines.push(`  sampling: ${gen.pick(['0', '0.5', '1', '1.1', '.nan', '.inf', '"0.5"', '1e-300'])}`);
    if (gen.chance(0.3)) {
      lines.push('  redact:');
      if (gen.chance(0.8)) lines.push(`    headers: ${gen.pick(['[x-api-key]', '[""]', '["a b"]', '[1]', 'x', '[]', '[":status"]'])}`);
      if (gen.chance(0.8)) lines.push(`    jsonFields: ${gen.pick(['[user.password]', '["a..b"]', '[".a"]', '[items.*.card]', '[" "]', '{}'])}`);
    }
    if (gen.chance(0.05)) lines.push(`  mtach: ${scalar(gen)}`);
  }
  if (gen.chance(0.05)) lines.push(`status: ${scalar(gen)}`, `extra: ${scalar(gen)}`);
  if (gen.chance(0.05)) lines.push(`kind: TapConfig`); // a duplicate key
  return (gen.chance(0.1) ? lines.reverse() : lines).join('\n');
}

function deep(gen: Gen): string {
  const n = gen.pick([50, 64, 65, 300, 1000, 100_000]);
  const kind = gen.int(4);
  const head = 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: a}\nspec:\n  match: "true"\n  redact: ';
  if (kind === 0) return head + '['.repeat(n) + ']'.repeat(n);
  if (kind === 1) return head + '{a: '.repeat(n) + '1' + '}'.repeat(n);
  if (kind === 2) return head + '\n' + Array.from({ length: Math.min(n, 1500) }, (_, i) => `${' '.repeat(i + 4)}a:`).join('\n');
  // An alias bomb: every level doubles the size of the expanded value.
  const levels = Math.min(n, 40);
  const anchors = Array.from({ length: levels }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`).join('\n');
  return `a0: &a0 x\n${anchors}\n` + head + `*a${levels}`;
}

export function generateTapConfigYaml(gen: Gen): string {
  return gen.weighted<() => string>([
    [10, () => Array.from({ length: 1 + gen.size(3) }, () => document(gen)).join(gen.pick(['\n---\n', '\n---\n\n---\n', '\n...\n---\n']))],
    [6, () => mutateText(gen, tutorialTapConfig(), DICTIONARY)],
    [3, () => mutateText(gen, document(gen), DICTIONARY)],
    [1, () => deep(gen)],
    [1, () => JSON.stringify({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { name: 'j' }, spec: { match: generateMatchExpression(gen) } })],
  ])();
}

export const tapConfigFuzzTarget: FuzzTarget<string> = {
  name: 'tapconfig',
  generate: generateTapConfigYaml,
  run(text) {
    for (const config of loadTapConfigs(text, 'fuzz.yaml')) {
      const again = validateTapConfig(JSON.parse(JSON.stringify(config)), 'fuzz');
      if (!isDeepStrictEqual(again, config)) {
        throw new FuzzPropertyError(`a loaded TapConfig does not validate as itself:\n${JSON.stringify(config)}\n${JSON.stringify(again)}`);
      }
    }
  },
  show: (text) => showInput(text),
  size: (text) => text.length,
};
