import { describe, expect, it } from 'vitest';
import { tokenize } from './lexer.js';

describe('tokenize', () => {
  const cases: Array<[string, string[]]> = [
    ['responseHeaders[":status"] == prefix("5")', ['ident:responseHeaders', 'punct:[', 'string::status', 'punct:]', 'punct:==', 'ident:prefix', 'punct:(', 'string:5', 'punct:)', 'eof:']],
    ['!a&&b||c', ['punct:!', 'ident:a', 'punct:&&', 'ident:b', 'punct:||', 'ident:c', 'eof:']],
    ['x != y', ['ident:x', 'punct:!=', 'ident:y', 'eof:']],
    ['range(-10,\n\t0)', ['ident:range', 'punct:(', 'integer:-10', 'punct:,', 'integer:0', 'punct:)', 'eof:']],
    ['"a\\"b\\\\c\\n\\t\\u0041"', ['string:a"b\\c\n\tA', 'eof:']],
    ['', ['eof:']],
  ];
  it.each(cases)('%j', (source, expected) => {
    const toks = tokenize(source).map((t) => `${t.kind}:${'value' in t ? String(t.value) : t.text}`);
    expect(toks).toEqual(expected);
  });

  it('records offsets of each token', () => {
    const [a, op, b] = tokenize('ab  ==\n"c"');
    expect([a!.start, a!.end, op!.start, op!.end, b!.start, b!.end]).toEqual([0, 2, 4, 6, 7, 10]);
  });

  it('names a non-printable character by code point', () => {
    expect(() => tokenize('true \u00a0')).toThrow(/unexpected character U\+00A0/);
  });
});
