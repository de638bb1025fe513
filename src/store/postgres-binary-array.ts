// One-dimensional PostgreSQL arrays in the binary wire format (what array_recv reads), so a batch insert
// can pass each column as a single parameter without text escaping. `pg` sends a Buffer parameter as
// binary and the server reads it with the type the statement gives it (`$1::text[]`); its own text
// rendering of arrays hex-encodes every bytea element and escapes every string, which cost more than
// the rest of an insert on both sides.
//
// Layout: int32 ndim (1), int32 has-nulls flag, int32 element type OID, then per dimension int32 length
// and int32 lower bound (1); then per element an int32 byte length (-1 for NULL) and the bytes.

/** Element types we send, with their OIDs (pg_type.oid, fixed since PostgreSQL 7). */
const OID = { bool: 16, bytea: 17, int2: 21, int4: 23, text: 25, float8: 701, timestamptz: 1184 } as const;

const HEADER_BYTES = 20;
const INT4_MIN = -(2 ** 31);
const INT4_MAX = 2 ** 31 - 1;
/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;

function writeHeader(buf: Buffer, hasNull: number, oid: number, length: number): void {
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(hasNull, 4);
  buf.writeInt32BE(oid, 8);
  buf.writeInt32BE(length, 12);
  buf.writeInt32BE(1, 16);
}

/** An array of `values`: `sizeOf` gives each non-NULL element's byte length, `write` puts it at `at`. */
function encode<T>(
  oid: number,
  values: readonly (T | null)[],
  sizeOf: (value: T) => number,
  write: (buf: Buffer, at: number, value: T) => void,
): Buffer {
  const sizes = new Array<number>(values.length);
  let total = HEADER_BYTES;
  let hasNull = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      hasNull = 1;
      sizes[i] = -1;
      total += 4;
    } else {
      const size = sizeOf(v);
      sizes[i] = size;
      total += 4 + size;
    }
  }
  const buf = Buffer.allocUnsafe(total);
  writeHeader(buf, hasNull, oid, values.length);
  let at = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const size = sizes[i]!;
    buf.writeInt32BE(size, at);
    at += 4;
    if (size >= 0) {
      write(buf, at, values[i] as T);
      at += size;
    }
  }
  return buf;
}

/**
 * `text[]`, UTF-8 (the server checks the encoding and rejects NUL, as for any text parameter). Written in
 * one pass into room for the worst case (3 bytes per UTF-16 unit), which costs less than measuring first.
 */
export function textArray(values: readonly (string | null)[]): Buffer {
  let room = HEADER_BYTES;
  let hasNull = 0;
  for (const v of values) {
    room += 4;
    if (v === null) hasNull = 1;
    else room += v.length * 3;
  }
  const buf = Buffer.allocUnsafe(room);
  writeHeader(buf, hasNull, OID.text, values.length);
  let at = HEADER_BYTES;
  for (const v of values) {
    if (v === null) {
      buf.writeInt32BE(-1, at);
      at += 4;
    } else {
      const size = buf.write(v, at + 4, 'utf8');
      buf.writeInt32BE(size, at);
      at += 4 + size;
    }
  }
  return buf.subarray(0, at);
}

/** `bytea[]`, the bytes as they are. */
export function byteaArray(values: readonly (Uint8Array | null)[]): Buffer {
  return encode(OID.bytea, values, (v) => v.byteLength, (buf, at, v) => buf.set(v, at));
}

/** `integer[]`; a value outside int32 throws a RangeError naming it, as the server would refuse it. */
export function int4Array(values: readonly (number | null)[]): Buffer {
  return encode(OID.int4, values, (v) => {
    if (!Number.isInteger(v) || v < INT4_MIN || v > INT4_MAX) throw new RangeError(`${v} is out of range for type integer`);
    return 4;
  }, (buf, at, v) => buf.writeInt32BE(v, at));
}

/** `smallint[]`. */
export function int2Array(values: readonly (number | null)[]): Buffer {
  return encode(OID.int2, values, (v) => {
    if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new RangeError(`${v} is out of range for type smallint`);
    return 2;
  }, (buf, at, v) => buf.writeInt16BE(v, at));
}

/** `double precision[]`. */
export function float8Array(values: readonly (number | null)[]): Buffer {
  return encode(OID.float8, values, () => 8, (buf, at, v) => buf.writeDoubleBE(v, at));
}

/** `boolean[]`. */
export function boolArray(values: readonly (boolean | null)[]): Buffer {
  return encode(OID.bool, values, () => 1, (buf, at, v) => buf.writeUInt8(v ? 1 : 0, at));
}

/** `timestamptz[]` from Unix epoch milliseconds (sent as microseconds since 2000-01-01 UTC). */
export function timestamptzArray(values: readonly (number | null)[]): Buffer {
  return encode(OID.timestamptz, values, (v) => {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${v} is not a whole number of milliseconds`);
    return 8;
  }, (buf, at, v) => buf.writeBigInt64BE(BigInt(v - PG_EPOCH_MS) * 1000n, at));
}
