// The project's own JSON form of a capture, used by the HTTP API and by gateways shipping captures
// to the loop server. Same shape as Capture/CaptureInput, but bodies become
// `{ encoding: 'utf8' | 'base64', data, truncated, size }` — readable text when the bytes are valid
// UTF-8, base64 otherwise. The reader validates strictly and names the offending field.
import { isUtf8 } from 'node:buffer';
import type { Capture, CaptureInput, CapturedBody, CapturedMessage, ConnectionInfo, HeaderList, SocketAddress } from './capture.js';
import { expected, invalidInput, isJsonObject } from './decode-error.js';
import { parseRfc3339 } from './timestamp.js';

export interface BodyJson {
  encoding: 'utf8' | 'base64';
  data: string;
  truncated: boolean;
  /** Byte length of the captured (possibly truncated) body. */
  size: number;
}

export interface MessageJson {
  headers: HeaderList;
  body?: BodyJson;
  trailers: HeaderList;
  headersReceivedAt?: string;
}

export interface CaptureJson {
  /** Present for stored captures. */
  id?: number;
  capturedAt: string;
  tapConfig: string;
  source: string;
  destination: string;
  durationMs: number | null;
  request: MessageJson;
  response: MessageJson;
  downstream?: ConnectionInfo;
  upstream?: ConnectionInfo;
}

export function bodyToJson(body: CapturedBody): BodyJson {
  const utf8 = isUtf8(body.bytes);
  return {
    encoding: utf8 ? 'utf8' : 'base64',
    data: body.bytes.toString(utf8 ? 'utf8' : 'base64'),
    truncated: body.truncated,
    size: body.bytes.length,
  };
}

export function messageToJson(m: CapturedMessage): MessageJson {
  const out = { headers: m.headers } as MessageJson; // keys in field order: headers, body, trailers
  if (m.body) out.body = bodyToJson(m.body);
  out.trailers = m.trailers;
  if (m.headersReceivedAt !== undefined) out.headersReceivedAt = m.headersReceivedAt;
  return out;
}

/** The JSON form of a capture (header lists are shared with the input, not copied). */
export function captureToJson(capture: Capture | CaptureInput): CaptureJson {
  const out: CaptureJson = {
    ...('id' in capture ? { id: capture.id } : {}),
    capturedAt: capture.capturedAt,
    tapConfig: capture.tapConfig,
    source: capture.source,
    destination: capture.destination,
    durationMs: capture.durationMs,
    request: messageToJson(capture.request),
    response: messageToJson(capture.response),
  };
  if (capture.downstream) out.downstream = capture.downstream;
  if (capture.upstream) out.upstream = capture.upstream;
  return out;
}

const CAPTURE_KEYS = new Set(['id', 'capturedAt', 'tapConfig', 'source', 'destination', 'durationMs', 'request', 'response', 'downstream', 'upstream']);
const MESSAGE_KEYS = new Set(['headers', 'body', 'trailers', 'headersReceivedAt']);
const BODY_KEYS = new Set(['encoding', 'data', 'truncated', 'size']);
const CONNECTION_KEYS = new Set(['local', 'remote']);
const ADDRESS_KEYS = new Set(['address', 'port']);

/**
 * Validates a capture in the project's JSON form. `where` prefixes every error path
 * (e.g. `captures[3]` → `captures[3].request.headers[0]: expected [name, value] strings, got array`).
 * `id` is accepted and ignored (the store assigns ids); other unknown keys are rejected.
 */
export function captureInputFromJson(value: unknown, where: string): CaptureInput {
  const v = object(value, where, CAPTURE_KEYS);
  if (v.id !== undefined && (typeof v.id !== 'number' || !Number.isSafeInteger(v.id))) throw expected(`${where}.id`, 'an integer', v.id);
  const capturedAt = v.capturedAt;
  if (typeof capturedAt !== 'string' || parseRfc3339(capturedAt) === undefined) {
    throw typeof capturedAt === 'string'
      ? invalidInput(`${where}.capturedAt`, `expected an RFC 3339 time, got ${JSON.stringify(capturedAt.slice(0, 40))}`)
      : expected(`${where}.capturedAt`, 'an RFC 3339 time string', capturedAt);
  }
  const durationMs = v.durationMs ?? null;
  if (durationMs !== null && (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0)) {
    throw expected(`${where}.durationMs`, 'a non-negative number or null', durationMs);
  }
  const capture: CaptureInput = {
    capturedAt,
    tapConfig: optionalString(v.tapConfig, `${where}.tapConfig`),
    source: requiredString(v.source, `${where}.source`),
    destination: optionalString(v.destination, `${where}.destination`),
    durationMs,
    request: message(v.request, `${where}.request`),
    response: message(v.response, `${where}.response`),
  };
  if (v.downstream !== undefined) capture.downstream = connection(v.downstream, `${where}.downstream`);
  if (v.upstream !== undefined) capture.upstream = connection(v.upstream, `${where}.upstream`);
  return capture;
}

function object(value: unknown, path: string, keys: ReadonlySet<string>): Record<string, unknown> {
  if (!isJsonObject(value)) throw expected(path, 'an object', value);
  for (const k in value) {
    if (!keys.has(k)) {
      throw invalidInput(path, `unknown field ${JSON.stringify(k.slice(0, 40))}; expected only ${[...keys].join(', ')}`);
    }
  }
  return value;
}

function requiredString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw expected(path, 'a string', v);
  return v;
}

function optionalString(v: unknown, path: string): string {
  return v === undefined ? '' : requiredString(v, path);
}

function message(value: unknown, path: string): CapturedMessage {
  const v = object(value, path, MESSAGE_KEYS);
  const msg: CapturedMessage = {
    headers: headerList(v.headers, `${path}.headers`, true),
    trailers: headerList(v.trailers, `${path}.trailers`, false),
  };
  if (v.body !== undefined) msg.body = body(v.body, `${path}.body`);
  if (v.headersReceivedAt !== undefined) {
    const t = v.headersReceivedAt;
    if (typeof t !== 'string' || parseRfc3339(t) === undefined) {
      throw typeof t === 'string'
        ? invalidInput(`${path}.headersReceivedAt`, `expected an RFC 3339 time, got ${JSON.stringify(t.slice(0, 40))}`)
        : expected(`${path}.headersReceivedAt`, 'an RFC 3339 time string', t);
    }
    msg.headersReceivedAt = t;
  }
  return msg;
}

function headerList(v: unknown, path: string, required: boolean): HeaderList {
  if (v === undefined && !required) return [];
  if (!Array.isArray(v)) throw expected(path, 'an array of [name, value] pairs', v);
  for (let i = 0; i < v.length; i++) {
    const pair: unknown = v[i];
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw invalidInput(`${path}[${i}]`, `expected a [name, value] pair of strings, got ${describePair(pair)}`);
    }
  }
  // Validated in place: the pairs already have the HeaderList shape, no copy needed.
  return v as HeaderList;
}

function describePair(pair: unknown): string {
  if (!Array.isArray(pair)) return pair === null ? 'null' : typeof pair;
  if (pair.length !== 2) return `an array of ${pair.length}`;
  return `[${pair.map((x) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x)).join(', ')}]`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function body(value: unknown, path: string): CapturedBody {
  const v = object(value, path, BODY_KEYS);
  if (v.encoding !== 'utf8' && v.encoding !== 'base64') {
    throw invalidInput(`${path}.encoding`, `expected "utf8" or "base64", got ${typeof v.encoding === 'string' ? JSON.stringify(v.encoding.slice(0, 20)) : describe(v.encoding)}`);
  }
  const data = requiredString(v.data, `${path}.data`);
  if (typeof v.truncated !== 'boolean') throw expected(`${path}.truncated`, 'a boolean', v.truncated);
  let bytes: Buffer;
  if (v.encoding === 'base64') {
    if (data.length % 4 !== 0 || !BASE64.test(data)) throw invalidInput(`${path}.data`, 'expected padded standard base64 (encoding is "base64")');
    bytes = Buffer.from(data, 'base64');
  } else {
    bytes = Buffer.from(data, 'utf8');
  }
  if (v.size !== undefined && v.size !== bytes.length) {
    throw invalidInput(`${path}.size`, `expected ${bytes.length} (the byte length of data), got ${typeof v.size === 'number' ? v.size : describe(v.size)}`);
  }
  return { bytes, truncated: v.truncated };
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function connection(value: unknown, path: string): ConnectionInfo {
  const v = object(value, path, CONNECTION_KEYS);
  const info: ConnectionInfo = {};
  if (v.local !== undefined) info.local = address(v.local, `${path}.local`);
  if (v.remote !== undefined) info.remote = address(v.remote, `${path}.remote`);
  return info;
}

function address(value: unknown, path: string): SocketAddress {
  const v = object(value, path, ADDRESS_KEYS);
  const port = v.port;
  if (typeof port !== 'number') throw expected(`${path}.port`, 'an integer port 0..65535', port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidInput(`${path}.port`, `expected an integer port 0..65535, got ${port}`);
  }
  return { address: requiredString(v.address, `${path}.address`), port };
}
