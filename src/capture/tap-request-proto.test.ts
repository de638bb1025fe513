import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoopError } from '../core/errors.js';
import type { CaptureInput, CapturedMessage, ConnectionInfo, SocketAddress } from './capture.js';
import { bareCapture, sampleCapture } from './capture-fixtures.test-helper.js';
import { decodeTapRequest, decodeTraceWrapper, encodeTapRequest, encodeTraceWrapper } from './tap-request-proto.js';
import { parseRfc3339 } from './timestamp.js';

const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');

let TapRequest: protobuf.Type;
let TraceWrapper: protobuf.Type;

beforeAll(async () => {
  const root = new protobuf.Root();
  // Imports are relative to proto/ (as with `protoc -I proto`); google/protobuf/* come with protobufjs.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
  await root.load('tap.proto', { keepCase: true });
  TapRequest = root.lookupType('envoy.service.tap.v3.TapRequest');
  TraceWrapper = root.lookupType('envoy.data.tap.v3.TraceWrapper');
});

// --- capture <-> protobufjs plain objects (written independently of the codec under test) ---

function pbMessage(m: CapturedMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    headers: m.headers.map(([key, value]) => ({ key, value })),
    trailers: m.trailers.map(([key, value]) => ({ key, value })),
  };
  if (m.body) out.body = { as_bytes: m.body.bytes, truncated: m.body.truncated };
  if (m.headersReceivedAt) out.headers_received_time = parseRfc3339(m.headersReceivedAt);
  return out;
}
function pbAddress(a: SocketAddress) {
  return { socket_address: { address: a.address, port_value: a.port } };
}
function pbConnection(c: ConnectionInfo) {
  return { ...(c.local ? { local_address: pbAddress(c.local) } : {}), ...(c.remote ? { remote_address: pbAddress(c.remote) } : {}) };
}
function pbTrace(c: CaptureInput): Record<string, unknown> {
  return {
    http_buffered_trace: {
      request: pbMessage(c.request),
      response: pbMessage(c.response),
      ...(c.downstream ? { downstream_connection: pbConnection(c.downstream) } : {}),
      ...(c.upstream ? { upstream_connection: pbConnection(c.upstream) } : {}),
    },
  };
}
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, bytes: String, defaults: true, arrays: true };

function ctxOf(c: CaptureInput) {
  return { source: c.source, tapConfig: c.tapConfig, capturedAt: c.capturedAt, destination: c.destination };
}

const CASES: Array<[string, CaptureInput]> = [
  ['full capture', sampleCapture()],
  ['bare capture', bareCapture()],
  [
    'binary truncated body, unicode headers, pre-1970 time, IPv6',
    sampleCapture({
      request: {
        headers: [
          [':method', 'PATCH'],
          ['x-emoji', 'crab 🦀 and é'],
          ['x-empty', ''],
        ],
        body: { bytes: Buffer.from([0, 1, 2, 0xff, 0xfe, 10]), truncated: true },
        trailers: [['x-trailer', 'yes']],
        headersReceivedAt: '1969-12-31T23:59:59.500Z',
      },
      response: { headers: [[':status', '502']], trailers: [], headersReceivedAt: '9999-12-31T23:59:59.999999999Z' },
      upstream: { remote: { address: '2001:db8::1', port: 65535 } },
      downstream: { local: { address: '', port: 0 } },
    }),
  ],
  ['large body', sampleCapture({ request: { headers: [], body: { bytes: Buffer.alloc(70_000, 7), truncated: false }, trailers: [] } })],
];

describe('tap request protobuf codec, cross-checked with protobufjs', () => {
  it.each(CASES)('protobufjs encodes → we decode: %s', (_name, capture) => {
    const bytes = Buffer.from(TapRequest.encode(TapRequest.fromObject({ trace_data: pbTrace(capture) })).finish());
    const decoded = decodeTapRequest(bytes, ctxOf(capture));
    expect(decoded).toEqual({ ...capture, durationMs: decoded.durationMs });
  });

  it.each(CASES)('we encode → protobufjs decodes: %s', (_name, capture) => {
    const ours = TapRequest.toObject(TapRequest.decode(encodeTapRequest(capture)), TO_OBJECT);
    const theirs = TapRequest.toObject(TapRequest.fromObject({ trace_data: pbTrace(capture) }), TO_OBJECT);
    expect(ours).toEqual(theirs);
  });

  it.each(CASES)('round-trips through our own encoder and decoder: %s', (_name, capture) => {
    const decoded = decodeTapRequest(encodeTapRequest(capture), ctxOf(capture));
    expect(decoded).toEqual({ ...capture, durationMs: decoded.durationMs });
    // durationMs is derived from the two headers_received_time values, not carried on the wire.
    if (capture === CASES[0]![1]) expect(decoded.durationMs).toBe(250);
  });

  it('decodes a bare TraceWrapper (.pb files) and encodes one', () => {
    const capture = sampleCapture();
    const bytes = Buffer.from(TraceWrapper.encode(TraceWrapper.fromObject(pbTrace(capture))).finish());
    expect(decodeTraceWrapper(bytes, ctxOf(capture))).toEqual(capture);
    expect(TraceWrapper.toObject(TraceWrapper.decode(encodeTraceWrapper(capture)), TO_OBJECT)).toEqual(
      TraceWrapper.toObject(TraceWrapper.fromObject(pbTrace(capture)), TO_OBJECT),
    );
  });

  it('reads raw_value as Latin-1 when value is empty, and as_string bodies', () => {
    const bytes = Buffer.from(
      TapRequest.encode(
        TapRequest.fromObject({
          trace_data: {
            http_buffered_trace: {
              request: {
                headers: [
                  { key: 'x-raw', raw_value: Buffer.from([0x63, 0x61, 0x66, 0xe9]) },
                  { key: 'x-both', value: 'v', raw_value: Buffer.from('ignored') },
                ],
                body: { as_string: 'héllo' },
              },
            },
          },
        }),
      ).finish(),
    );
    const c = decodeTapRequest(bytes, { source: 'gloo', now: () => new Date(0) });
    expect(c.request.headers).toEqual([
      ['x-raw', 'café'],
      ['x-both', 'v'],
    ]);
    expect(c.request.body).toEqual({ bytes: Buffer.from('héllo'), truncated: false });
    expect(c.response).toEqual({ headers: [], trailers: [] });
    expect(c.capturedAt).toBe('1970-01-01T00:00:00.000Z');
    expect(c.destination).toBe('');
  });

  it('derives capturedAt, durationMs and destination the same way as the JSON decoder', () => {
    const c = decodeTapRequest(encodeTapRequest(sampleCapture()), { source: 'gloo' });
    expect(c.capturedAt).toBe('2026-03-01T10:00:00.250Z');
    expect(c.durationMs).toBe(250);
    expect(c.destination).toBe('10.0.0.7:9091');
  });
});

// --- hand-built wire bytes ---
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const ld = (field: number, payload: number[]) => [...key(field, 2), ...varint(payload.length), ...payload];
const str = (s: string) => [...Buffer.from(s)];
/** TapRequest { trace_data { http_buffered_trace { <trace> } } } */
const tap = (trace: number[]) => Buffer.from(ld(1, ld(1, trace)));

describe('decodeTapRequest on unusual and malformed input', () => {
  it('skips unknown fields of every wire type', () => {
    const header = [...ld(1, str(':method')), ...ld(2, str('GET')), ...key(9, 0), 0x96, 0x01, ...key(10, 1), 1, 2, 3, 4, 5, 6, 7, 8];
    const request = [...ld(1, header), ...key(12, 5), 1, 2, 3, 4, ...ld(13, [1, 2, 3])];
    const bytes = Buffer.from([...key(15, 0), 1, ...ld(1, [...ld(1, [...ld(1, request), ...key(99, 0), 0]), ...ld(7, [])])]);
    expect(decodeTapRequest(bytes, { source: 's' }).request.headers).toEqual([[':method', 'GET']]);
  });

  it('accepts repeated non-repeated fields, last one wins (protobuf semantics for scalars)', () => {
    const body = [...ld(1, str('first')), ...ld(1, str('second'))];
    expect(decodeTapRequest(tap(ld(1, ld(2, body))), { source: 's' }).request.body?.bytes.toString()).toBe('second');
  });

  const bad: Array<[string, Buffer, string]> = [
    ['an empty buffer', Buffer.alloc(0), 'TapRequest: trace_data (field 1) is missing (at byte offset 0)'],
    ['a trace without http_buffered_trace', Buffer.from(ld(1, [])), 'TapRequest.trace_data: http_buffered_trace (field 1) is missing (at byte offset 2)'],
    ['a truncated length varint', Buffer.from([0x0a]), 'TapRequest: truncated varint (at byte offset 1)'],
    ['a truncated tag varint', Buffer.from([0x8a]), 'TapRequest: truncated varint (at byte offset 0)'],
    ['a length past the end', Buffer.from([0x0a, 0x05, 0x01, 0x02]), 'TapRequest: length 5 runs past the end of the message (2 bytes left) (at byte offset 1)'],
    [
      'an inner length past its parent (with bytes left in the buffer)',
      Buffer.from([0x0a, 0x02, 0x0a, 0x05, 0, 0, 0, 0, 0]),
      'TapRequest.trace_data: length 5 runs past the end of the message (0 bytes left) (at byte offset 3)',
    ],
    ['a wrong wire type for a known field', Buffer.from([0x08, 0x01]), 'TapRequest: field trace_data: expected wire type length-delimited, got varint (at byte offset 1)'],
    ['a group', Buffer.from([...key(5, 3), 0x00]), 'TapRequest: unknown field 5 has unsupported wire type start-group (at byte offset 1)'],
    ['wire type 7', Buffer.from([...key(6, 7)]), 'TapRequest: unknown field 6 has unsupported wire type invalid (7)'],
    ['field number 0', Buffer.from([0x02, 0x00]), 'TapRequest: invalid field number 0 or ≥ 2^29 in tag (at byte offset 0)'],
    ['a varint longer than 10 bytes', Buffer.from([...key(9, 0), ...new Array(11).fill(0xff), 0x01]), 'TapRequest: varint longer than 10 bytes (at byte offset 1)'],
    ['a truncated fixed64', Buffer.from([...key(9, 1), 1, 2, 3]), 'TapRequest: field 9: truncated 8-byte value (at byte offset 1)'],
    ['a truncated fixed32', Buffer.from([...key(9, 5), 1]), 'TapRequest: field 9: truncated 4-byte value'],
    [
      'a streamed trace segment',
      Buffer.from(ld(1, ld(2, []))),
      'TapRequest.trace_data: http_streamed_trace_segment (field 2) is not supported; only buffered HTTP traces can be captured',
    ],
    ['a socket trace', Buffer.from(ld(1, ld(3, []))), 'TapRequest.trace_data: socket_buffered_trace (field 3) is not supported'],
    [
      'a header key with the wrong wire type',
      tap(ld(1, [...ld(1, ld(1, str('a'))), ...ld(1, [...key(1, 0), 5])])),
      'TapRequest.trace_data.http_buffered_trace.request.headers[1]: field key: expected wire type length-delimited, got varint',
    ],
    ['a truncated flag as bytes', tap(ld(2, ld(2, ld(3, [1])))), 'TapRequest.trace_data.http_buffered_trace.response.body: field truncated: expected wire type varint, got length-delimited'],
    ['nanos out of range', tap(ld(1, ld(4, [...key(2, 0), ...varint(1_000_000_000)]))), 'http_buffered_trace.request.headers_received_time: expected a time between years 1 and 9999 with nanos in 0..999999999, got seconds=0 nanos=1000000000'],
    ['seconds past year 9999', tap(ld(1, ld(4, [...key(1, 0), ...varint(253_402_300_800)]))), 'got seconds=253402300800'],
    [
      'a port above 65535',
      tap(ld(4, ld(2, ld(1, [...key(3, 0), ...varint(70000)])))),
      'TapRequest.trace_data.http_buffered_trace.upstream_connection.remote_address.socket_address: port_value: expected 0..65535, got 70000',
    ],
  ];

  it.each(bad)('rejects %s', (_name, bytes, message) => {
    let err: unknown;
    try {
      decodeTapRequest(bytes, { source: 's' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoopError);
    expect((err as LoopError).code).toBe('INGEST_INVALID');
    expect((err as LoopError).message).toContain(message);
  });

  it('never throws anything but a LoopError on truncated or corrupted input', () => {
    const valid = encodeTapRequest(CASES[2]![1]);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const attempts: Buffer[] = [];
    for (let n = 0; n < valid.length; n++) attempts.push(valid.subarray(0, n));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(valid);
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      attempts.push(b);
    }
    let rejected = 0;
    for (const b of attempts) {
      try {
        decodeTapRequest(b, { source: 's' });
      } catch (err) {
        expect(err).toBeInstanceOf(LoopError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(valid.length / 2);
  });
});
