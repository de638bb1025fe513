// Fuzz target: the binary protobuf decoders (Gloo's TapRequest, Envoy's bare TraceWrapper) and the
// length-delimited splitter of `.pb_length_delimited` files. Inputs are messages built field by field from
// the tap schema (proto/tap.proto) with near-misses — wrong wire types, unknown fields and groups, lengths
// past the end, 10- and 11-byte varints, prefixes claiming up to 2^35 bytes — plus mutations of encoded seeds.
// Properties: the splitter gives the same messages whole and chunked; a decoded trace re-encodes to the same capture.
import { isDeepStrictEqual } from 'node:util';
import type { CaptureInput } from '../capture/capture.js';
import { LengthDelimitedSplitter } from '../capture/length-delimited-splitter.js';
import { decodeTapRequest, decodeTraceWrapper, encodeTapRequest, encodeTraceWrapper } from '../capture/tap-request-proto.js';
import type { Gen } from './fuzz-random.js';
import { FuzzPropertyError, showInput, type FuzzTarget } from './fuzz-target.js';
import { randomCuts, splitBothWays } from './chunked.js';
import { mutateBytes } from './mutate.js';
import { seedCaptures } from './fuzz-seeds.js';

export type ProtoFraming = 'tap-request' | 'trace-wrapper' | 'length-delimited';

export interface ProtoInput {
  framing: ProtoFraming;
  bytes: Buffer;
  cuts: number[];
}

const CTX = { source: 'fuzz', capturedAt: '2026-01-01T00:00:00Z' };

/** A varint of any unsigned value below 2^64 (BigInt so 64-bit values are exact). */
export function varint(value: bigint | number): Buffer {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Buffer.from(out);
}

const key = (field: number, wire: number) => varint((BigInt(field) << 3n) | BigInt(wire));
const len = (field: number, payload: Buffer) => Buffer.concat([key(field, 2), varint(payload.length), payload]);
const num = (field: number, value: bigint | number) => Buffer.concat([key(field, 0), varint(value)]);

/** A field whose value is not what the schema says: another wire type, an unknown number, a bad length. */
function oddField(gen: Gen, field: number): Buffer {
  return gen.weighted<() => Buffer>([
    [2, () => num(field, gen.pick<bigint | number>([0, 1, 2n ** 63n, 2n ** 64n - 1n]))],
    [2, () => len(gen.range(5, 40), gen.bytes(gen.size(20)))],
    [1, () => Buffer.concat([key(field, gen.pick([1, 5])), gen.bytes(gen.pick([8, 4, 3]))])],
    [1, () => Buffer.concat([key(field, gen.pick([3, 4, 6, 7])), gen.bytes(gen.size(4))])],
    [1, () => Buffer.concat([key(field, 2), varint(gen.pick<bigint | number>([2n ** 32n, 2n ** 64n - 1n, 1000, 0x7fffffff]))])],
    [1, () => Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
    [1, () => key(gen.pick([0, 2 ** 29, 2 ** 29 - 1]), 2)],
    [1, () => Buffer.from([0xff])],
  ])();
}

function repeated(gen: Gen, max: number, part: () => Buffer): Buffer {
  return Buffer.concat(Array.from({ length: gen.size(max) }, part));
}

function header(gen: Gen): Buffer {
  return Buffer.concat([
    gen.chance(0.9) ? len(1, Buffer.from(gen.pick([':status', ':path', 'x-a', '', '\u00e9']))) : Buffer.alloc(0),
    gen.chance(0.9) ? len(2, gen.chance(0.9) ? Buffer.from(gen.pick(['500', '/', '', 'v'])) : gen.bytes(gen.size(8))) : Buffer.alloc(0),
    gen.chance(0.1) ? len(3, gen.bytes(gen.size(8))) : Buffer.alloc(0),
    gen.chance(0.05) ? oddField(gen, gen.range(1, 3)) : Buffer.alloc(0),
  ]);
}

function timestamp(gen: Gen): Buffer {
  const seconds = gen.pick<bigint | number>([0, 1700000000, 2n ** 64n - 62135596800n, 253402300799, 253402300800, 2n ** 63n, 2n ** 64n - 1n]);
  const nanos = gen.pick<bigint | number>([0, 999999999, 1000000000, 2n ** 64n - 1n]);
  return Buffer.concat([gen.chance(0.9) ? num(1, seconds) : Buffer.alloc(0), gen.chance(0.7) ? num(2, nanos) : Buffer.alloc(0)]);
}

function message(gen: Gen): Buffer {
  return Buffer.concat([
    repeated(gen, gen.chance(0.01) ? 5000 : 10, () => len(1, header(gen))),
    gen.chance(0.5)
      ? len(2, Buffer.concat([gen.chance(0.8) ? len(gen.pick([1, 2]), gen.bytes(gen.size(64))) : Buffer.alloc(0), gen.chance(0.5) ? num(3, gen.pick([0, 1, 2])) : Buffer.alloc(0)]))
      : Buffer.alloc(0),
    repeated(gen, 3, () => len(3, header(gen))),
    gen.chance(0.4) ? len(4, timestamp(gen)) : Buffer.alloc(0),
    gen.chance(0.05) ? oddField(gen, gen.range(1, 4)) : Buffer.alloc(0),
  ]);
}

function address(gen: Gen): Buffer {
  const socket = Buffer.concat([
    gen.chance(0.9) ? len(2, Buffer.from(gen.pick(['127.0.0.1', '::1', '']))) : Buffer.alloc(0),
    gen.chance(0.9) ? num(3, gen.pick<bigint | number>([0, 80, 65535, 65536, 2n ** 32n])) : Buffer.alloc(0),
  ]);
  return gen.weighted([[8, len(1, socket)], [1, len(2, Buffer.from('/tmp/sock'))], [1, len(3, Buffer.alloc(0))]]);
}

function trace(gen: Gen): Buffer {
  const parts: Buffer[] = [];
  if (gen.chance(0.9)) parts.push(len(1, message(gen)));
  if (gen.chance(0.9)) parts.push(len(2, message(gen)));
  for (const f of [3, 4]) if (gen.chance(0.3)) parts.push(len(f, Buffer.concat([gen.chance(0.8) ? len(1, address(gen)) : Buffer.alloc(0), gen.chance(0.8) ? len(2, address(gen)) : Buffer.alloc(0)])));
  if (gen.chance(0.05)) parts.push(oddField(gen, gen.range(1, 4)));
  const hbt = Buffer.concat(gen.chance(0.1) ? parts.reverse() : parts);
  return gen.weighted([[20, len(1, hbt)], [1, len(gen.range(2, 4), hbt)], [1, Buffer.alloc(0)], [1, oddField(gen, 1)]]);
}

function framed(gen: Gen, framing: ProtoFraming): Buffer {
  const wrapper = trace(gen);
  if (framing === 'trace-wrapper') return wrapper;
  if (framing === 'tap-request') return gen.chance(0.95) ? len(1, wrapper) : Buffer.concat([oddField(gen, 1), len(1, wrapper)]);
  return repeated(gen, 4, () => {
    const m = trace(gen);
    return gen.weighted([
      [10, Buffer.concat([varint(m.length), m])],
      [1, Buffer.concat([varint(gen.pick<bigint | number>([2n ** 32n, 2n ** 32n - 1n, 2n ** 35n - 1n, 16 * 1024 * 1024 + 1, m.length + 1])), m])],
      [1, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
      [1, Buffer.from([0x00])],
    ]);
  });
}

let seedCache: Array<[ProtoFraming, Buffer]> | undefined;
function seeds(): Array<[ProtoFraming, Buffer]> {
  const caps = seedCaptures();
  return [
    ...caps.map((c): [ProtoFraming, Buffer] => ['tap-request', encodeTapRequest(c)]),
    ...caps.map((c): [ProtoFraming, Buffer] => ['trace-wrapper', encodeTraceWrapper(c)]),
    ['length-delimited', Buffer.concat(caps.map((c) => encodeTraceWrapper(c)).flatMap((m) => [varint(m.length), m]))],
  ];
}

export function generateProto(gen: Gen): ProtoInput {
  seedCache ??= seeds();
  let framing: ProtoFraming = gen.pick(['tap-request', 'trace-wrapper', 'length-delimited'] as const);
  const bytes = gen.weighted<() => Buffer>([
    [10, () => framed(gen, framing)],
    [8, () => {
      const [f, seed] = gen.pick(seedCache!);
      framing = f;
      return mutateBytes(gen, seed, [varint(2n ** 64n - 1n), varint(2n ** 32n), Buffer.from([0x0a]), Buffer.from([0x12, 0x7f]), Buffer.from([0x0b]), Buffer.from([0x0c])]);
    }],
    [1, () => gen.bytes(gen.size(100))],
  ])();
  return { framing, bytes, cuts: randomCuts((n) => gen.int(n), bytes.length) };
}

function roundTrip(capture: CaptureInput, framing: ProtoFraming): void {
  const again = framing === 'tap-request' ? decodeTapRequest(encodeTapRequest(capture), CTX) : decodeTraceWrapper(encodeTraceWrapper(capture), CTX);
  // Decoded bodies are views into the input; compare contents, not buffer identity.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify(capture)))) {
    throw new FuzzPropertyError(`re-encoding changed the capture:\n${JSON.stringify(capture)}\n${JSON.stringify(again)}`);
  }
}

export const protoFuzzTarget: FuzzTarget<ProtoInput> = {
  name: 'proto',
  generate: generateProto,
  run(input) {
    if (input.framing === 'tap-request') return roundTrip(decodeTapRequest(input.bytes, CTX), 'tap-request');
    if (input.framing === 'trace-wrapper') return roundTrip(decodeTraceWrapper(input.bytes, CTX), 'trace-wrapper');
    for (const m of splitBothWays(() => new LengthDelimitedSplitter(), input.bytes, input.cuts)) {
      roundTrip(decodeTraceWrapper(m, CTX), 'trace-wrapper');
    }
  },
  show: (input) => `${input.framing} ${showInput(input.bytes)} cuts=${input.cuts.join(',')}`,
  size: (input) => input.bytes.length,
};
