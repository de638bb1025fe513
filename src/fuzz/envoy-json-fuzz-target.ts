// Fuzz target: the Envoy JSON ingest path as the loop server runs it — one JSON document, or texts split
// by the concatenated-JSON splitter — then the TraceWrapper decoder. Inputs are TraceWrappers generated
// field by field with near-misses (camelCase and snake_case, nulls, wrong types, bad base64 and
// timestamps, odd ports), joined the ways Envoy streams them, plus mutations of examples/envoy/trace-500.json.
// Properties: the splitter gives the same texts whole and chunked; a decoded trace re-encodes to the same capture.
import { isDeepStrictEqual } from 'node:util';
import { LoopError } from '../core/errors.js';
import type { CaptureInput } from '../capture/capture.js';
import { decodeEnvoyTrace, encodeEnvoyTrace } from '../capture/envoy-trace-json.js';
import { JsonStreamSplitter } from '../capture/json-stream-splitter.js';
import type { Gen } from './fuzz-random.js';
import { FuzzPropertyError, showInput, type FuzzTarget } from './fuzz-target.js';
import { randomCuts, splitBothWays } from './chunked.js';
import { mutateBytes } from './mutate.js';
import { exampleEnvoyTrace, seedCaptures } from './fuzz-seeds.js';

export interface BytesInput {
  bytes: Buffer;
  /** Where the stream is cut into chunks for the incremental splitter. */
  cuts: number[];
}

const CTX = { source: 'fuzz', capturedAt: '2026-01-01T00:00:00Z' };
const DICTIONARY = ['{', '}', '[', ']', '"', '\\', '\\"', ':', ',', 'null', 'true', '"\\u0000"', '"\\ud800"', '\n', '{}', '[]', '"http_buffered_trace"', '"headers"', '"as_bytes"', '"raw_value"', '1e999', '-0', '"AAAA"'].map((t) => Buffer.from(t));

function seeds(): Buffer[] {
  return [exampleEnvoyTrace(), ...seedCaptures().map((c) => Buffer.from(JSON.stringify(encodeEnvoyTrace(c), null, 1)))];
}
let seedCache: Buffer[] | undefined;

function name(gen: Gen, snake: string, camel: string): string {
  return gen.weighted([[8, snake], [2, camel], [1, snake.toUpperCase()]]);
}

function oddValue(gen: Gen): unknown {
  return gen.pick<unknown>([null, 0, -1, 1.5, true, 'x', '', [], {}, [1], { a: 1 }, '9'.repeat(30)]);
}

function maybeOdd<T>(gen: Gen, value: () => T): unknown {
  return gen.chance(0.05) ? oddValue(gen) : value();
}

function base64(gen: Gen): string {
  const b = gen.bytes(gen.size(64)).toString(gen.chance(0.8) ? 'base64' : 'base64url');
  return gen.weighted([[8, b], [1, b.replace(/=+$/, '')], [1, `${b}=`], [1, `${b.slice(0, -1)}!`], [1, ` ${b}`], [1, `${b}==${b}`]]);
}

function timestamp(gen: Gen): unknown {
  return gen.weighted<() => unknown>([
    [4, () => new Date(gen.range(-62135596800, 253402300799) * 1000).toISOString()],
    [2, () => gen.pick(['2026-03-01T10:00:00Z', '2026-03-01T10:00:00.123456789Z', '2026-03-01t10:00:00+05:30', '2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '2026-03-01T10:00:00.1234567890Z', '2026-03-01 10:00:00Z', '2026-03-01T24:00:00Z', '10000-01-01T00:00:00Z'])],
    [1, () => ({ seconds: gen.pick<unknown>([0, '1700000000', -62135596801, 253402300800, '1e3', 1.5]), nanos: gen.pick<unknown>([0, 999999999, 1000000000, -1, '5']) })],
  ])();
}

function headers(gen: Gen): unknown {
  const n = gen.size(gen.chance(0.02) ? 5000 : 12);
  return Array.from({ length: n }, () => {
    const h: Record<string, unknown> = {};
    if (gen.chance(0.95)) h.key = maybeOdd(gen, () => gen.pick([':status', ':path', ':method', 'content-type', 'x-a', '', '\u00e9', '\ud800']));
    if (gen.chance(0.9)) h.value = maybeOdd(gen, () => gen.pick(['500', '/', 'GET', '', 'a'.repeat(gen.size(300)), '\u0000']));
    if (gen.chance(0.1)) h[name(gen, 'raw_value', 'rawValue')] = maybeOdd(gen, () => base64(gen));
    if (gen.chance(0.02)) h.extra = oddValue(gen);
    return h;
  });
}

function body(gen: Gen): unknown {
  const b: Record<string, unknown> = {};
  if (gen.chance(0.9)) b.truncated = maybeOdd(gen, () => gen.chance(0.5));
  const kind = gen.int(4);
  if (kind === 0 || kind === 2) b[name(gen, 'as_bytes', 'asBytes')] = maybeOdd(gen, () => base64(gen));
  if (kind === 1 || kind === 2) b[name(gen, 'as_string', 'asString')] = maybeOdd(gen, () => gen.chars('ab{}"\\é', gen.size(40)));
  return b;
}

function message(gen: Gen): unknown {
  const m: Record<string, unknown> = {};
  if (gen.chance(0.9)) m.headers = maybeOdd(gen, () => headers(gen));
  if (gen.chance(0.5)) m.body = maybeOdd(gen, () => body(gen));
  if (gen.chance(0.8)) m.trailers = maybeOdd(gen, () => headers(gen));
  if (gen.chance(0.4)) m[name(gen, 'headers_received_time', 'headersReceivedTime')] = maybeOdd(gen, () => timestamp(gen));
  return m;
}

function address(gen: Gen): unknown {
  const sa: Record<string, unknown> = { address: maybeOdd(gen, () => gen.pick(['127.0.0.1', '::1', '', 'host'])) };
  if (gen.chance(0.9)) sa[name(gen, 'port_value', 'portValue')] = gen.pick<unknown>([0, 80, 65535, 65536, -1, '8080', '080', '99999', 1.5, null]);
  return gen.chance(0.9) ? { [name(gen, 'socket_address', 'socketAddress')]: sa } : { pipe: { path: '/tmp/s' } };
}

function connection(gen: Gen): unknown {
  const c: Record<string, unknown> = {};
  if (gen.chance(0.8)) c[name(gen, 'local_address', 'localAddress')] = maybeOdd(gen, () => address(gen));
  if (gen.chance(0.8)) c[name(gen, 'remote_address', 'remoteAddress')] = maybeOdd(gen, () => address(gen));
  return c;
}

function traceWrapper(gen: Gen): unknown {
  const kind = gen.weighted([[20, 'http_buffered_trace'], [1, 'httpBufferedTrace'], [1, 'socket_buffered_trace'], [1, 'http_streamed_trace_segment'], [1, 'other']]);
  const t: Record<string, unknown> = {};
  if (gen.chance(0.9)) t.request = maybeOdd(gen, () => message(gen));
  if (gen.chance(0.9)) t.response = maybeOdd(gen, () => message(gen));
  if (gen.chance(0.3)) t[name(gen, 'downstream_connection', 'downstreamConnection')] = maybeOdd(gen, () => connection(gen));
  if (gen.chance(0.3)) t[name(gen, 'upstream_connection', 'upstreamConnection')] = maybeOdd(gen, () => connection(gen));
  const w: Record<string, unknown> = { [kind]: gen.chance(0.03) ? oddValue(gen) : t };
  if (gen.chance(0.02)) w.httpBufferedTrace = t;
  return w;
}

function stream(gen: Gen): Buffer {
  const n = 1 + gen.size(4);
  const texts = Array.from({ length: n }, () => JSON.stringify(traceWrapper(gen), null, gen.pick([0, 1, 2])));
  const joined = gen.weighted<() => string>([
    [4, () => texts.join(gen.pick(['', '\n', ' \r\n\t']))],
    [1, () => `[${texts.join(',')}]`],
    [1, () => texts.join(gen.pick([',', 'x', '\u00a0', '"']))],
  ])();
  return Buffer.from(joined, 'utf8');
}

function deep(gen: Gen): Buffer {
  const n = gen.pick([63, 64, 65, 1000, 100_000]);
  const open = gen.pick(['[', '{"a":', '{"http_buffered_trace":']);
  const close = open === '[' ? ']' : '}';
  const inner = `${open.repeat(n)}1${close.repeat(gen.chance(0.8) ? n : gen.int(n))}`;
  return Buffer.from(gen.chance(0.5) ? inner : `{"http_buffered_trace":{"request":{"headers":${inner}}}}`);
}

export function generateEnvoyJson(gen: Gen): BytesInput {
  seedCache ??= seeds();
  const bytes = gen.weighted<() => Buffer>([
    [10, () => stream(gen)],
    [8, () => mutateBytes(gen, gen.pick(seedCache!), DICTIONARY)],
    [2, () => mutateBytes(gen, stream(gen), DICTIONARY)],
    [1, () => deep(gen)],
    [1, () => gen.bytes(gen.size(200))],
  ])();
  return { bytes, cuts: randomCuts((n) => gen.int(n), bytes.length) };
}

/** The items of a body as the loop server's ingest route reads them: one document, else split texts. */
function jsonItems(input: BytesInput): unknown[] {
  const texts = splitBothWays(() => new JsonStreamSplitter(), input.bytes, input.cuts);
  let whole: unknown;
  try {
    whole = JSON.parse(input.bytes.toString('utf8'));
    return Array.isArray(whole) ? whole : [whole];
  } catch {
    // not one document: the texts are what the server would parse
  }
  return texts.map((t, i) => {
    try {
      return JSON.parse(t.toString('utf8')) as unknown;
    } catch (err) {
      // The server turns exactly this into INGEST_INVALID (ingest-routes.ts parseJson).
      throw new LoopError('INGEST_INVALID', `JSON value ${i + 1}: invalid JSON`, { cause: err });
    }
  });
}

function wholeDocument(bytes: Buffer, splitError: LoopError): unknown[] {
  let whole: unknown;
  try {
    whole = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw splitError;
  }
  return Array.isArray(whole) ? whole : [whole];
}

function roundTrip(capture: CaptureInput): void {
  const again = decodeEnvoyTrace(JSON.parse(JSON.stringify(encodeEnvoyTrace(capture))), CTX);
  if (!isDeepStrictEqual(again, capture)) {
    throw new FuzzPropertyError(`re-encoding changed the capture:\n${JSON.stringify(capture)}\n${JSON.stringify(again)}`);
  }
}

export const envoyJsonFuzzTarget: FuzzTarget<BytesInput> = {
  name: 'envoy-json',
  generate: generateEnvoyJson,
  run(input) {
    let items: unknown[];
    try {
      items = jsonItems(input);
    } catch (err) {
      // A body the splitter refuses may still be one JSON document the server accepts; keep going then.
      if (!(err instanceof LoopError)) throw err;
      items = wholeDocument(input.bytes, err);
    }
    for (const item of items) roundTrip(decodeEnvoyTrace(item, CTX));
  },
  show: (input) => `${showInput(input.bytes.toString('utf8'))} cuts=${input.cuts.join(',')}`,
  size: (input) => input.bytes.length,
};
