// The captured exchange: one request and its response as a tap saw them.
// Shaped after Envoy's envoy.data.tap.v3.HttpBufferedTrace so Envoy's output maps onto it without loss:
// headers are ordered [name, value] pairs with HTTP/2 pseudo-headers (:method, :path, :authority, :scheme,
// :status) included, bodies are bytes with a truncated flag, trailers are kept.

/** Ordered header pairs; names as received (compare case-insensitively), duplicates allowed. */
export type HeaderList = Array<[name: string, value: string]>;

export interface CapturedBody {
  bytes: Buffer;
  /** True when the tap stopped copying at its body cap; `bytes` is then a prefix of the real body. */
  truncated: boolean;
}

export interface CapturedMessage {
  headers: HeaderList;
  body?: CapturedBody;
  trailers: HeaderList;
  /** RFC 3339 time the headers were received, when the tap recorded it (Envoy's headers_received_time). */
  headersReceivedAt?: string;
}

export interface SocketAddress {
  address: string;
  port: number;
}

export interface ConnectionInfo {
  local?: SocketAddress;
  remote?: SocketAddress;
}

/** A capture before the store gave it an id. */
export interface CaptureInput {
  /** RFC 3339. */
  capturedAt: string;
  /** `namespace/name` of the TapConfig that matched; empty when unknown (e.g. a raw Envoy trace). */
  tapConfig: string;
  /** Which tap produced it: a gateway name, an Envoy admin address, `gloo`, … */
  source: string;
  /** Upstream name or host:port; empty when unknown (the tutorial's table shows it blank). */
  destination: string;
  durationMs: number | null;
  request: CapturedMessage;
  /** Headers empty when the upstream never answered (the trace has no response). */
  response: CapturedMessage;
  downstream?: ConnectionInfo;
  upstream?: ConnectionInfo;
}

export interface Capture extends CaptureInput {
  id: number;
}

/** The columns `loopctl list` and the list API show, derived from a capture. */
export interface CaptureSummary {
  id: number;
  capturedAt: string;
  tapConfig: string;
  source: string;
  destination: string;
  method: string;
  path: string;
  authority: string;
  /** 0 when there was no response. */
  status: number;
  durationMs: number | null;
  requestBytes: number;
  responseBytes: number;
}

/**
 * All values of a header, joined with "," as Envoy's header matcher sees them; undefined when absent.
 * Names compare case-insensitively.
 */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  return pairsHeaderValue(headers, headerKey(name));
}

/** A header name made ready for many lookups: what `headerValue` works out about `name` on every call. */
export interface HeaderKey {
  /** The name lowercased. */
  lower: string;
  /**
   * Lowercasing keeps the length of every character but U+0130 (İ → i̇): most names are ruled out by length
   * before a lowercased copy is made, except when the name holds what İ lowercases to.
   */
  odd: boolean;
}

export function headerKey(name: string): HeaderKey {
  const lower = name.toLowerCase();
  return { lower, odd: lower.includes('i\u0307') };
}

/** `headerValue` with a prepared name; `first` is a value that comes before the list's (a pseudo-header's). */
export function pairsHeaderValue(headers: HeaderList, key: HeaderKey, first?: string): string | undefined {
  let out = first;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i]!;
    if (sameName(pair[0], key)) out = out === undefined ? pair[1] : `${out},${pair[1]}`;
  }
  return out;
}

/** `pairsHeaderValue` over Node's flat form (`[name, value, name, value…]`), so no pairs need making. */
export function rawHeaderValue(raw: readonly string[], key: HeaderKey, first?: string): string | undefined {
  let out = first;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (sameName(raw[i]!, key)) out = out === undefined ? raw[i + 1]! : `${out},${raw[i + 1]!}`;
  }
  return out;
}

// This runs on every header of every tapped exchange: a lowercased copy is made only for a name that can equal.
function sameName(name: string, key: HeaderKey): boolean {
  return name === key.lower || ((name.length === key.lower.length || key.odd) && name.toLowerCase() === key.lower);
}

/** Node's flat headers (`[name, value, name, value…]`) appended to `list` as pairs; answers `list`. */
export function appendRawPairs(list: HeaderList, raw: readonly string[]): HeaderList {
  for (let i = 0; i + 1 < raw.length; i += 2) list.push([raw[i]!, raw[i + 1]!]);
  return list;
}

/** Node's flat headers as new ordered pairs (the tap's and the capture's form). */
export function rawHeaderPairs(raw: readonly string[]): HeaderList {
  return appendRawPairs([], raw);
}

export function statusOf(capture: CaptureInput): number {
  const raw = headerValue(capture.response.headers, ':status');
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? n : 0;
}

export function summarize(capture: Capture): CaptureSummary {
  const req = capture.request.headers;
  return {
    id: capture.id,
    capturedAt: capture.capturedAt,
    tapConfig: capture.tapConfig,
    source: capture.source,
    destination: capture.destination,
    method: headerValue(req, ':method') ?? '',
    path: headerValue(req, ':path') ?? '',
    authority: headerValue(req, ':authority') ?? headerValue(req, 'host') ?? '',
    status: statusOf(capture),
    durationMs: capture.durationMs,
    requestBytes: capture.request.body?.bytes.length ?? 0,
    responseBytes: capture.response.body?.bytes.length ?? 0,
  };
}

/** Pseudo-headers (`:method`, …) are HTTP/2 framing, not headers a replay sends. */
export function isPseudoHeader(name: string): boolean {
  return name.startsWith(':');
}

/**
 * Why a capture's request cannot be stored, or undefined when it can. A capture without a response is
 * fine (a request the upstream never answered); one without the request's :method, or its :path (which
 * only CONNECT may lack), is not: it cannot be listed, exported or replayed. An empty Envoy trace
 * (`{"http_buffered_trace":{}}`) is the usual case.
 */
export function requestProblem(capture: CaptureInput): string | undefined {
  const headers = capture.request.headers;
  if (headers.length === 0) return 'has no headers (no :method, no :path)';
  const method = headerValue(headers, ':method');
  const path = headerValue(headers, ':path');
  if (!method && !path) return 'has no :method and no :path header';
  if (!method) return 'has no :method header';
  if (!path && method.toUpperCase() !== 'CONNECT') return `has no :path header (method ${method})`;
  return undefined;
}
