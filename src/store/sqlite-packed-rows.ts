// Capture rows as the SQLite store hands them to its writer thread. Structured clone is slow per value: it
// copies each Buffer's whole backing ArrayBuffer (often a shared 8 KiB pool slab) and pays per string, and
// ingest sends 20 values a capture. So a batch travels as two transferred buffers: every value's bytes back
// to back (bodies as they are, text as UTF-8) and one Float64Array with a number per value (the number
// itself, or the byte length of a body or text). Writing the text as UTF-8 here costs what SQLite's own
// conversion of a JS string would, and is several times cheaper than joining the strings into one.
import { INSERT_COLUMNS, captureRowValues, type CaptureRow } from './capture-row.js';

/** A batch of rows packed for postMessage, with `numbers` and `bytes` in the transfer list. */
export interface PackedRows {
  count: number;
  /** One slot per column per row: the number (booleans as 0/1) or the byte length of a body or text; NaN for null. */
  numbers: ArrayBuffer;
  /** The bodies and the UTF-8 of the text values, back to back in row and column order. */
  bytes: ArrayBuffer;
}

type Kind = 'number' | 'text' | 'body';

const KINDS: readonly Kind[] = INSERT_COLUMNS.map((c) => {
  switch (c) {
    case 'captured_at_text':
    case 'tap_config':
    case 'source':
    case 'destination':
    case 'method':
    case 'path':
    case 'authority':
    case 'request_meta':
    case 'response_meta':
    case 'connections':
      return 'text';
    case 'request_body':
    case 'response_body':
      return 'body';
    default:
      return 'number';
  }
});
const WIDTH = KINDS.length;

/** Packs rows (already validated by toCaptureRow) in INSERT_COLUMNS order. */
export function packRows(rows: readonly CaptureRow[]): PackedRows {
  const values: unknown[][] = new Array(rows.length);
  // An upper bound: a UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, 4 for 2 units).
  let size = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = (values[r] = captureRowValues(rows[r]!));
    for (let c = 0; c < WIDTH; c++) {
      const v = row[c];
      if (v === null) continue;
      if (KINDS[c] === 'text') size += (v as string).length * 3;
      else if (KINDS[c] === 'body') size += (v as Uint8Array).length;
    }
  }
  // Its own ArrayBuffer (never a pool slab), so transferring it takes nothing else along; no zero fill,
  // since every byte the writer reads is written below.
  const bytes = Buffer.allocUnsafeSlow(size);
  const numbers = new Float64Array(rows.length * WIDTH);
  let at = 0;
  let k = 0;
  for (const row of values) {
    for (let c = 0; c < WIDTH; c++, k++) {
      const v = row[c];
      if (v === null) {
        numbers[k] = NaN;
      } else if (KINDS[c] === 'text') {
        const n = bytes.write(v as string, at, 'utf8');
        at += n;
        numbers[k] = n;
      } else if (KINDS[c] === 'body') {
        const body = v as Uint8Array;
        bytes.set(body, at);
        at += body.length;
        numbers[k] = body.length;
      } else {
        numbers[k] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
      }
    }
  }
  return { count: rows.length, numbers: numbers.buffer, bytes: bytes.buffer };
}

/** The rows of a packed batch, each an array of INSERT_COLUMNS values; bodies are views of `bytes`. */
export function unpackRows(packed: PackedRows): unknown[][] {
  const numbers = new Float64Array(packed.numbers);
  if (numbers.length !== packed.count * WIDTH) throw new Error(`packed capture rows do not add up: ${numbers.length} numbers for ${packed.count} rows`);
  const bytes = Buffer.from(packed.bytes);
  const rows: unknown[][] = new Array(packed.count);
  let at = 0;
  let k = 0;
  for (let r = 0; r < packed.count; r++) {
    const row: unknown[] = new Array(WIDTH);
    for (let c = 0; c < WIDTH; c++, k++) {
      const n = numbers[k]!;
      if (Number.isNaN(n)) {
        row[c] = null;
      } else if (KINDS[c] === 'text') {
        row[c] = bytes.toString('utf8', at, at + n);
        at += n;
      } else if (KINDS[c] === 'body') {
        row[c] = bytes.subarray(at, at + n);
        at += n;
      } else {
        row[c] = n;
      }
    }
    rows[r] = row;
  }
  if (at > bytes.length) throw new Error(`packed capture rows do not add up: ${at} bytes of values in ${bytes.length}`);
  return rows;
}
