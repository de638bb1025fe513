// Envoy's `envoy.data.tap.v3.TraceWrapper` in proto3 JSON, as Envoy's tap sinks and admin /tap
// stream print it: decode into a CaptureInput, and encode a capture back the way Envoy prints it
// (snake_case, `truncated: false` and `trailers: []` always printed, body as base64 `as_bytes`).
// The decoder accepts what proto3 JSON parsers accept: lowerCamelCase names, null for "absent",
// int64/uint32 values as strings, Timestamps as RFC 3339. Only buffered HTTP traces are captures.
import type { CaptureInput, CapturedBody, CapturedMessage, ConnectionInfo, HeaderList, SocketAddress } from './capture.js';
import { expected, invalidInput, isJsonObject } from './decode-error.js';
import { type EnvoyHttpTrace, type TraceContext, traceToCaptureInput } from './envoy-trace.js';
import { formatRfc3339, isValidTimestamp, parseRfc3339 } from './timestamp.js';

type JsonObject = Record<string, unknown>;

const OTHER_TRACE_KINDS: ReadonlyArray<[snake: string, camel: string, what: string]> = [
  ['http_streamed_trace_segment', 'httpStreamedTraceSegment', 'streamed HTTP trace segments'],
  ['socket_buffered_trace', 'socketBufferedTrace', 'socket (transport) traces'],
  ['socket_streamed_trace_segment', 'socketStreamedTraceSegment', 'socket (transport) traces'],
];

/**
 * Decodes one TraceWrapper (already JSON.parse'd) into a capture.
 * @example decodeEnvoyTrace(JSON.parse(text), { source: 'envoy-admin' })
 */
export function decodeEnvoyTrace(json: unknown, ctx: TraceContext): CaptureInput {
  return traceToCaptureInput(envoyTraceFromJson(json), ctx);
}

/** Parses a TraceWrapper JSON value into the neutral trace; throws INGEST_INVALID naming the field. */
export function envoyTraceFromJson(json: unknown): EnvoyHttpTrace {
  if (!isJsonObject(json)) throw expected('trace', 'a JSON object (an Envoy TraceWrapper)', json);
  const hbt = field(json, 'http_buffered_trace', 'httpBufferedTrace', '');
  if (hbt === undefined) {
    for (const [snake, camel, what] of OTHER_TRACE_KINDS) {
      if (json[snake] !== undefined || json[camel] !== undefined) {
        throw invalidInput(
          snake,
          `${what} are not supported; only buffered HTTP traces (http_buffered_trace) can be captured — set the tap's output_config.streaming to false`,
        );
      }
    }
    const keys = Object.keys(json);
    const shown = keys.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k));
    throw invalidInput(
      'trace',
      `expected an Envoy TraceWrapper with http_buffered_trace, got ${keys.length === 0 ? 'an empty object' : `keys ${shown.join(', ')}${keys.length > 5 ? ', …' : ''}`}`,
    );
  }
  const path = 'http_buffered_trace';
  if (!isJsonObject(hbt)) throw expected(path, 'an object', hbt);
  const trace: EnvoyHttpTrace = {};
  const request = message(field(hbt, 'request', 'request', path), `${path}.request`);
  if (request) trace.request = request;
  const response = message(field(hbt, 'response', 'response', path), `${path}.response`);
  if (response) trace.response = response;
  const downstream = connection(
    field(hbt, 'downstream_connection', 'downstreamConnection', path),
    `${path}.downstream_connection`,
  );
  if (downstream) trace.downstream = downstream;
  const upstream = connection(field(hbt, 'upstream_connection', 'upstreamConnection', path), `${path}.upstream_connection`);
  if (upstream) trace.upstream = upstream;
  return trace;
}

/** A field by its proto name or its lowerCamelCase JSON name; null means absent (proto3 JSON). */
function field(obj: JsonObject, snake: string, camel: string, path: string): unknown {
  const a = obj[snake];
  if (snake === camel) return a === null ? undefined : a;
  const b = obj[camel];
  if (a !== undefined && b !== undefined) {
    throw invalidInput(path, `both ${snake} and ${camel} given; use one`);
  }
  const v = a === undefined ? b : a;
  return v === null ? undefined : v;
}

function message(v: unknown, path: string): CapturedMessage | undefined {
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw expected(path, 'an object', v);
  const msg: CapturedMessage = {
    headers: headerList(field(v, 'headers', 'headers', path), path, 'headers'),
    trailers: headerList(field(v, 'trailers', 'trailers', path), path, 'trailers'),
  };
  const body = field(v, 'body', 'body', path);
  if (body !== undefined) msg.body = decodeBody(body, `${path}.body`);
  const t = field(v, 'headers_received_time', 'headersReceivedTime', path);
  if (t !== undefined) msg.headersReceivedAt = timestamp(t, `${path}.headers_received_time`);
  return msg;
}

function headerList(v: unknown, parent: string, name: string): HeaderList {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw expected(`${parent}.${name}`, 'an array of {key, value}', v);
  const out: HeaderList = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const h: unknown = v[i];
    if (!isJsonObject(h)) throw expected(`${parent}.${name}[${i}]`, 'an object {key, value}', h);
    const key: unknown = h.key ?? '';
    if (typeof key !== 'string') throw expected(`${parent}.${name}[${i}].key`, 'a string', key);
    const rawText: unknown = h.value ?? '';
    if (typeof rawText !== 'string') throw expected(`${parent}.${name}[${i}].value`, 'a string', rawText);
    let value = rawText;
    const raw = h.raw_value ?? h.rawValue;
    if (raw !== undefined && raw !== null) {
      if (typeof raw !== 'string') throw expected(`${parent}.${name}[${i}].raw_value`, 'a base64 string', raw);
      // Envoy fills raw_value (and leaves value empty) when the value is not valid UTF-8. Latin-1 keeps
      // every byte as one char, which is also how Node writes header strings back out on replay.
      if (value === '' && raw !== '') value = base64(raw, `${parent}.${name}[${i}].raw_value`).toString('latin1');
    }
    out[i] = [key, value];
  }
  return out;
}

function decodeBody(v: unknown, path: string): CapturedBody {
  if (!isJsonObject(v)) throw expected(path, 'an object {as_bytes | as_string, truncated}', v);
  const truncated = field(v, 'truncated', 'truncated', path) ?? false;
  if (typeof truncated !== 'boolean') throw expected(`${path}.truncated`, 'a boolean', truncated);
  const asBytes = field(v, 'as_bytes', 'asBytes', path);
  const asString = field(v, 'as_string', 'asString', path);
  if (asBytes !== undefined && asString !== undefined) {
    throw invalidInput(path, 'as_bytes and as_string are one field (a oneof); give only one');
  }
  let bytes: Buffer;
  if (asBytes !== undefined) {
    if (typeof asBytes !== 'string') throw expected(`${path}.as_bytes`, 'a base64 string', asBytes);
    bytes = base64(asBytes, `${path}.as_bytes`);
  } else if (asString !== undefined) {
    if (typeof asString !== 'string') throw expected(`${path}.as_string`, 'a string', asString);
    bytes = Buffer.from(asString, 'utf8');
  } else {
    bytes = Buffer.alloc(0);
  }
  return { bytes, truncated };
}

/**
 * Decodes base64 in the standard or URL-safe alphabet, padding optional (what proto3 JSON parsers
 * accept). Node's decoder skips characters outside the alphabet, so a string is valid exactly when
 * nothing was skipped: the decoded length must match the length the string implies. This avoids a
 * separate validation pass over large bodies.
 */
function base64(s: string, path: string): Buffer {
  let n = s.length;
  if (n > 0 && s.charCodeAt(n - 1) === 0x3d) n--;
  if (n > 0 && s.charCodeAt(n - 1) === 0x3d) n--;
  const bytes = Buffer.from(s, 'base64');
  if (n % 4 === 1 || bytes.length !== Math.floor((n * 3) / 4) || (n < s.length && s.length % 4 !== 0)) {
    throw invalidInput(path, `expected base64, got a string that is not (length ${s.length})`);
  }
  return bytes;
}

function timestamp(v: unknown, path: string): string {
  if (typeof v === 'string') {
    const ts = parseRfc3339(v);
    if (!ts) throw invalidInput(path, `expected an RFC 3339 timestamp like "2026-01-02T03:04:05.123Z", got ${JSON.stringify(v.slice(0, 40))}`);
    return formatRfc3339(ts);
  }
  // Not proto3 JSON, but what generic JSON encoders of the Timestamp message print.
  if (isJsonObject(v)) {
    const seconds = int64(v.seconds ?? 0, `${path}.seconds`);
    const nanos = v.nanos ?? 0;
    if (typeof nanos !== 'number' || !Number.isInteger(nanos)) throw expected(`${path}.nanos`, 'an integer', nanos);
    const ts = { seconds, nanos };
    if (!isValidTimestamp(ts)) throw invalidInput(path, 'expected a time between years 1 and 9999 with nanos in 0..999999999');
    return formatRfc3339(ts);
  }
  throw expected(path, 'an RFC 3339 timestamp string', v);
}

/** int64 as proto3 JSON prints it (a decimal string) or as a plain JSON number. */
function int64(v: unknown, path: string): number {
  const n = typeof v === 'string' && /^-?\d{1,20}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw expected(path, 'an integer (number or decimal string)', v);
  return n;
}

function connection(v: unknown, path: string): ConnectionInfo | undefined {
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw expected(path, 'an object {local_address, remote_address}', v);
  const info: ConnectionInfo = {};
  const local = address(field(v, 'local_address', 'localAddress', path), `${path}.local_address`);
  if (local) info.local = local;
  const remote = address(field(v, 'remote_address', 'remoteAddress', path), `${path}.remote_address`);
  if (remote) info.remote = remote;
  return info;
}

/** Only socket addresses become capture addresses; pipes and internal listeners have no host:port. */
function address(v: unknown, path: string): SocketAddress | undefined {
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw expected(path, 'an object {socket_address}', v);
  const sa = field(v, 'socket_address', 'socketAddress', path);
  if (sa === undefined) return undefined;
  const sp = `${path}.socket_address`;
  if (!isJsonObject(sa)) throw expected(sp, 'an object {address, port_value}', sa);
  const addr = sa.address ?? '';
  if (typeof addr !== 'string') throw expected(`${sp}.address`, 'a string', addr);
  const rawPort = field(sa, 'port_value', 'portValue', sp) ?? 0;
  const port = typeof rawPort === 'string' && /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : rawPort;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidInput(`${sp}.port_value`, `expected a port 0..65535 (number or string), got ${typeof rawPort === 'string' ? JSON.stringify(rawPort.slice(0, 20)) : String(rawPort)}`);
  }
  return { address: addr, port };
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface EnvoyTraceJsonOptions {
  /** `bytes` (default, Envoy's JSON_BODY_AS_BYTES) or `string` (JSON_BODY_AS_STRING; lossy for non-UTF-8). */
  bodyAs?: 'bytes' | 'string';
}

interface HeaderJson {
  key: string;
  value: string;
}
interface BodyJson {
  truncated: boolean;
  as_bytes?: string;
  as_string?: string;
}
interface MessageJson {
  headers: HeaderJson[];
  body?: BodyJson;
  trailers: HeaderJson[];
  headers_received_time?: string;
}
interface AddressJson {
  socket_address: { address: string; port_value: number };
}
interface ConnectionJson {
  local_address?: AddressJson;
  remote_address?: AddressJson;
}
/** A TraceWrapper as Envoy prints it. */
export interface EnvoyTraceJson {
  http_buffered_trace: {
    request: MessageJson;
    response: MessageJson;
    downstream_connection?: ConnectionJson;
    upstream_connection?: ConnectionJson;
  };
}

/** Encodes a capture as the TraceWrapper JSON Envoy would have printed for it. */
export function encodeEnvoyTrace(capture: CaptureInput, options: EnvoyTraceJsonOptions = {}): EnvoyTraceJson {
  const asString = options.bodyAs === 'string';
  const out: EnvoyTraceJson = {
    http_buffered_trace: {
      request: encodeMessage(capture.request, asString),
      response: encodeMessage(capture.response, asString),
    },
  };
  if (capture.downstream) out.http_buffered_trace.downstream_connection = encodeConnection(capture.downstream);
  if (capture.upstream) out.http_buffered_trace.upstream_connection = encodeConnection(capture.upstream);
  return out;
}

function encodeMessage(m: CapturedMessage, asString: boolean): MessageJson {
  // Built in Envoy's field order (headers, body, trailers, time) so printed keys line up with Envoy's.
  const out: MessageJson = { headers: m.headers.map(([key, value]) => ({ key, value })) } as MessageJson;
  if (m.body) {
    out.body = asString
      ? { truncated: m.body.truncated, as_string: m.body.bytes.toString('utf8') }
      : { truncated: m.body.truncated, as_bytes: m.body.bytes.toString('base64') };
  }
  out.trailers = m.trailers.map(([key, value]) => ({ key, value }));
  if (m.headersReceivedAt !== undefined) {
    const ts = parseRfc3339(m.headersReceivedAt);
    if (!ts) throw invalidInput('headersReceivedAt', `expected an RFC 3339 timestamp, got ${JSON.stringify(m.headersReceivedAt)}`);
    out.headers_received_time = formatRfc3339(ts);
  }
  return out;
}

function encodeConnection(c: ConnectionInfo): ConnectionJson {
  const out: ConnectionJson = {};
  if (c.local) out.local_address = { socket_address: { address: c.local.address, port_value: c.local.port } };
  if (c.remote) out.remote_address = { socket_address: { address: c.remote.address, port_value: c.remote.port } };
  return out;
}
