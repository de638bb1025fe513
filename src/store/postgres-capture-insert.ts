// The PostgreSQL batch insert: one INSERT … SELECT FROM unnest(…) WITH ORDINALITY statement whose
// parameters are whole columns as binary arrays (postgres-binary-array.ts). One statement is atomic on
// its own and one round trip; its text does not depend on the batch size, so the server parses the same
// short statement for 1 or 5,000 captures.
import { INSERT_COLUMNS, type CaptureRow } from './capture-row.js';
import {
  boolArray,
  byteaArray,
  float8Array,
  int2Array,
  int4Array,
  textArray,
  timestamptzArray,
} from './postgres-binary-array.js';

type InsertColumn = (typeof INSERT_COLUMNS)[number];

/**
 * Per column: the array type the statement casts its parameter to, and how the rows become that array.
 * captured_at is built from the same epoch milliseconds SQLite stores, so both backends compare the very
 * same instants.
 */
const COLUMNS: Record<InsertColumn, { type: string; encode(rows: readonly CaptureRow[]): Buffer }> = {
  captured_at: { type: 'timestamptz', encode: (rows) => timestamptzArray(rows.map((r) => r.capturedAtMs)) },
  captured_at_text: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.capturedAt)) },
  tap_config: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.tapConfig)) },
  source: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.source)) },
  destination: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.destination)) },
  method: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.method)) },
  path: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.path)) },
  authority: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.authority)) },
  status: { type: 'integer', encode: (rows) => int4Array(rows.map((r) => r.status)) },
  status_class: { type: 'smallint', encode: (rows) => int2Array(rows.map((r) => r.statusClass)) },
  duration_ms: { type: 'double precision', encode: (rows) => float8Array(rows.map((r) => r.durationMs)) },
  request_meta: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.requestMeta)) },
  request_body: { type: 'bytea', encode: (rows) => byteaArray(rows.map((r) => r.requestBody)) },
  request_truncated: { type: 'boolean', encode: (rows) => boolArray(rows.map((r) => r.requestTruncated)) },
  request_bytes: { type: 'integer', encode: (rows) => int4Array(rows.map((r) => r.requestBytes)) },
  response_meta: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.responseMeta)) },
  response_body: { type: 'bytea', encode: (rows) => byteaArray(rows.map((r) => r.responseBody)) },
  response_truncated: { type: 'boolean', encode: (rows) => boolArray(rows.map((r) => r.responseTruncated)) },
  response_bytes: { type: 'integer', encode: (rows) => int4Array(rows.map((r) => r.responseBytes)) },
  connections: { type: 'text', encode: (rows) => textArray(rows.map((r) => r.connections)) },
};

// Identity values are drawn as rows come out of ORDER BY t.ord, so within one statement ascending ids
// follow input order even when other batches insert at the same time.
export const CAPTURE_INSERT_SQL = `INSERT INTO captures (${INSERT_COLUMNS.join(', ')})
SELECT ${INSERT_COLUMNS.map((c) => `t.${c}`).join(', ')}
FROM unnest(${INSERT_COLUMNS.map((c, i) => `$${i + 1}::${COLUMNS[c].type}[]`).join(', ')})
  WITH ORDINALITY AS t(${INSERT_COLUMNS.join(', ')}, ord)
ORDER BY t.ord
RETURNING id`;

/** The parameters of CAPTURE_INSERT_SQL for `rows`. Throws a RangeError for a number the column cannot hold. */
export function captureInsertParams(rows: readonly CaptureRow[]): Buffer[] {
  return INSERT_COLUMNS.map((c) => COLUMNS[c].encode(rows));
}
