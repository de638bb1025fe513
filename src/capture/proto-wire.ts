// Protobuf wire format primitives, hand-written for the small tap schema (no runtime dependency):
// a bounds-checked reader that names byte offsets in its errors, and a two-pass writer (measure,
// then write into one exactly-sized Buffer) driven by a single schema function, so nested
// message lengths need no copies or back-patching.
import { invalidInput } from './decode-error.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', 'invalid (6)', 'invalid (7)'];

/**
 * Reads fields of nested messages from one buffer without sub-reader objects: `enter` narrows `end`
 * to a length-delimited payload and `leave` restores it. Every read is checked against `end`.
 */
export class ProtoReader {
  pos = 0;
  end: number;
  /** Path of the message being read, for errors (e.g. `TapRequest.trace_data.http_buffered_trace`). */
  path: string;
  /** Low and high 32 bits of the last varint read by `varint()`. */
  lo = 0;
  hi = 0;
  /** Wire type of the last tag read by `tag()`. */
  wireType = 0;

  constructor(
    readonly buf: Buffer,
    path: string,
  ) {
    this.end = buf.length;
    this.path = path;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  fail(message: string, offset = this.pos): never {
    throw invalidInput(this.path, `${message} (at byte offset ${offset})`, undefined);
  }

  /** Reads a varint into lo/hi (up to 64 bits). */
  varint(): void {
    const buf = this.buf;
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      const b = buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('varint longer than 10 bytes', start);
  }

  /** Reads a field key; returns the field number and sets `wireType`. */
  tag(): number {
    const start = this.pos;
    this.varint();
    const field = this.lo >>> 3;
    if (this.hi !== 0 || field === 0) this.fail('invalid field number 0 or ≥ 2^29 in tag', start);
    this.wireType = this.lo & 7;
    return field;
  }

  /** Reads a length prefix, checks it against `end`, moves past the payload; returns the payload start. */
  lengthDelimited(): number {
    const start = this.pos;
    this.varint();
    const left = this.end - this.pos;
    if (this.hi !== 0 || this.lo > left) {
      this.fail(`length ${this.hi !== 0 ? '≥ 2^32' : this.lo} runs past the end of the message (${left} bytes left)`, start);
    }
    const payload = this.pos;
    this.pos += this.lo;
    return payload;
  }

  /** Descends into a length-delimited sub-message; returns the outer `end` to hand to `leave`. */
  enter(path: string): number {
    const payload = this.lengthDelimited();
    const outerEnd = this.end;
    this.end = this.pos;
    this.pos = payload;
    this.path = path;
    return outerEnd;
  }

  leave(outerEnd: number, outerPath: string): void {
    this.pos = this.end;
    this.end = outerEnd;
    this.path = outerPath;
  }

  /** Checks the wire type of a known field. */
  expectWire(field: string, want: number): void {
    if (this.wireType !== want) {
      this.fail(`field ${field}: expected wire type ${WIRE_NAMES[want]}, got ${WIRE_NAMES[this.wireType]}`);
    }
  }

  /** Skips an unknown field's value by its wire type. Groups are rejected (proto3 never writes them). */
  skip(field: number): void {
    switch (this.wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.skipBytes(8, field);
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.skipBytes(4, field);
        return;
      default:
        this.fail(`unknown field ${field} has unsupported wire type ${WIRE_NAMES[this.wireType]}`);
    }
  }

  private skipBytes(n: number, field: number): void {
    if (this.end - this.pos < n) this.fail(`field ${field}: truncated ${n}-byte value`);
    this.pos += n;
  }

  /** A length-delimited string field. Invalid UTF-8 becomes U+FFFD, as most protobuf runtimes do. */
  string(): string {
    const start = this.lengthDelimited();
    return this.buf.toString('utf8', start, this.pos);
  }

  /** A length-delimited bytes field as a zero-copy view of the input buffer. */
  bytes(): Buffer {
    const start = this.lengthDelimited();
    return this.buf.subarray(start, this.pos);
  }

  /** The last varint as a signed int64, exact within ±2^53. */
  int64(): number {
    return (this.hi | 0) * 4294967296 + this.lo;
  }
}

/**
 * The two writer passes share this interface; a schema function calls it to describe a message.
 * The measure pass records every length-delimited size in call order; the write pass replays them.
 */
export interface ProtoSink {
  /** `always`: write even the default value (a oneof member, whose presence is meaningful). */
  uint(field: number, value: number, always?: boolean): void;
  int64(field: number, value: number): void;
  bool(field: number, value: boolean): void;
  string(field: number, value: string): void;
  bytes(field: number, value: Uint8Array, always?: boolean): void;
  message(field: number, body: () => void): void;
}

/** Encodes the message described by `schema` into one exactly-sized Buffer. */
export function encodeProto(schema: (sink: ProtoSink) => void): Buffer {
  const sizes: number[] = [];
  const measure = new MeasureSink(sizes);
  schema(measure);
  const writer = new WriteSink(Buffer.allocUnsafe(measure.size), sizes);
  schema(writer);
  return writer.buf;
}

function varintSize(lo: number, hi: number): number {
  if (hi === 0) {
    if (lo < 0x80) return 1;
    if (lo < 0x4000) return 2;
    if (lo < 0x200000) return 3;
    if (lo < 0x10000000) return 4;
    return 5;
  }
  let n = 5;
  for (let h = hi >>> 3; h !== 0; h >>>= 7) n++;
  return n;
}

function split64(value: number): [lo: number, hi: number] {
  // Two's complement for negatives, as protobuf's int64 varint does (10 bytes).
  const lo = value >>> 0;
  const hi = Math.floor(value / 4294967296) >>> 0;
  return [lo, hi];
}

class MeasureSink implements ProtoSink {
  size = 0;
  constructor(private readonly sizes: number[]) {}

  uint(field: number, value: number, always = false): void {
    if (value === 0 && !always) return;
    this.size += varintSize(field << 3, 0) + varintSize(value >>> 0, 0);
  }
  int64(field: number, value: number): void {
    if (value === 0) return;
    const [lo, hi] = split64(value);
    this.size += varintSize(field << 3, 0) + varintSize(lo, hi);
  }
  bool(field: number, value: boolean): void {
    if (value) this.size += varintSize(field << 3, 0) + 1;
  }
  string(field: number, value: string): void {
    if (value.length === 0) return;
    this.len(field, Buffer.byteLength(value, 'utf8'));
  }
  bytes(field: number, value: Uint8Array, always = false): void {
    if (value.length === 0 && !always) return;
    this.len(field, value.length);
  }
  message(field: number, body: () => void): void {
    const slot = this.sizes.length;
    this.sizes.push(0);
    const before = this.size;
    body();
    const inner = this.size - before;
    this.sizes[slot] = inner;
    this.size += varintSize(field << 3, 0) + varintSize(inner, 0);
  }
  private len(field: number, n: number): void {
    this.sizes.push(n);
    this.size += varintSize(field << 3, 0) + varintSize(n, 0) + n;
  }
}

class WriteSink implements ProtoSink {
  private pos = 0;
  private next = 0;
  constructor(
    readonly buf: Buffer,
    private readonly sizes: number[],
  ) {}

  private varint(lo: number, hi: number): void {
    const buf = this.buf;
    while (hi !== 0 || lo > 0x7f) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }
  private key(field: number, wire: number): void {
    this.varint(((field << 3) | wire) >>> 0, 0);
  }
  uint(field: number, value: number, always = false): void {
    if (value === 0 && !always) return;
    this.key(field, WIRE_VARINT);
    this.varint(value >>> 0, 0);
  }
  int64(field: number, value: number): void {
    if (value === 0) return;
    this.key(field, WIRE_VARINT);
    const [lo, hi] = split64(value);
    this.varint(lo, hi);
  }
  bool(field: number, value: boolean): void {
    if (!value) return;
    this.key(field, WIRE_VARINT);
    this.buf[this.pos++] = 1;
  }
  string(field: number, value: string): void {
    if (value.length === 0) return;
    const n = this.sizes[this.next++]!;
    this.key(field, WIRE_LEN);
    this.varint(n, 0);
    this.pos += this.buf.write(value, this.pos, n, 'utf8');
  }
  bytes(field: number, value: Uint8Array, always = false): void {
    if (value.length === 0 && !always) return;
    const n = this.sizes[this.next++]!;
    this.key(field, WIRE_LEN);
    this.varint(n, 0);
    this.buf.set(value, this.pos);
    this.pos += n;
  }
  message(field: number, body: () => void): void {
    const n = this.sizes[this.next++]!;
    this.key(field, WIRE_LEN);
    this.varint(n, 0);
    body();
  }
}
