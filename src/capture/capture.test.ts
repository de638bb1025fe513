import { describe, expect, it } from 'vitest';
import { headerValue, type HeaderList } from './capture.js';

describe('headerValue', () => {
  const headers: HeaderList = [
    [':status', '503'],
    ['Content-Type', 'application/json'],
    ['X-Trace', 'a'],
    ['x-trace', 'b'],
    ['content-length', '12'],
  ];

  it('finds a header whatever the case of either name, and joins repeated values with ","', () => {
    expect(headerValue(headers, ':status')).toBe('503');
    expect(headerValue(headers, 'content-type')).toBe('application/json');
    expect(headerValue(headers, 'CONTENT-TYPE')).toBe('application/json');
    expect(headerValue(headers, 'x-TRACE')).toBe('a,b');
    expect(headerValue(headers, 'x-missing')).toBeUndefined();
    expect(headerValue([], ':status')).toBeUndefined();
  });

  it('agrees with a plain lowercase comparison on names whose lowercase is longer (U+0130)', () => {
    // "İ".toLowerCase() is "i̇" (two UTF-16 units): the length shortcut must not rule such a name out.
    const list: HeaderList = [['X-İd', '1'], ['x-i̇d', '2'], ['x-id', '3']];
    const plain = (name: string): string | undefined => {
      const v = list.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, x]) => x);
      return v.length ? v.join(',') : undefined;
    };
    for (const name of ['x-İd', 'X-İD', 'x-i̇d', 'x-id', 'X-ID']) expect(headerValue(list, name)).toBe(plain(name));
  });
});
