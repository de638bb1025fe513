// The binary array encoder: its layout without a server, then what a real PostgreSQL (LOOP_TEST_POSTGRES_URL)
// reads back from each array type, with the values text escaping used to get wrong.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  boolArray,
  byteaArray,
  float8Array,
  int2Array,
  int4Array,
  textArray,
  timestamptzArray,
} from './postgres-binary-array.js';

describe('binary arrays', () => {
  it('lays out header, lengths and a NULL as array_recv expects', () => {
    const buf = textArray(['ab', null, '']);
    const ints = (from: number, n: number) => Array.from({ length: n }, (_, i) => buf.readInt32BE(from + i * 4));
    // ndim 1, has nulls, text OID 25, 3 elements, lower bound 1
    expect(ints(0, 5)).toEqual([1, 1, 25, 3, 1]);
    expect(buf.readInt32BE(20)).toBe(2);
    expect(buf.subarray(24, 26).toString()).toBe('ab');
    expect(buf.readInt32BE(26)).toBe(-1);
    expect(buf.readInt32BE(30)).toBe(0);
    expect(buf.length).toBe(34);
  });

  it('flags no NULLs and counts UTF-8 bytes, not characters', () => {
    const buf = textArray(['é✓']);
    expect(buf.readInt32BE(4)).toBe(0);
    expect(buf.readInt32BE(20)).toBe(5);
  });

  it('sends timestamps as microseconds since 2000-01-01 UTC', () => {
    const buf = timestamptzArray([Date.UTC(2000, 0, 1), 0]);
    expect(buf.readInt32BE(8)).toBe(1184);
    expect(buf.readBigInt64BE(24)).toBe(0n);
    expect(buf.readBigInt64BE(36)).toBe(-946_684_800_000_000n);
  });

  it.each([
    ['int4 above range', () => int4Array([2 ** 31]), 'out of range for type integer'],
    ['int4 fraction', () => int4Array([1.5]), 'out of range for type integer'],
    ['int2 above range', () => int2Array([40_000]), 'out of range for type smallint'],
    ['fractional milliseconds', () => timestamptzArray([1.5]), 'whole number of milliseconds'],
  ])('refuses %s with a RangeError', (_name, encode, message) => {
    expect(encode).toThrow(RangeError);
    expect(encode).toThrow(message);
  });
});

const url = process.env.LOOP_TEST_POSTGRES_URL;

describe.skipIf(!url)('binary arrays read by PostgreSQL', () => {
  it.each([
    ['text', textArray, ['', 'plain', 'quote " backslash \\ brace {} comma , NULL', 'é✓ 😀', null]],
    ['bytea', byteaArray, [Buffer.alloc(0), Buffer.from([0, 255, 92, 34, 123]), null]],
    ['integer', int4Array, [0, -1, 2 ** 31 - 1, -(2 ** 31), null]],
    ['smallint', int2Array, [0, 5, -32768, 32767, null]],
    ['double precision', float8Array, [0, 1.25, -3e300, 5e-324, null]],
    ['boolean', boolArray, [true, false, null]],
  ] as const)('round-trips %s[]', async (type, encode, values) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const res = await client.query<{ v: unknown[] }>(`SELECT $1::${type}[] AS v`, [(encode as (v: readonly unknown[]) => Buffer)(values)]);
      expect(res.rows[0]!.v).toEqual(values);
    } finally {
      await client.end();
    }
  });

  it('round-trips timestamptz[] to the millisecond, before and after both epochs', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const ms = [Date.UTC(2024, 1, 29, 23, 59, 59, 999), 0, Date.UTC(1969, 11, 31, 23, 59, 59, 1), null];
      const res = await client.query<{ v: (string | null)[] }>(
        `SELECT array(SELECT (extract(epoch FROM t) * 1000)::bigint::text FROM unnest($1::timestamptz[]) AS t) AS v`,
        [timestamptzArray(ms)],
      );
      expect(res.rows[0]!.v).toEqual(ms.map((m) => (m === null ? null : String(m))));
    } finally {
      await client.end();
    }
  });
});
