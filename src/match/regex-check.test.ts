import { describe, expect, it } from 'vitest';
import { compileFullMatchRegex, findRe2Incompatibility } from './regex-check.js';

describe('compileFullMatchRegex', () => {
  const cases: Array<[pattern: string, value: string, matches: boolean]> = [
    ['abc', 'abc', true],
    ['abc', 'xabc', false],
    ['a|ab', 'ab', true],
    ['[0-9]{3}', '1234', false],
    ['(?i)abc', 'ABC', true],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false],
    ['[(?=]x', '(x', true],
    ['\\d+', '123', true],
  ];
  it.each(cases)('%s against %j is %s', (pattern, value, matches) => {
    const re = compileFullMatchRegex(pattern);
    expect(re).toBeInstanceOf(RegExp);
    expect((re as RegExp).test(value)).toBe(matches);
  });
});

describe('findRe2Incompatibility', () => {
  const cases: Array<[string, RegExp | undefined]> = [
    ['(a)\\1', /backreference/],
    ['(a)\\k<n>', /named backreference/],
    ['a(?=b)', /lookahead/],
    ['a(?!b)', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['(?<n>a)', /named groups/],
    ['(?P<n>a)', /cannot run in JavaScript/],
    ['\\u0041', /\\u/],
    ['\\\\1', undefined],
    ['[(?=]', undefined],
    ['(?:a)|b', undefined],
  ];
  it.each(cases)('%s', (pattern, expected) => {
    const found = findRe2Incompatibility(pattern);
    if (expected === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(expected);
  });
});
