import { describe, expect, it } from 'vitest';
import { compileRe2, type Re2 } from '../match/regex-check.js';
import { compileRedactPattern, redactPatternProblem, replaceMatches } from './redact-pattern.js';

describe('redactPatternProblem', () => {
  // Each row: a pattern, and the reason it is refused (undefined: accepted).
  const rows: Array<[string, RegExp | undefined]> = [
    ['sk_live_[0-9a-zA-Z]{24}', undefined],
    ['(?i)bearer [a-z0-9._-]+', undefined],
    ['ghp_[A-Za-z0-9]{36}|github_pat_\\w+', undefined],
    ['(ab)+', undefined],
    ['x(?:a+b)?', undefined],
    ['[(+*)]+', undefined],
    ['\\(a+\\)+', undefined],
    ['', /empty pattern/],
    ['a*', /empty string/],
    ['x?', /empty string/],
    ['\\b', /empty string/],
    ['^', /empty string/],
    // Nested quantifiers take exponential time in a backtracking engine, none on RE2's.
    ['(a+)+', undefined],
    ['(\\w*x)*y', undefined],
    ['((ab)+c)+', undefined],
    ['(?P<key>sk_[a-z]+)', undefined],
    ['(a)\\1', /backreference/],
    ['tok(?=en)', /lookahead/],
    ['a(b', /not an RE2 regular expression: missing closing \)/],
    ['a{1001}', /invalid repeat count/],
    ['a'.repeat(1001), /longer than 1000/],
  ];
  it.each(rows)('%s', (pattern, reason) => {
    const problem = redactPatternProblem(pattern);
    if (reason === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(reason);
  });

  it('compiles to an RE2 pattern whose every match replaceMatches replaces, honouring (?i)', () => {
    const re = compileRedactPattern('(?i)token-[0-9]+');
    expect(replaceMatches('TOKEN-12 token-3 tok-4', re, 'X')).toBe('X X tok-4');
    expect(() => compileRedactPattern('(a)\\1')).toThrow(/backreference/);
  });

  it('leaves the text as it was (the same string) when nothing matches, and empty matches alone', () => {
    const text = 'nothing secret here';
    expect(replaceMatches(text, compileRedactPattern('sk_[a-z]+'), 'X')).toBe(text);
    // Validation refuses a pattern that can match empty; one that slips through still replaces only real matches.
    expect(replaceMatches('ab cd', compileRe2('c|\\b') as Re2, 'X')).toBe('ab Xd');
  });

  it('counts positions in the text\'s own characters, astral ones included', () => {
    expect(replaceMatches('😀sk_abc😀 sk_d', compileRedactPattern('sk_[a-z]+'), '[R]')).toBe('😀[R]😀 [R]');
  });

  // Each of these takes exponential or polynomial time in JavaScript's engine on such a text (minutes to
  // hours); on RE2's the scan is linear, so the test finishes.
  it.each([
    ['(a+)+b', 'a'.repeat(100_000)],
    ['(a|aa)*c', 'a'.repeat(100_000)],
    ['a.*a.*a.*b', 'a'.repeat(100_000)],
    ['\\d+x', '1'.repeat(1_000_000)],
  ])('%s over a long text that does not match it ends, with the text unchanged', (pattern, text) => {
    expect(replaceMatches(text, compileRedactPattern(pattern), 'X')).toBe(text);
  });
});
