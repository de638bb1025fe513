// Binary protobuf codec for what Gloo's tap sinks send: `envoy.service.tap.v3.TapRequest
// { TraceWrapper trace_data = 1 }` over HTTP or gRPC, and the bare TraceWrapper of Envoy's `.pb`
// files (and of each message of a `.pb_length_delimited` file, see length-delimited-splitter.ts).
// Schema and field numbers: proto/tap.proto. Nesting depth is fixed by the schema (at most 6 levels)
// and unknown sub-messages are skipped by length, never parsed, so hostile nesting costs nothing. Decoding yields the same neutral EnvoyHttpTrace as
// the JSON codec and maps it through the same `traceToCaptureInput`. Hand-written on purpose: the
// ingest path must not depend on protobufjs (a devDependency, used only to cross-check in tests).
import { LoopError } from '../core/errors.js';
import type { CaptureInput, CapturedBody, CapturedMessage, ConnectionInfo, HeaderList, SocketAddress } from './capture.js';
import { type EnvoyHttpTrace, type TraceContext, traceToCaptureInput } from './envoy-trace.js';
import { type ProtoSink, ProtoReader, WIRE_LEN, WIRE_VARINT, encodeProto } from './proto-wire.js';
import { formatRfc3339, isValidTimestamp, parseRfc3339 } from './timestamp.js';

/** Decodes a TapRequest (Gloo's HTTP/gRPC tap sink payload) into a capture. */
export function decodeTapRequest(buf: Buffer, ctx: TraceContext): CaptureInput {
  return traceToCaptureInput(envoyTraceFromTapRequest(buf), ctx);
}

/** Decodes a bare TraceWrapper (Envoy's PROTO_BINARY file sink) into a capture. */
export function decodeTraceWrapper(buf: Buffer, ctx: TraceContext): CaptureInput {
  return traceToCaptureInput(envoyTraceFromTraceWrapper(buf), ctx);
}

export function envoyTraceFromTapRequest(buf: Buffer): EnvoyHttpTrace {
  const r = new ProtoReader(buf, 'TapRequest');
  let trace: EnvoyHttpTrace | undefined;
  while (r.more()) {
    const field = r.tag();
    if (field === 1) {
      r.expectWire('trace_data', WIRE_LEN);
      const outer = r.enter('TapRequest.trace_data');
      trace = readTraceWrapper(r, 'TapRequest.trace_data');
      r.leave(outer, 'TapRequest');
    } else r.skip(field);
  }
  if (!trace) return r.fail('trace_data (field 1) is missing');
  return trace;
}

export function envoyTraceFromTraceWrapper(buf: Buffer): EnvoyHttpTrace {
  return readTraceWrapper(new ProtoReader(buf, 'TraceWrapper'), 'TraceWrapper');
}

function readTraceWrapper(r: ProtoReader, path: string): EnvoyHttpTrace {
  let trace: EnvoyHttpTrace | undefined;
  while (r.more()) {
    const field = r.tag();
    if (field === 1) {
      r.expectWire('http_buffered_trace', WIRE_LEN);
      const p = `${path}.http_buffered_trace`;
      const outer = r.enter(p);
      trace = readHttpBufferedTrace(r, p);
      r.leave(outer, path);
    } else if (field >= 2 && field <= 4) {
      r.fail(
        `${['', '', 'http_streamed_trace_segment', 'socket_buffered_trace', 'socket_streamed_trace_segment'][field]} (field ${field}) is not supported; only buffered HTTP traces can be captured — set the tap's output_config.streaming to false`,
      );
    } else r.skip(field);
  }
  if (!trace) return r.fail('http_buffered_trace (field 1) is missing');
  return trace;
}

function readHttpBufferedTrace(r: ProtoReader, path: string): EnvoyHttpTrace {
  const trace: EnvoyHttpTrace = {};
  while (r.more()) {
    const field = r.tag();
    switch (field) {
      case 1:
      case 2: {
        const name = field === 1 ? 'request' : 'response';
        r.expectWire(name, WIRE_LEN);
        const p = `${path}.${name}`;
        const outer = r.enter(p);
        trace[name] = readMessage(r, p);
        r.leave(outer, path);
        break;
      }
      case 3:
      case 4: {
        const name = field === 3 ? 'downstream_connection' : 'upstream_connection';
        r.expectWire(name, WIRE_LEN);
        const p = `${path}.${name}`;
        const outer = r.enter(p);
        trace[field === 3 ? 'downstream' : 'upstream'] = readConnection(r, p);
        r.leave(outer, path);
        break;
      }
      default:
        r.skip(field);
    }
  }
  return trace;
}

function readMessage(r: ProtoReader, path: string): CapturedMessage {
  const headers: HeaderList = [];
  const trailers: HeaderList = [];
  const msg: CapturedMessage = { headers, trailers };
  while (r.more()) {
    const field = r.tag();
    switch (field) {
      case 1:
      case 3: {
        const list = field === 1 ? headers : trailers;
        const name = field === 1 ? 'headers' : 'trailers';
        r.expectWire(name, WIRE_LEN);
        const p = `${path}.${name}[${list.length}]`;
        const outer = r.enter(p);
        list.push(readHeader(r));
        r.leave(outer, path);
        break;
      }
      case 2: {
        r.expectWire('body', WIRE_LEN);
        const outer = r.enter(`${path}.body`);
        msg.body = readBody(r);
        r.leave(outer, path);
        break;
      }
      case 4: {
        r.expectWire('headers_received_time', WIRE_LEN);
        const outer = r.enter(`${path}.headers_received_time`);
        msg.headersReceivedAt = readTimestamp(r);
        r.leave(outer, path);
        break;
      }
      default:
        r.skip(field);
    }
  }
  return msg;
}

function readHeader(r: ProtoReader): [string, string] {
  let key = '';
  let value = '';
  let raw: Buffer | undefined;
  while (r.more()) {
    const field = r.tag();
    if (field === 1) {
      r.expectWire('key', WIRE_LEN);
      key = r.string();
    } else if (field === 2) {
      r.expectWire('value', WIRE_LEN);
      value = r.string();
    } else if (field === 3) {
      r.expectWire('raw_value', WIRE_LEN);
      raw = r.bytes();
    } else r.skip(field);
  }
  // Same rule as the JSON codec: raw_value (non-UTF-8 values) as Latin-1, one char per byte.
  if (value === '' && raw !== undefined && raw.length > 0) value = raw.toString('latin1');
  return [key, value];
}

function readBody(r: ProtoReader): CapturedBody {
  let bytes: Buffer = EMPTY;
  let truncated = false;
  while (r.more()) {
    const field = r.tag();
    if (field === 1) {
      r.expectWire('as_bytes', WIRE_LEN);
      bytes = r.bytes();
    } else if (field === 2) {
      r.expectWire('as_string', WIRE_LEN);
      const start = r.lengthDelimited();
      bytes = r.buf.subarray(start, r.pos);
    } else if (field === 3) {
      r.expectWire('truncated', WIRE_VARINT);
      r.varint();
      truncated = r.lo !== 0 || r.hi !== 0;
    } else r.skip(field);
  }
  return { bytes, truncated };
}

const EMPTY = Buffer.alloc(0);

function readTimestamp(r: ProtoReader): string {
  const start = r.pos;
  let seconds = 0;
  let nanos = 0;
  while (r.more()) {
    const field = r.tag();
    if (field === 1) {
      r.expectWire('seconds', WIRE_VARINT);
      r.varint();
      seconds = r.int64();
    } else if (field === 2) {
      r.expectWire('nanos', WIRE_VARINT);
      r.varint();
      nanos = r.lo | 0;
    } else r.skip(field);
  }
  const ts = { seconds, nanos };
  if (!isValidTimestamp(ts)) {
    r.fail(`expected a time between years 1 and 9999 with nanos in 0..999999999, got seconds=${seconds} nanos=${nanos}`, start);
  }
  return formatRfc3339(ts);
}

function readConnection(r: ProtoReader, path: string): ConnectionInfo {
  const info: ConnectionInfo = {};
  while (r.more()) {
    const field = r.tag();
    if (field === 1 || field === 2) {
      const name = field === 1 ? 'local_address' : 'remote_address';
      r.expectWire(name, WIRE_LEN);
      const outer = r.enter(`${path}.${name}`);
      const addr = readAddress(r, `${path}.${name}`);
      r.leave(outer, path);
      if (addr) info[field === 1 ? 'local' : 'remote'] = addr;
    } else r.skip(field);
  }
  return info;
}

/** Address { oneof { SocketAddress socket_address = 1; Pipe pipe = 2; EnvoyInternalAddress … = 3 } }. */
function readAddress(r: ProtoReader, path: string): SocketAddress | undefined {
  let out: SocketAddress | undefined;
  while (r.more()) {
    const field = r.tag();
    if (field === 1) {
      r.expectWire('socket_address', WIRE_LEN);
      const outer = r.enter(`${path}.socket_address`);
      out = readSocketAddress(r);
      r.leave(outer, path);
    } else if (field === 2 || field === 3) {
      out = undefined; // a pipe or internal listener: no host:port to record (last oneof member wins)
      r.skip(field);
    } else r.skip(field);
  }
  return out;
}

function readSocketAddress(r: ProtoReader): SocketAddress {
  const out: SocketAddress = { address: '', port: 0 };
  while (r.more()) {
    const field = r.tag();
    if (field === 2) {
      r.expectWire('address', WIRE_LEN);
      out.address = r.string();
    } else if (field === 3) {
      r.expectWire('port_value', WIRE_VARINT);
      const start = r.pos;
      r.varint();
      if (r.hi !== 0 || r.lo > 65535) r.fail(`port_value: expected 0..65535, got ${r.hi !== 0 ? '≥ 2^32' : r.lo}`, start);
      out.port = r.lo;
    } else r.skip(field);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Encodes a capture as a TapRequest, as Gloo's tap sink would send it. */
export function encodeTapRequest(capture: CaptureInput): Buffer {
  return encodeProto((s) => s.message(1, () => writeTraceWrapper(s, capture)));
}

/** Encodes a capture as a bare TraceWrapper (the body of a `.pb` tap file). */
export function encodeTraceWrapper(capture: CaptureInput): Buffer {
  return encodeProto((s) => writeTraceWrapper(s, capture));
}

function writeTraceWrapper(s: ProtoSink, c: CaptureInput): void {
  s.message(1, () => {
    s.message(1, () => writeMessage(s, c.request));
    s.message(2, () => writeMessage(s, c.response));
    const down = c.downstream;
    if (down) s.message(3, () => writeConnection(s, down));
    const up = c.upstream;
    if (up) s.message(4, () => writeConnection(s, up));
  });
}

function writeMessage(s: ProtoSink, m: CapturedMessage): void {
  for (const h of m.headers) s.message(1, () => writeHeader(s, h));
  const body = m.body;
  if (body) {
    s.message(2, () => {
      s.bytes(1, body.bytes, true); // oneof member: present even when empty
      s.bool(3, body.truncated);
    });
  }
  for (const h of m.trailers) s.message(3, () => writeHeader(s, h));
  if (m.headersReceivedAt !== undefined) {
    const ts = parseRfc3339(m.headersReceivedAt);
    if (!ts) throw new LoopError('INGEST_INVALID', `headersReceivedAt: expected an RFC 3339 timestamp, got ${JSON.stringify(m.headersReceivedAt)}`);
    s.message(4, () => {
      s.int64(1, ts.seconds);
      s.uint(2, ts.nanos);
    });
  }
}

function writeHeader(s: ProtoSink, [key, value]: [string, string]): void {
  s.string(1, key);
  s.string(2, value);
}

function writeConnection(s: ProtoSink, c: ConnectionInfo): void {
  const write = (field: number, a: SocketAddress) =>
    s.message(field, () =>
      s.message(1, () => {
        s.string(2, a.address);
        s.uint(3, a.port, true); // oneof port_specifier: present even when 0
      }),
    );
  if (c.local) write(1, c.local);
  if (c.remote) write(2, c.remote);
}
