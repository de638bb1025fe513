import { describe, expect, it } from 'vitest';
import { captureRowValues, toCaptureRow } from './capture-row.js';
import { packRows, unpackRows } from './sqlite-packed-rows.js';
import type { CaptureInput } from '../capture/capture.js';

const capture = (over: Partial<CaptureInput> & { path?: string; body?: Buffer | undefined } = {}): CaptureInput => {
  const { path = '/api/ok', body = Buffer.from('{"a":1}'), ...rest } = over;
  return {
    capturedAt: '2026-11-27T10:00:00.123456789+01:00',
    tapConfig: 'default/errors',
    source: 'gateway',
    destination: 'web.default:9090',
    durationMs: 12.5,
    request: {
      headers: [
        [':method', 'POST'],
        [':path', path],
        [':authority', 'shop.example'],
      ],
      trailers: [],
      ...(body ? { body: { bytes: body, truncated: false } } : {}),
    },
    response: { headers: [[':status', '503']], trailers: [], body: { bytes: Buffer.alloc(0), truncated: true } },
    ...rest,
  };
};

/** The values SQLite is to bind (booleans as 0/1, which is how SQLite stores them), bodies as plain byte arrays. */
const bound = (values: unknown[]) => values.map((v) => (v instanceof Uint8Array ? [...v] : typeof v === 'boolean' ? Number(v) : v));

describe('packRows / unpackRows', () => {
  it('hand the writer thread exactly the values it would bind, for every kind of column', () => {
    const captures = [
      capture(),
      // Non-ASCII in text and headers (several UTF-8 widths), no request body (nulls), a null duration.
      capture({ path: '/ápi/ü/日本/😀', body: undefined, durationMs: null, tapConfig: 'ns/é' }),
      // Empty strings and an empty body next to a large one; connection info (the nullable text column).
      capture({ path: '', body: Buffer.alloc(70_000, 0xff), upstream: { remote: { address: '127.0.0.1', port: 9090 } } }),
    ];
    const rows = captures.map((c, i) => toCaptureRow(c, i));
    const packed = packRows(rows);
    expect(packed.count).toBe(3);
    expect(unpackRows(packed).map(bound)).toEqual(rows.map((r) => bound(captureRowValues(r))));
  });

  it('survive the transfer to another thread (own buffers, nothing else taken along)', () => {
    const rows = [capture(), capture({ path: '/x/ü' })].map((c, i) => toCaptureRow(c, i));
    const packed = packRows(rows);
    const copy = structuredClone(packed, { transfer: [packed.numbers, packed.bytes] });
    expect(packed.bytes.byteLength).toBe(0); // detached: moved, not copied
    expect(unpackRows(copy).map(bound)).toEqual(rows.map((r) => bound(captureRowValues(r))));
  });

  it('refuse a batch whose numbers do not match its row count, or whose lengths run past its bytes', () => {
    const packed = packRows([toCaptureRow(capture(), 0)]);
    expect(() => unpackRows({ ...packed, count: 2 })).toThrow(/do not add up: 20 numbers for 2 rows/);
    expect(() => unpackRows({ ...packed, bytes: new ArrayBuffer(4) })).toThrow(/do not add up: \d+ bytes of values in 4/);
  });
});
