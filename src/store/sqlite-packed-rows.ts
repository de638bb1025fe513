// Capture rows as the SQLite store hands them to its writer thread. Structured clone is slow per value: it
// copies each Buffer's whole backing ArrayBuffer (often a shared 8 KiB pool slab) and pays per string, and
// ingest sends 20 values a capture. So a batch travels as three things: its bodies back to back in one
// ArrayBuffer, every other number in one Float64Array, both transferred rather than copied, and its text
// values joined into one string by NUL, which no text column can hold (toCaptureRow refuses it in input
// text, and the JSON columns escape it).
import { INSERT_COLUMNS, captureRowValues, type CaptureRow } from './capture-row.js';

/** A batch of rows packed for postMessage, with `numbers` and `bodies` in the transfer list. */
export interface PackedRows {
  count: number;
  /** One slot per column per row: the number (booleans as 0/1), a body's byte length, 0 for text; NaN for null. */
  numbers: ArrayBuffer;
  /** The bodies, back to back in row and column order. */
  bodies: ArrayBuffer;
  /** The text values in row and column order, each followed by NUL. */
  text: string;
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
const SEPARATOR = '\0';

/** Packs rows (already validated by toCaptureRow) in INSERT_COLUMNS order. */
export function packRows(rows: readonly CaptureRow[]): PackedRows {
  let size = 0;
  for (const row of rows) size += (row.requestBody?.length ?? 0) + (row.responseBody?.length ?? 0);
  // Own ArrayBuffers (never a pool slab), so transferring them takes nothing else along.
  const bodies = new Uint8Array(size);
  const numbers = new Float64Array(rows.length * WIDTH);
  const texts: string[] = [];
  let at = 0;
  let k = 0;
  for (const row of rows) {
    const values = captureRowValues(row);
    for (let c = 0; c < WIDTH; c++, k++) {
      const v = values[c];
      if (v === null) {
        numbers[k] = NaN;
      } else if (KINDS[c] === 'text') {
        texts.push(v as string);
      } else if (KINDS[c] === 'body') {
        const bytes = v as Uint8Array;
        bodies.set(bytes, at);
        at += bytes.length;
        numbers[k] = bytes.length;
      } else {
        numbers[k] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
      }
    }
  }
  texts.push('');
  return { count: rows.length, numbers: numbers.buffer, bodies: bodies.buffer, text: texts.join(SEPARATOR) };
}

/** The rows of a packed batch, each an array of INSERT_COLUMNS values; bodies are views of `bodies`. */
export function unpackRows(packed: PackedRows): unknown[][] {
  const numbers = new Float64Array(packed.numbers);
  const bodies = Buffer.from(packed.bodies);
  const texts = packed.text.split(SEPARATOR);
  const rows: unknown[][] = new Array(packed.count);
  let at = 0;
  let t = 0;
  let k = 0;
  for (let r = 0; r < packed.count; r++) {
    const row: unknown[] = new Array(WIDTH);
    for (let c = 0; c < WIDTH; c++, k++) {
      const n = numbers[k]!;
      if (Number.isNaN(n)) {
        row[c] = null;
      } else if (KINDS[c] === 'text') {
        row[c] = texts[t++];
      } else if (KINDS[c] === 'body') {
        row[c] = bodies.subarray(at, at + n);
        at += n;
      } else {
        row[c] = n;
      }
    }
    rows[r] = row;
  }
  if (t !== texts.length - 1 || at !== bodies.length) throw new Error('packed capture rows do not add up (a NUL in a text value?)');
  return rows;
}
