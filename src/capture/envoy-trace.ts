// The neutral form of one Envoy HttpBufferedTrace, shared by the JSON and protobuf codecs, and the
// single mapping from it into a CaptureInput. Both decoders only parse their wire format into an
// `EnvoyHttpTrace`; the defaults (capturedAt, destination, durationMs, absent response) are decided
// here once, so a trace means the same capture whichever format Envoy or Gloo sent it in.
import { formatHostPort } from '../core/host-port.js';
import type { CaptureInput, CapturedMessage, ConnectionInfo, SocketAddress } from './capture.js';
import { millisBetween, parseRfc3339 } from './timestamp.js';

/** One HttpBufferedTrace after decoding; fields absent in the input are absent here. */
export interface EnvoyHttpTrace {
  request?: CapturedMessage;
  response?: CapturedMessage;
  downstream?: ConnectionInfo;
  upstream?: ConnectionInfo;
}

/** What the wire format does not say: who sent the trace and, optionally, overrides. */
export interface TraceContext {
  /** Which tap produced it (an Envoy admin address, `gloo`, …). */
  source: string;
  /** `namespace/name` of the TapConfig; default "". */
  tapConfig?: string;
  /** Default: the response's, else the request's headers_received_time, else `now()`. */
  capturedAt?: string;
  /** Default: the upstream connection's remote address as host:port, else "". */
  destination?: string;
  /** Clock for the last-resort capturedAt; default `() => new Date()`. */
  now?: () => Date;
}

/** Builds the capture a trace describes. Messages are reused, not copied. */
export function traceToCaptureInput(trace: EnvoyHttpTrace, ctx: TraceContext): CaptureInput {
  const request = trace.request ?? { headers: [], trailers: [] };
  const response = trace.response ?? { headers: [], trailers: [] };
  const requestAt = request.headersReceivedAt;
  const responseAt = response.headersReceivedAt;
  let durationMs: number | null = null;
  if (requestAt !== undefined && responseAt !== undefined) {
    const a = parseRfc3339(requestAt);
    const b = parseRfc3339(responseAt);
    if (a && b) durationMs = millisBetween(a, b);
  }
  const capture: CaptureInput = {
    capturedAt: ctx.capturedAt ?? responseAt ?? requestAt ?? (ctx.now ?? (() => new Date()))().toISOString(),
    tapConfig: ctx.tapConfig ?? '',
    source: ctx.source,
    destination: ctx.destination ?? (trace.upstream?.remote ? hostPort(trace.upstream.remote) : ''),
    durationMs,
    request,
    response,
  };
  if (trace.downstream) capture.downstream = trace.downstream;
  if (trace.upstream) capture.upstream = trace.upstream;
  return capture;
}

/** `host:port`, with IPv6 literals bracketed (`[::1]:8080`). */
export function hostPort(addr: SocketAddress): string {
  return formatHostPort(addr.address, addr.port);
}
