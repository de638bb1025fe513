import { describe, expect, it } from 'vitest';
import { compileRedactPattern, redactPatternProblem } from './redact-pattern.js';

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
    ['(a+)+', /nested quantifier at 4/],
    ['(\\w*x)*y', /nested quantifier/],
    ['(?:a?){2,}', /nested quantifier/],
    ['((ab)+c)+', /nested quantifier/],
    ['(a)\\1', /backreference/],
    ['tok(?=en)', /lookahead/],
    ['a(b', /not a regular expression/],
    ['a'.repeat(1001), /longer than 1000/],
  ];
  it.each(rows)('%s', (pattern, reason) => {
    const problem = redactPatternProblem(pattern);
    if (reason === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(reason);
  });

  it('compiles to a global regex and honours leading (?i)', () => {
    const re = compileRedactPattern('(?i)token-[0-9]+');
    expect(re.flags).toContain('g');
    expect('TOKEN-12 token-3'.replace(re, 'X')).toBe('X X');
    expect(() => compileRedactPattern('(a+)+')).toThrow(/nested quantifier/);
  });
});
