import { describe, expect, it } from 'vitest';
import { formatRfc3339, isoFromEpochMillis, millisBetween, parseRfc3339 } from './timestamp.js';

describe('RFC 3339 timestamps', () => {
  it.each([
    ['1970-01-01T00:00:00Z', 0, 0, '1970-01-01T00:00:00Z'],
    ['2026-03-01T12:00:00.1Z', 1772366400, 100_000_000, '2026-03-01T12:00:00.100Z'],
    ['2026-03-01T12:00:00.000001z', 1772366400, 1000, '2026-03-01T12:00:00.000001Z'],
    ['2026-03-01t12:00:00.123456789Z', 1772366400, 123_456_789, '2026-03-01T12:00:00.123456789Z'],
    ['2026-03-01T13:30:00+01:30', 1772366400, 0, '2026-03-01T12:00:00Z'],
    ['2026-03-01T10:00:00-02:00', 1772366400, 0, '2026-03-01T12:00:00Z'],
    ['0001-01-01T00:00:00Z', -62_135_596_800, 0, '0001-01-01T00:00:00Z'],
    ['0099-06-15T00:00:00Z', -59_028_739_200, 0, '0099-06-15T00:00:00Z'],
    ['9999-12-31T23:59:59.999999999Z', 253_402_300_799, 999_999_999, '9999-12-31T23:59:59.999999999Z'],
    ['1969-12-31T23:59:59.5Z', -1, 500_000_000, '1969-12-31T23:59:59.500Z'],
    ['2024-02-29T00:00:00Z', 1709164800, 0, '2024-02-29T00:00:00Z'],
  ])('parses %s and prints it canonically', (text, seconds, nanos, canonical) => {
    expect(parseRfc3339(text)).toEqual({ seconds, nanos });
    expect(formatRfc3339({ seconds, nanos })).toBe(canonical);
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:60Z',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00.Z',
    '2026-01-01T00:00:00.1234567890Z',
    '0000-01-01T00:00:00Z',
    '2026-01-01T00:00:00+24:00',
    '0001-01-01T00:00:00+01:00',
    '',
    'x'.repeat(100),
  ])('rejects %j', (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it('measures durations in milliseconds without float noise', () => {
    expect(millisBetween({ seconds: 10, nanos: 100_000_000 }, { seconds: 10, nanos: 142_500_000 })).toBe(42.5);
    expect(millisBetween({ seconds: 10, nanos: 900_000_000 }, { seconds: 11, nanos: 0 })).toBe(100);
  });
});

describe('isoFromEpochMillis', () => {
  it('formats exactly as Date#toISOString, across seconds, days, leap days and out-of-range years', () => {
    const samples = [0, 0.9, 999.999, 1000, 59_999, 951_782_400_000 /* 2000-02-29 */, 1_764_165_012_345.6, 253_402_300_799_999, 253_402_300_800_000, -1, -1000.5, 8.64e15];
    // A seeded walk that revisits seconds out of order, so the per-second cache must notice every change.
    let x = 1_764_165_000_000;
    let seed = 7;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      x += (seed % 4000) - 1500 + (seed % 97) / 97;
      samples.push(x);
    }
    for (const ms of samples) expect(isoFromEpochMillis(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});
