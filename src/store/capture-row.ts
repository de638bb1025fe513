// The one mapping between a Capture and the columns both stores keep: validation of what goes in,
// the denormalised columns the list filters use (method, path, status, …), the compact JSON of headers,
// trailers and times, and the way back from a row. Both backends select the same column names.
import { LoopError } from '../core/errors.js';
import type {
  Capture,
  CaptureInput,
  CaptureSummary,
  CapturedMessage,
  ConnectionInfo,
  HeaderList,
} from '../capture/capture.js';
import { parseRfc3339 } from '../capture/timestamp.js';

/** Column values of one capture, independent of the database. */
export interface CaptureRow {
  capturedAtMs: number;
  /** The RFC 3339 text as given, so `capturedAt` round-trips exactly (offsets, nanoseconds). */
  capturedAt: string;
  tapConfig: string;
  source: string;
  destination: string;
  method: string;
  path: string;
  authority: string;
  status: number;
  statusClass: number;
  durationMs: number | null;
  requestMeta: string;
  requestBody: Buffer | null;
  requestTruncated: boolean | null;
  requestBytes: number;
  responseMeta: string;
  responseBody: Buffer | null;
  responseTruncated: boolean | null;
  responseBytes: number;
  connections: string | null;
}

/** Columns a summary needs, in the names both stores select. */
export const SUMMARY_COLUMNS = [
  'id',
  'captured_at_text',
  'tap_config',
  'source',
  'destination',
  'method',
  'path',
  'authority',
  'status',
  'duration_ms',
  'request_bytes',
  'response_bytes',
] as const;

/** Columns a full capture needs. */
export const CAPTURE_COLUMNS = [
  'id',
  'captured_at_text',
  'tap_config',
  'source',
  'destination',
  'duration_ms',
  'request_meta',
  'request_body',
  'request_truncated',
  'response_meta',
  'response_body',
  'response_truncated',
  'connections',
] as const;

/** Columns written on insert, in the order `captureRowValues` yields them. */
export const INSERT_COLUMNS = [
  'captured_at',
  'captured_at_text',
  'tap_config',
  'source',
  'destination',
  'method',
  'path',
  'authority',
  'status',
  'status_class',
  'duration_ms',
  'request_meta',
  'request_body',
  'request_truncated',
  'request_bytes',
  'response_meta',
  'response_body',
  'response_truncated',
  'response_bytes',
  'connections',
] as const;

export function captureRowValues(row: CaptureRow): unknown[] {
  return [
    row.capturedAtMs,
    row.capturedAt,
    row.tapConfig,
    row.source,
    row.destination,
    row.method,
    row.path,
    row.authority,
    row.status,
    row.statusClass,
    row.durationMs,
    row.requestMeta,
    row.requestBody,
    row.requestTruncated,
    row.requestBytes,
    row.responseMeta,
    row.responseBody,
    row.responseTruncated,
    row.responseBytes,
    row.connections,
  ];
}

/** 503 → 5; anything outside 100..599 (0 = no response) → 0. */
export function statusClassOf(status: number): number {
  return status >= 100 && status <= 599 ? Math.floor(status / 100) : 0;
}

/** Milliseconds since the epoch of an RFC 3339 time; undefined when it is not one. */
export function rfc3339ToMillis(text: string): number | undefined {
  const ts = parseRfc3339(text);
  return ts === undefined ? undefined : ts.seconds * 1000 + Math.floor(ts.nanos / 1_000_000);
}

// Durations beyond a year are a bug upstream, not a slow request.
const MAX_DURATION_MS = 366 * 86_400_000;

function invalid(field: string, value: unknown, expected: string): LoopError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value) : String(value);
  return new LoopError('INGEST_INVALID', `${field} is ${shown}: expected ${expected}`, { details: { field } });
}

function checkText(field: string, value: unknown): string {
  // PostgreSQL text cannot hold NUL; HTTP forbids it in fields, so reject it the same way on every backend.
  if (typeof value !== 'string') throw invalid(field, value, 'a string');
  if (value.includes('\0')) throw invalid(field, value, 'text without NUL characters');
  return value;
}

// JSON.stringify prints a string as is between quotes unless it holds ", \, a control character or a
// surrogate (lone ones are escaped); a header list whose strings are all plain is printed here, cheaper.
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const PLAIN_JSON_TEXT = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * Validates a header list and returns its JSON, exactly as JSON.stringify prints it. One plain loop:
 * this runs for every header of every capture stored. Holes are skipped, as forEach did.
 */
function headersJson(field: string, value: unknown): string {
  if (!Array.isArray(value)) throw invalid(field, value, 'an array of [name, value] pairs');
  let json = '[';
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    const pair: unknown = value[i];
    if (pair === undefined && !(i in value)) {
      plain = false;
      continue;
    }
    if (!Array.isArray(pair) || pair.length !== 2) throw invalid(`${field}[${i}]`, pair, 'a [name, value] pair');
    const name: unknown = pair[0];
    const text: unknown = pair[1];
    // The pattern also rules out NUL, so a plain string needs no other check.
    if (typeof name !== 'string' || !PLAIN_JSON_TEXT.test(name)) {
      checkText(`${field}[${i}][0]`, name);
      plain = false;
    }
    if (typeof text !== 'string' || !PLAIN_JSON_TEXT.test(text)) {
      checkText(`${field}[${i}][1]`, text);
      plain = false;
    }
    if (plain) json += `${i === 0 ? '' : ','}["${name as string}","${text as string}"]`;
  }
  return plain ? `${json}]` : JSON.stringify(value);
}

/** `headerValue` for a name already in lowercase; the length check spares lowercasing most names. */
function valueOf(headers: HeaderList, lowerName: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i]!;
    const k = pair[0];
    if ((k.length !== lowerName.length && !k.includes('\u0130')) || k.toLowerCase() !== lowerName) continue;
    out = out === undefined ? pair[1] : `${out},${pair[1]}`;
  }
  return out;
}

interface MessageMeta {
  h: HeaderList;
  t: HeaderList;
  at?: string;
}

function messageColumns(field: string, message: CapturedMessage | undefined) {
  if (message === null || typeof message !== 'object') throw invalid(field, message, 'a message object');
  // The MessageMeta's JSON, built by hand in its key order.
  let meta = `{"h":${headersJson(`${field}.headers`, message.headers)},"t":${headersJson(`${field}.trailers`, message.trailers ?? [])}`;
  if (message.headersReceivedAt !== undefined) {
    if (typeof message.headersReceivedAt !== 'string' || rfc3339ToMillis(message.headersReceivedAt) === undefined) {
      throw invalid(`${field}.headersReceivedAt`, message.headersReceivedAt, 'an RFC 3339 time');
    }
    meta += `,"at":${JSON.stringify(message.headersReceivedAt)}`;
  }
  meta += '}';
  let body: Buffer | null = null;
  let truncated: boolean | null = null;
  if (message.body !== undefined) {
    const bytes: unknown = message.body?.bytes;
    if (!(bytes instanceof Uint8Array)) throw invalid(`${field}.body.bytes`, bytes, 'a Buffer');
    if (typeof message.body.truncated !== 'boolean') {
      throw invalid(`${field}.body.truncated`, message.body.truncated, 'true or false');
    }
    body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    truncated = message.body.truncated;
  }
  return { meta, body, truncated, bytes: body?.length ?? 0 };
}

/**
 * Validates a capture and derives its columns. Throws LoopError INGEST_INVALID naming `captures[index].field`,
 * so a batch with one bad capture is refused before anything is written.
 */
export function toCaptureRow(capture: CaptureInput, index: number): CaptureRow {
  const at = `captures[${index}]`;
  if (capture === null || typeof capture !== 'object') throw invalid(at, capture, 'a capture object');
  const capturedAtMs = typeof capture.capturedAt === 'string' ? rfc3339ToMillis(capture.capturedAt) : undefined;
  if (capturedAtMs === undefined) throw invalid(`${at}.capturedAt`, capture.capturedAt, 'an RFC 3339 time');
  const d = capture.durationMs;
  if (d !== null && (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || d > MAX_DURATION_MS)) {
    throw invalid(`${at}.durationMs`, d, `null or a number of milliseconds between 0 and ${MAX_DURATION_MS}`);
  }
  const req = messageColumns(`${at}.request`, capture.request);
  const res = messageColumns(`${at}.response`, capture.response);
  const connections: { d?: ConnectionInfo; u?: ConnectionInfo } = {};
  if (capture.downstream !== undefined) connections.d = capture.downstream;
  if (capture.upstream !== undefined) connections.u = capture.upstream;
  const rawStatus = valueOf(capture.response.headers, ':status');
  const parsedStatus = rawStatus === undefined ? NaN : Number.parseInt(rawStatus, 10);
  const status = Number.isFinite(parsedStatus) ? parsedStatus : 0;
  const reqHeaders = capture.request.headers;
  return {
    capturedAtMs,
    capturedAt: capture.capturedAt,
    tapConfig: checkText(`${at}.tapConfig`, capture.tapConfig),
    source: checkText(`${at}.source`, capture.source),
    destination: checkText(`${at}.destination`, capture.destination),
    method: valueOf(reqHeaders, ':method') ?? '',
    path: valueOf(reqHeaders, ':path') ?? '',
    authority: valueOf(reqHeaders, ':authority') ?? valueOf(reqHeaders, 'host') ?? '',
    status,
    statusClass: statusClassOf(status),
    durationMs: d,
    requestMeta: req.meta,
    requestBody: req.body,
    requestTruncated: req.truncated,
    requestBytes: req.bytes,
    responseMeta: res.meta,
    responseBody: res.body,
    responseTruncated: res.truncated,
    responseBytes: res.bytes,
    connections: connections.d || connections.u ? JSON.stringify(connections) : null,
  };
}

/** A row as either driver returns it: ids may be bigint strings (pg), flags 0/1 (SQLite) or booleans (pg). */
export type DbRow = Record<string, unknown>;

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function nullableNum(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : String(value ?? '');
}

function messageFromColumns(meta: unknown, body: unknown, truncated: unknown): CapturedMessage {
  const parsed = JSON.parse(str(meta)) as MessageMeta;
  const message: CapturedMessage = { headers: parsed.h, trailers: parsed.t };
  if (body !== null && body !== undefined) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body as Uint8Array);
    message.body = { bytes, truncated: truncated === true || truncated === 1 || truncated === 1n };
  }
  if (parsed.at !== undefined) message.headersReceivedAt = parsed.at;
  return message;
}

export function captureFromRow(row: DbRow): Capture {
  const capture: Capture = {
    id: num(row.id),
    capturedAt: str(row.captured_at_text),
    tapConfig: str(row.tap_config),
    source: str(row.source),
    destination: str(row.destination),
    durationMs: nullableNum(row.duration_ms),
    request: messageFromColumns(row.request_meta, row.request_body, row.request_truncated),
    response: messageFromColumns(row.response_meta, row.response_body, row.response_truncated),
  };
  if (row.connections !== null && row.connections !== undefined) {
    const c = JSON.parse(str(row.connections)) as { d?: ConnectionInfo; u?: ConnectionInfo };
    if (c.d) capture.downstream = c.d;
    if (c.u) capture.upstream = c.u;
  }
  return capture;
}

export function summaryFromRow(row: DbRow): CaptureSummary {
  return {
    id: num(row.id),
    capturedAt: str(row.captured_at_text),
    tapConfig: str(row.tap_config),
    source: str(row.source),
    destination: str(row.destination),
    method: str(row.method),
    path: str(row.path),
    authority: str(row.authority),
    status: num(row.status),
    durationMs: nullableNum(row.duration_ms),
    requestBytes: num(row.request_bytes),
    responseBytes: num(row.response_bytes),
  };
}
