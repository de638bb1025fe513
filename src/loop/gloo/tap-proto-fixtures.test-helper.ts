// Tap messages encoded by protobufjs from proto/tap.proto, for tests: an encoder independent of our
// codec (src/capture/tap-request-proto.ts), so what the gRPC sink and `loopctl import` read is
// cross-checked against another implementation. Not part of the build.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { CaptureInput, CapturedMessage } from '../../capture/capture.js';

const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../proto');

export interface TapProto {
  TapRequest: protobuf.Type;
  TraceWrapper: protobuf.Type;
}

export async function loadTapProto(): Promise<TapProto> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
  await root.load('tap.proto', { keepCase: true });
  return { TapRequest: root.lookupType('envoy.service.tap.v3.TapRequest'), TraceWrapper: root.lookupType('envoy.data.tap.v3.TraceWrapper') };
}

function pbMessage(m: CapturedMessage): Record<string, unknown> {
  return {
    headers: m.headers.map(([key, value]) => ({ key, value })),
    trailers: m.trailers.map(([key, value]) => ({ key, value })),
    ...(m.body ? { body: { as_bytes: m.body.bytes, truncated: m.body.truncated } } : {}),
    ...(m.headersReceivedAt !== undefined ? { headers_received_time: pbTimestamp(m.headersReceivedAt) } : {}),
  };
}

/** google.protobuf.Timestamp {seconds, nanos} of an RFC 3339 time with at most millisecond digits. */
function pbTimestamp(rfc3339: string): { seconds: number; nanos: number } {
  const ms = Date.parse(rfc3339);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** A TraceWrapper as a protobufjs plain object (request and response only: what these tests check). */
export function pbTrace(c: CaptureInput): Record<string, unknown> {
  return { http_buffered_trace: { request: pbMessage(c.request), response: pbMessage(c.response) } };
}

export function pbTapRequest(proto: TapProto, c: CaptureInput): Buffer {
  return Buffer.from(proto.TapRequest.encode(proto.TapRequest.fromObject({ trace_data: pbTrace(c) })).finish());
}

/** Envoy's PROTO_BINARY file: one bare TraceWrapper. */
export function pbTraceWrapper(proto: TapProto, c: CaptureInput): Buffer {
  return Buffer.from(proto.TraceWrapper.encode(proto.TraceWrapper.fromObject(pbTrace(c))).finish());
}

/** Envoy's PROTO_BINARY_LENGTH_DELIMITED file: varint length, TraceWrapper, repeated. */
export function pbLengthDelimited(proto: TapProto, cs: CaptureInput[]): Buffer {
  const w = protobuf.Writer.create();
  for (const c of cs) proto.TraceWrapper.encodeDelimited(proto.TraceWrapper.fromObject(pbTrace(c)), w);
  return Buffer.from(w.finish());
}

/** A small failing exchange; `path` tells traces apart. */
export function tapCapture(path: string, status = 500, extraRequestHeaders: Array<[string, string]> = []): CaptureInput {
  return {
    capturedAt: '2026-11-26T08:00:00.000Z',
    tapConfig: '',
    source: 'test',
    destination: '',
    durationMs: null,
    request: { headers: [[':method', 'GET'], [':path', path], [':authority', 'web.default:9090'], ...extraRequestHeaders], trailers: [] },
    response: { headers: [[':status', String(status)]], body: { bytes: Buffer.from(`failed at ${path}`), truncated: false }, trailers: [] },
  };
}
