import { describe, expect, it } from 'vitest';
import { isLoopError } from '../core/errors.js';
import { parseCaptureStoreUrl } from './open-capture-store.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { prefixUpperBound } from './list-query.js';

describe('parseCaptureStoreUrl', () => {
  it.each([
    ['sqlite:///var/lib/loop/captures.db', { kind: 'sqlite', location: '/var/lib/loop/captures.db' }],
    ['sqlite:data/captures.db', { kind: 'sqlite', location: 'data/captures.db' }],
    ['sqlite::memory:', { kind: 'sqlite', location: ':memory:' }],
    ['file:///tmp/a%20b.db', { kind: 'sqlite', location: '/tmp/a b.db' }],
    ['/abs/captures.db', { kind: 'sqlite', location: '/abs/captures.db' }],
    ['captures.db', { kind: 'sqlite', location: 'captures.db' }],
    ['postgres://loop@db:5432/loop', { kind: 'postgres', location: 'postgres://loop@db:5432/loop' }],
    ['postgresql://db/loop?schema=tenant_a&sslmode=disable', { kind: 'postgres', location: 'postgresql://db/loop?sslmode=disable', schema: 'tenant_a' }],
  ])('%s', (url, want) => {
    expect(parseCaptureStoreUrl(url)).toEqual(want);
  });

  it.each(['', 'mysql://db/loop', 'sqlite://relative.db'])('refuses %j', (url) => {
    let err: unknown;
    try {
      parseCaptureStoreUrl(url);
    } catch (e) {
      err = e;
    }
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
  });

  it('never echoes a password', () => {
    expect(() => parseCaptureStoreUrl('mysql://u:hunter2@db/x')).toThrow(/^(?!.*hunter2)/);
  });
});

describe('list cursors', () => {
  it('round-trip ids and are opaque base64url', () => {
    for (const id of [1, 42, 2 ** 53 - 1]) {
      const c = encodeCursor(id);
      expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(c)).toBe(id);
    }
  });
});

describe('prefixUpperBound', () => {
  it.each([
    ['/api', '/apj'],
    ['a\u{10FFFF}', 'b'],
    ['\u{D7FF}', '\u{E000}'],
    ['x\u{FFFF}', 'x\u{10000}'],
    ['\u{10FFFF}', undefined],
  ])('%j → %j', (prefix, upper) => {
    expect(prefixUpperBound(prefix)).toBe(upper);
  });
});
