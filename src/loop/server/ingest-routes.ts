// POST /v1/taps: where taps deliver captures. Accepted bodies:
//  - application/json or application/x-ndjson: Envoy TraceWrapper JSON — one object, a JSON array, NDJSON,
//    or the concatenated objects Envoy's admin /tap stream emits;
//  - application/x-protobuf: one binary TapRequest, as Gloo's HTTP tap sink sends it;
//  - application/vnd.loop.capture-batch: the project's binary batch form (capture-binary.ts; what gateways send);
//  - application/vnd.loop.captures+json: `{ "captures": [...] }` in the project's own JSON form (older gateways).
// Every item is decoded, redacted and capped first; only then is the batch stored, in one transaction,
// so a bad item anywhere stores nothing.
import { isAscii } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestProblem, type CaptureInput } from '../../capture/capture.js';
import { CAPTURE_BATCH_MEDIA_TYPE, decodeCaptureBatch } from '../../capture/capture-binary.js';
import { captureInputFromJson } from '../../capture/capture-json.js';
import { decodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { splitJsonTexts } from '../../capture/json-stream-splitter.js';
import { createRedactor, type Redactor } from '../../capture/redact.js';
import { decodeTapRequest } from '../../capture/tap-request-proto.js';
import { LoopError, isLoopError, messageOf } from '../../core/errors.js';
import { didYouMean } from '../../core/did-you-mean.js';
import { formatDuration } from '../../core/options-schema.js';
import { mediaType, readBody, sendJson } from './http-io.js';
import type { Router } from './router.js';
import type { ServerContext } from './server-context.js';

type Format = 'envoy-json' | 'protobuf' | 'loop-json' | 'loop-binary';

const FORMATS: Record<string, Format> = {
  '': 'envoy-json',
  'application/json': 'envoy-json',
  'application/x-ndjson': 'envoy-json',
  'application/jsonl': 'envoy-json',
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/vnd.loop.captures+json': 'loop-json',
  [CAPTURE_BATCH_MEDIA_TYPE]: 'loop-binary',
};

export function registerIngestRoutes(router: Router, ctx: ServerContext): void {
  router.on('POST', '/v1/taps', (req, res, _params, url) => ingest(ctx, req, res, url));
}

const INGEST_PARAMS = ['source', 'tapConfig', 'destination'];

async function ingest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  // As on GET /v1/captures: a misspelt parameter (?tapconfig=…) would otherwise label nothing, silently.
  for (const key of url.searchParams.keys()) {
    if (!INGEST_PARAMS.includes(key)) throw new LoopError('BAD_REQUEST', `unknown query parameter "${key}"${didYouMean(key, INGEST_PARAMS)}; expected one of ${INGEST_PARAMS.join(', ')}`);
  }
  const type = mediaType(req);
  const format = FORMATS[type];
  if (!format) {
    throw new LoopError('UNSUPPORTED_MEDIA_TYPE', `content-type "${type}" is not accepted on /v1/taps`, {
      hint: `send one of: ${Object.keys(FORMATS).filter(Boolean).join(', ')}`,
    });
  }
  let body: Buffer;
  try {
    body = await readBody(req, ctx.options.maxIngestBytes, 'send smaller batches, or raise --max-ingest-bytes');
  } catch (err) {
    ctx.metrics.ingestBatches.inc({ format, outcome: 'too_large' });
    throw err;
  }
  // The decoded batch goes straight to the store: this frame keeps no reference to it while the write is
  // pending, so it can die young instead of being copied by every scavenge that runs in the meantime.
  let inserting: Promise<number[]>;
  let expiring = 0;
  try {
    const captures = preparedCaptures(ctx, format, body, url);
    // Envoy's traces keep their own date (an imported file of old taps): say which retention will take at once.
    if (format !== 'loop-binary') expiring = olderThanRetention(ctx, captures);
    inserting = ctx.store.insertBatch(captures);
  } catch (err) {
    ctx.metrics.ingestBatches.inc({ format, outcome: 'invalid' });
    throw err instanceof LoopError ? err : new LoopError('INGEST_INVALID', messageOf(err), { cause: err });
  }
  const ids = await counted(ctx, format, inserting);
  const retention = expiring > 0 ? { olderThanRetention: expiring, retentionMaxAge: formatDuration(ctx.options.retentionMaxAge) } : {};
  sendJson(res, 200, { stored: ids.length, ids, ...retention });
}

/** How many of `captures` are dated before --retention-max-age: its next pass (within --retention-interval) deletes them. */
function olderThanRetention(ctx: ServerContext, captures: readonly CaptureInput[]): number {
  if (ctx.options.retentionMaxAge <= 0) return 0;
  const horizon = ctx.clock().getTime() - ctx.options.retentionMaxAge;
  let n = 0;
  for (const c of captures) if (Date.parse(c.capturedAt) < horizon) n++;
  return n;
}

/** The body's captures, redacted (server rules and their TapConfig's) and capped. */
function preparedCaptures(ctx: ServerContext, format: Format, body: Buffer, url: URL): CaptureInput[] {
  const captures = decodeBatch(format, body, {
    source: url.searchParams.get('source') ?? (format === 'protobuf' ? 'gloo' : 'envoy'),
    tapConfig: url.searchParams.get('tapConfig') ?? '',
    destination: url.searchParams.get('destination') ?? undefined,
    now: ctx.clock,
  });
  if (captures.length === 0) throw new LoopError('INGEST_INVALID', 'the body holds no captures');
  const prepared = new Map<string, Preparation>();
  for (let i = 0; i < captures.length; i++) {
    const c = captures[i]!;
    checkRequest(c, FIELD_OF_REQUEST[format](i, captures.length));
    let p = prepared.get(c.tapConfig);
    if (!p) prepared.set(c.tapConfig, (p = preparation(ctx, c.tapConfig)));
    captures[i] = capBodies(p.redact(c), p.cap);
  }
  return captures;
}

/** Where a capture's request is in each format, for the error naming it. */
const FIELD_OF_REQUEST: Record<Format, (i: number, n: number) => string> = {
  'envoy-json': (i, n) => `${n > 1 ? `trace ${i + 1} of ${n}: ` : ''}http_buffered_trace.request`,
  protobuf: () => 'trace_data.http_buffered_trace.request',
  'loop-json': (i) => `captures[${i}].request`,
  'loop-binary': (i) => `captures[${i}].request`,
};

/** Refuses a capture whose request cannot be listed or replayed (see requestProblem), naming where it is. */
function checkRequest(capture: CaptureInput, field: string): void {
  const problem = requestProblem(capture);
  if (problem === undefined) return;
  throw new LoopError('INGEST_INVALID', `${field} ${problem}: nothing to list, export or replay`, {
    hint: 'a tap sends the request headers (:method, :path, …) with every trace; a trace without them is not a captured request',
    details: { path: field.replace(/^.*: /, '') },
  });
}

interface DecodeContext {
  source: string;
  tapConfig: string;
  destination: string | undefined;
  /** For a trace without headers_received_time (Envoy's record_headers_received_time off, Gloo): capturedAt is now. */
  now: () => Date;
}

function decodeBatch(format: Format, body: Buffer, dc: DecodeContext): CaptureInput[] {
  // capturedAt is the trace's own time when it has one (see traceToCaptureInput), as for the admin /tap
  // collector: an imported file of last week's taps is last week's captures, not today's.
  const traceCtx = { source: dc.source, tapConfig: dc.tapConfig, now: dc.now, ...(dc.destination !== undefined ? { destination: dc.destination } : {}) };
  switch (format) {
    case 'protobuf':
      return [decodeTapRequest(body, traceCtx)];
    case 'loop-binary':
      return decodeCaptureBatch(body);
    case 'loop-json': {
      const doc = parseJson(body, 'body');
      if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { captures?: unknown }).captures)) {
        throw new LoopError('INGEST_INVALID', 'body: expected an object {"captures": [...]}');
      }
      return ((doc as { captures: unknown[] }).captures).map((c, i) => captureInputFromJson(c, `captures[${i}]`));
    }
    case 'envoy-json': {
      const items = jsonItems(body);
      const captures: CaptureInput[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        try {
          captures[i] = decodeEnvoyTrace(items[i], traceCtx);
        } catch (err) {
          if (items.length === 1) throw err;
          const hint = isLoopError(err) ? err.hint : undefined;
          throw new LoopError('INGEST_INVALID', `trace ${i + 1} of ${items.length}: ${messageOf(err)}`, { cause: err, ...(hint ? { hint } : {}) });
        }
        // Let the parsed trace (its base64 body strings above all) be collected while the rest decode.
        items[i] = undefined;
      }
      return captures;
    }
  }
}

/** One JSON value, a JSON array of values, NDJSON, or concatenated objects. */
function jsonItems(body: Buffer): unknown[] {
  // Fast path: the whole body is one JSON document (one trace, or an array of them).
  let whole: unknown;
  let parsed = false;
  try {
    whole = JSON.parse(bodyText(body));
    parsed = true;
  } catch {
    // not a single document: split it below
  }
  if (parsed) return Array.isArray(whole) ? whole : [whole];
  return splitJsonTexts(body).map((text, i) => parseJson(text, `JSON value ${i + 1}`));
}

function parseJson(text: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : bodyText(text));
  } catch (err) {
    throw new LoopError('INGEST_INVALID', `${what}: invalid JSON: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * The body as a string. For ASCII (what Envoy's JSON almost always is: bodies are base64) Latin-1 gives the
 * same string as UTF-8 and is a plain copy, without the UTF-8 decoder's per-byte work.
 */
function bodyText(body: Buffer): string {
  return isAscii(body) ? body.toString('latin1') : body.toString('utf8');
}

interface Preparation {
  redact: Redactor;
  cap: number;
}

/**
 * Redaction (server rules plus the matching TapConfig's) and the body cap for captures of one TapConfig,
 * compiled once per batch rather than once per capture.
 */
function preparation(ctx: ServerContext, tapConfig: string): Preparation {
  const spec = tapConfig ? ctx.registry.get(tapConfig)?.spec : undefined;
  return { redact: captureRedactor(ctx, tapConfig), cap: Math.min(ctx.options.maxBodyBytes, spec?.maxBodyBytes ?? Infinity) };
}

/**
 * The redaction a capture of `tapConfig` gets on ingest: the server's rules plus the TapConfig's. Replays
 * apply it to what the destination answered, so a stored replay keeps no secret its capture would not.
 */
export function captureRedactor(ctx: ServerContext, tapConfig: string): Redactor {
  const spec = tapConfig ? ctx.registry.get(tapConfig)?.spec : undefined;
  return createRedactor({
    headers: [...ctx.options.redactHeaders, ...(spec?.redact?.headers ?? [])],
    jsonFields: [...ctx.options.redactJsonFields, ...(spec?.redact?.jsonFields ?? [])],
    patterns: [...ctx.options.redactPatterns, ...(spec?.redact?.patterns ?? [])],
  });
}

function capBodies(capture: CaptureInput, cap: number): CaptureInput {
  const over = (capture.request.body?.bytes.length ?? 0) > cap || (capture.response.body?.bytes.length ?? 0) > cap;
  if (!over) return capture;
  const capMessage = (m: CaptureInput['request']): CaptureInput['request'] =>
    m.body && m.body.bytes.length > cap ? { ...m, body: { bytes: m.body.bytes.subarray(0, cap), truncated: true } } : m;
  return { ...capture, request: capMessage(capture.request), response: capMessage(capture.response) };
}

/** Redacts, caps and stores captures that arrived another way than POST /v1/taps (Gloo's gRPC tap sink). */
export async function storeTaps(ctx: ServerContext, captures: CaptureInput[], format: string): Promise<number[]> {
  const prepared = new Map<string, Preparation>();
  const ready = captures.map((c, i) => {
    checkRequest(c, `${captures.length > 1 ? `trace ${i + 1} of ${captures.length}: ` : ''}http_buffered_trace.request`);
    let p = prepared.get(c.tapConfig);
    if (!p) prepared.set(c.tapConfig, (p = preparation(ctx, c.tapConfig)));
    return capBodies(p.redact(c), p.cap);
  });
  return counted(ctx, format, ctx.store.insertBatch(ready));
}

/**
 * The stored batch's ids, with the batch and its captures counted; a batch the store could not take
 * (PostgreSQL away, a full disk) is counted as `failed`, as the client's 503/500 is.
 */
async function counted(ctx: ServerContext, format: string, inserting: Promise<number[]>): Promise<number[]> {
  let ids: number[];
  try {
    ids = await inserting;
  } catch (err) {
    ctx.metrics.ingestBatches.inc({ format, outcome: 'failed' });
    throw err;
  }
  ctx.metrics.ingestBatches.inc({ format, outcome: 'stored' });
  ctx.metrics.capturesIngested.inc({ format }, ids.length);
  return ids;
}
