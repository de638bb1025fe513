import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from './did-you-mean.js';

describe('closestName', () => {
  const names = ['requestHeaders', 'responseHeaders', 'maxBodyBytes', 'sampling', 'match'];
  const cases: Array<[string, string | undefined]> = [
    ['requestHeader', 'requestHeaders'],
    ['ResponseHeaders', 'responseHeaders'],
    ['maxbodybyte', 'maxBodyBytes'],
    ['smapling', 'sampling'],
    ['mtach', 'match'],
    ['colour', undefined],
    ['x', undefined],
  ];
  it.each(cases)('%s -> %s', (input, expected) => {
    expect(closestName(input, names)).toBe(expected);
  });
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
