import { describe, expect, it } from 'vitest';
import { compileRe2, findRe2Incompatibility, isRe2Problem, type Re2 } from './regex-check.js';

describe('compileRe2', () => {
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
    ['(?P<id>[0-9]+)', '42', true],
    ['x(?i)abc', 'xABC', true],
    ['\\x{e9}+', 'éé', true],
    ['.', '😀', true],
  ];
  it.each(cases)('%s against %j is %s', (pattern, value, matches) => {
    const re = compileRe2(pattern);
    expect(isRe2Problem(re)).toBe(false);
    expect((re as Re2).matches(value)).toBe(matches);
  });

  it.each([
    ['a(b', /not an RE2 regular expression: missing closing \)/],
    ['a{1001}', /invalid repeat count/],
    ['(a)\\1', /backreference "\\1" is not supported by RE2/],
  ])('%s is refused: %s', (pattern, reason) => {
    const re = compileRe2(pattern);
    expect(isRe2Problem(re) && re.reason).toMatch(reason);
  });

  // Exponential in JavaScript's backtracking engine (minutes for these lengths); linear in RE2's.
  it.each([
    ['/(a+)+', `/${'a'.repeat(100_000)}!`],
    ['(a|aa)*c', 'a'.repeat(100_000)],
    ['.*a.*a.*b', 'a'.repeat(100_000)],
  ])('%s against a long value that does not match it is false', (pattern, value) => {
    expect((compileRe2(pattern) as Re2).matches(value)).toBe(false);
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
    ['(?P<n>a)', undefined],
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
