// The project's binary batch form of captures (media type application/vnd.loop.capture-batch), what gateways
// ship to the loop server. It exists for CPU, not size: the JSON form costs a tap a text conversion of every
// body and the server a JSON parse, and both sides a tree of objects per capture. Here the tap writes each
// capture once, as it finishes, into a shared buffer (the objects die young; the queue holds bytes), and the
// server reads strings and body views straight out of the request body.
//
// Layout, little-endian throughout:
//   batch   = "LCAP" u16 version(1) u16 flags(0) u32 count, then `count` records
//   record  = u32 length (bytes after this field), u8 flags (1 durationMs, 2 downstream, 4 upstream),
//             [f64 durationMs], message request, message response, [conn downstream], [conn upstream], text
//   message = u8 flags (1 body, 2 truncated, 4 headersReceivedAt), u32 headers, u32 trailers, [u32 length, body]
//   conn    = u8 flags (1 local, 2 remote), u16 port per address present
//   text    = the rest of the record: every string of the capture in UTF-8, each followed by NUL, in this
//             order: capturedAt, tapConfig, source, destination; per message its header names and values,
//             trailer names and values, [headersReceivedAt]; per connection its [local], [remote] address.
// Strings travel as one NUL-separated text per capture because a string written or read on its own costs
// more in call overhead than in bytes. NUL cannot be in any text the store keeps, so the writer refuses it
// and the reader checks the count of values against the counts above. A lone UTF-16 surrogate becomes U+FFFD.
// The decoder checks structure only (lengths against the bytes left, flags, counts); what a capture means
// (RFC 3339 times, sane durations) is checked by the store, as for every other ingest format.
import type { CaptureInput, CapturedMessage, ConnectionInfo, HeaderList } from './capture.js';
import { invalidInput } from './decode-error.js';

export const CAPTURE_BATCH_MEDIA_TYPE = 'application/vnd.loop.capture-batch';

const MAGIC = 0x5041434c; // "LCAP" read as a little-endian u32
const VERSION = 1;
const HEADER_BYTES = 12;

const CAPTURE_DURATION = 1;
const CAPTURE_DOWNSTREAM = 2;
const CAPTURE_UPSTREAM = 4;
const MESSAGE_BODY = 1;
const MESSAGE_TRUNCATED = 2;
const MESSAGE_RECEIVED_AT = 4;
const CONNECTION_LOCAL = 1;
const CONNECTION_REMOTE = 2;

/**
 * Encodes captures one at a time into shared chunks; each `write` answers a view of its record that stays
 * valid until `release` says it is no longer needed. Join records into a batch with `captureBatchParts`.
 * Chunks are reused once their records are released: a tap writes megabytes a second, and fresh buffers
 * at that rate would keep the garbage collector busy with buffers that outlive a young-generation cycle.
 *
 * @example
 * const writer = new CaptureRecordWriter();
 * const parts = captureBatchParts([writer.write(a), writer.write(b)]);
 */
export class CaptureRecordWriter {
  private chunk: Buffer;
  private at = 0;
  /** Chunks holding records not yet released, oldest first; the last is `chunk`. */
  private live: Buffer[] = [];
  private spare: Buffer[] = [];
  /** A record's strings, joined once: one string made from many `+` costs more than the bytes it holds. */
  private readonly parts: string[] = [];

  /**
   * `chunkBytes`: size of each shared buffer; a bigger record gets a chunk of its own. `spareChunks`: released
   * chunks kept for reuse. A tap's batch spans several chunks (500 captures of 2.5 KiB ≈ 5 chunks) and the next
   * batch fills while one is in flight to a loop server that takes its time, so keeping too few meant allocating
   * fresh chunks for every batch: with 8 kept, a capturing gateway allocated 111 MB of fresh chunks in 25 s
   * (18% of what it wrote) and the garbage collector's threads worked twice as long as with 32 kept (34
   * chunks in all, 8.5 MiB, then none). Kept chunks are at most `spareChunks × chunkBytes` of memory.
   */
  constructor(
    private readonly chunkBytes = 256 * 1024,
    private readonly spareChunks = 32,
  ) {
    // Never from Buffer's shared pool: `release` tells chunks apart by their ArrayBuffer.
    this.chunk = Buffer.allocUnsafeSlow(chunkBytes);
    this.live.push(this.chunk);
  }

  /**
   * Declares `record`, and every record written before it, no longer needed: their bytes may be overwritten.
   * Views of them must not be read afterwards.
   */
  release(record: Buffer): void {
    const i = this.live.findIndex((c) => c.buffer === record.buffer);
    if (i === -1) return;
    for (const c of this.live.splice(0, i)) if (this.spare.length < this.spareChunks && c.length === this.chunkBytes) this.spare.push(c);
    // Everything written so far is released: the current chunk starts over.
    if (this.live.length === 1 && record.byteOffset + record.length === this.chunk.byteOffset + this.at) this.at = 0;
  }

  /** Throws (and writes nothing) when the capture is not shaped like a CaptureInput or a string holds NUL. */
  write(capture: CaptureInput): Buffer {
    const { request, response, downstream, upstream } = capture;
    const duration = capture.durationMs;
    if (duration !== null && typeof duration !== 'number') throw new TypeError(`durationMs: expected a number or null, got ${typeof duration}`);
    const parts = this.parts;
    let text: string;
    let strings: number;
    try {
      addText(parts, capture.capturedAt, 'capturedAt');
      addText(parts, capture.tapConfig, 'tapConfig');
      addText(parts, capture.source, 'source');
      addText(parts, capture.destination, 'destination');
      addMessage(parts, request, REQUEST_FIELDS);
      addMessage(parts, response, RESPONSE_FIELDS);
      if (downstream) addConnection(parts, downstream, DOWNSTREAM_FIELDS);
      if (upstream) addConnection(parts, upstream, UPSTREAM_FIELDS);
      strings = parts.length;
      parts.push(''); // the last string's NUL
      text = parts.join('\0');
    } finally {
      parts.length = 0;
    }
    const requestBody = request.body?.bytes;
    const responseBody = response.body?.bytes;
    // Fixed fields (at most 4 + 9 + 2 × 13 + 2 × 5) and bodies, then the text (at most 3 UTF-8 bytes per UTF-16 unit).
    const most = 50 + (requestBody?.length ?? 0) + (responseBody?.length ?? 0) + 3 * text.length;
    if (this.at + most > this.chunk.length) {
      this.chunk = most <= this.chunkBytes && this.spare.length > 0 ? this.spare.pop()! : Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, most));
      this.live.push(this.chunk);
      this.at = 0;
    }
    const b = this.chunk;
    const start = this.at;
    let at = start + 4;
    b[at++] = (duration !== null ? CAPTURE_DURATION : 0) | (downstream ? CAPTURE_DOWNSTREAM : 0) | (upstream ? CAPTURE_UPSTREAM : 0);
    if (duration !== null) at = b.writeDoubleLE(duration, at);
    at = writeMessage(b, at, request, requestBody);
    at = writeMessage(b, at, response, responseBody);
    if (downstream) at = writeConnection(b, at, downstream);
    if (upstream) at = writeConnection(b, at, upstream);
    const textAt = at;
    at += b.write(text, at, 'utf8');
    // UTF-8 has a 0 byte only for U+0000: one per string means no string held a NUL. Else name the field.
    if (zeroBytes(b.subarray(textAt, at)) !== strings) findNul(capture);
    b.writeUInt32LE(at - start - 4, start);
    this.at = at;
    return b.subarray(start, at);
  }
}

function addText(parts: string[], s: string, field: string): void {
  if (typeof s !== 'string') throw new TypeError(`${field}: expected a string, got ${s === null ? 'null' : typeof s}`);
  parts.push(s);
}

function zeroBytes(text: Buffer): number {
  let n = 0;
  for (let i = text.indexOf(0); i !== -1; i = text.indexOf(0, i + 1)) n++;
  return n;
}

/** Throws naming the first string of the capture that holds a NUL (called once the text had too many). */
function findNul(c: CaptureInput): never {
  const check = (s: string, field: string): void => {
    if (s.includes('\0')) throw new TypeError(`${field}: holds a NUL character`);
  };
  check(c.capturedAt, 'capturedAt');
  check(c.tapConfig, 'tapConfig');
  check(c.source, 'source');
  check(c.destination, 'destination');
  for (const [m, fields] of [[c.request, REQUEST_FIELDS], [c.response, RESPONSE_FIELDS]] as const) {
    for (const pair of m.headers) for (const s of pair) check(s, fields.headers);
    for (const pair of m.trailers) for (const s of pair) check(s, fields.trailers);
    if (m.headersReceivedAt !== undefined) check(m.headersReceivedAt, fields.receivedAt);
  }
  for (const [x, fields] of [[c.downstream, DOWNSTREAM_FIELDS], [c.upstream, UPSTREAM_FIELDS]] as const) {
    if (x?.local) check(x.local.address, fields.local);
    if (x?.remote) check(x.remote.address, fields.remote);
  }
  throw new TypeError('a string of the capture holds a NUL character');
}

// Field names for error messages, made once rather than per capture.
const REQUEST_FIELDS = { headers: 'request.headers', trailers: 'request.trailers', receivedAt: 'request.headersReceivedAt' };
const RESPONSE_FIELDS = { headers: 'response.headers', trailers: 'response.trailers', receivedAt: 'response.headersReceivedAt' };
const DOWNSTREAM_FIELDS = { local: 'downstream.local.address', remote: 'downstream.remote.address' };
const UPSTREAM_FIELDS = { local: 'upstream.local.address', remote: 'upstream.remote.address' };

function addList(parts: string[], list: HeaderList, field: string): void {
  if (!Array.isArray(list)) throw new TypeError(`${field}: expected an array of [name, value] pairs`);
  for (let i = 0; i < list.length; i++) {
    const pair = list[i]!;
    addText(parts, pair[0], field);
    addText(parts, pair[1], field);
  }
}

function addMessage(parts: string[], m: CapturedMessage, fields: typeof REQUEST_FIELDS): void {
  addList(parts, m.headers, fields.headers);
  addList(parts, m.trailers, fields.trailers);
  if (m.headersReceivedAt !== undefined) addText(parts, m.headersReceivedAt, fields.receivedAt);
}

function addConnection(parts: string[], c: ConnectionInfo, fields: typeof DOWNSTREAM_FIELDS): void {
  if (c.local) addText(parts, c.local.address, fields.local);
  if (c.remote) addText(parts, c.remote.address, fields.remote);
}

function writeMessage(b: Buffer, at: number, m: CapturedMessage, body: Buffer | undefined): number {
  b[at++] = (body ? MESSAGE_BODY | (m.body!.truncated ? MESSAGE_TRUNCATED : 0) : 0) | (m.headersReceivedAt !== undefined ? MESSAGE_RECEIVED_AT : 0);
  at = b.writeUInt32LE(m.headers.length, at);
  at = b.writeUInt32LE(m.trailers.length, at);
  if (body) {
    at = b.writeUInt32LE(body.length, at);
    b.set(body, at);
    at += body.length;
  }
  return at;
}

function writeConnection(b: Buffer, at: number, c: ConnectionInfo): number {
  b[at++] = (c.local ? CONNECTION_LOCAL : 0) | (c.remote ? CONNECTION_REMOTE : 0);
  if (c.local) at = b.writeUInt16LE(c.local.port, at);
  if (c.remote) at = b.writeUInt16LE(c.remote.port, at);
  return at;
}

/**
 * A batch body in pieces, to be sent one after the other: the header, then the records as
 * `CaptureRecordWriter.write` made them, neighbours in one chunk joined into one view (no bytes copied).
 */
export function captureBatchParts(records: readonly Buffer[]): Buffer[] {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(0, 6);
  header.writeUInt32LE(records.length, 8);
  const parts: Buffer[] = [header];
  let buf: ArrayBufferLike | undefined;
  let start = 0;
  let end = 0;
  for (const r of records) {
    if (r.buffer === buf && r.byteOffset === end) {
      end += r.length;
      continue;
    }
    if (buf) parts.push(Buffer.from(buf, start, end - start));
    buf = r.buffer;
    start = r.byteOffset;
    end = start + r.length;
  }
  if (buf) parts.push(Buffer.from(buf, start, end - start));
  return parts;
}

/** Encodes captures as one batch body. */
export function encodeCaptureBatch(captures: readonly CaptureInput[]): Buffer {
  const writer = new CaptureRecordWriter();
  return Buffer.concat(captureBatchParts(captures.map((c) => writer.write(c))));
}

/**
 * Decodes a batch body. Body bytes are views of `buf` (copy them to keep them beyond `buf`).
 * @throws LoopError INGEST_INVALID naming the field, e.g. `captures[2].request.headers[1].value: …`.
 */
export function decodeCaptureBatch(buf: Buffer): CaptureInput[] {
  if (buf.length < HEADER_BYTES) throw invalidInput('body', `expected a ${HEADER_BYTES}-byte capture-batch header, got ${buf.length} bytes`);
  if (buf.readUInt32LE(0) !== MAGIC) throw invalidInput('body', `expected a capture batch starting with "LCAP", got ${JSON.stringify(buf.toString('latin1', 0, 4))}`);
  const version = buf.readUInt16LE(4);
  if (version !== VERSION) throw invalidInput('body', `capture-batch version ${version} is not supported; expected ${VERSION}`);
  const flags = buf.readUInt16LE(6);
  if (flags !== 0) throw invalidInput('body', `capture-batch flags ${flags} are not supported; expected 0`);
  const count = buf.readUInt32LE(8);
  // Every record takes at least 4 bytes: a count beyond that is a lie, refused before allocating for it.
  if (count > (buf.length - HEADER_BYTES) / 4) throw invalidInput('body', `the header announces ${count} captures, more than ${buf.length} bytes can hold`);
  const r = new Reader(buf);
  r.at = HEADER_BYTES;
  const captures: CaptureInput[] = new Array(count);
  for (let i = 0; i < count; i++) {
    r.index = i;
    const length = r.u32('.length');
    const end = r.at + length;
    if (end > buf.length) throw r.fail('', `the record is ${length} bytes but only ${buf.length - r.at} are left`);
    r.end = end;
    captures[i] = r.capture();
    r.end = buf.length;
  }
  if (r.at !== buf.length) throw invalidInput('body', `${buf.length - r.at} bytes after the last of ${count} captures`);
  return captures;
}

/** A cursor over one batch; errors name `captures[index]` and the field. */
class Reader {
  at = 0;
  end: number;
  index = 0;
  private strings: string[] = [];
  private next = 0;

  constructor(private readonly buf: Buffer) {
    this.end = buf.length;
  }

  fail(field: string, message: string): Error {
    return invalidInput(`captures[${this.index}]${field}`, message);
  }

  private need(n: number, field: string, what: string): void {
    if (this.at + n > this.end) throw this.fail(field, `the record ends before ${what} (${n} bytes needed, ${this.end - this.at} left)`);
  }

  u32(field: string): number {
    this.need(4, field, 'its length');
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }

  private flags(field: string, known: number): number {
    this.need(1, field, 'its flags');
    const f = this.buf[this.at++]!;
    if ((f & ~known) !== 0) throw this.fail(`${field}.flags`, `flags ${f} have unknown bits (known: ${known})`);
    return f;
  }

  capture(): CaptureInput {
    const flags = this.flags('', CAPTURE_DURATION | CAPTURE_DOWNSTREAM | CAPTURE_UPSTREAM);
    let durationMs: number | null = null;
    if (flags & CAPTURE_DURATION) {
      this.need(8, '.durationMs', 'its value');
      durationMs = this.buf.readDoubleLE(this.at);
      this.at += 8;
    }
    const request = this.message('.request');
    const response = this.message('.response');
    const downstream = flags & CAPTURE_DOWNSTREAM ? this.connection('.downstream') : undefined;
    const upstream = flags & CAPTURE_UPSTREAM ? this.connection('.upstream') : undefined;
    // The text: one value per string the structure above announced, each followed by NUL.
    let expected = 4 + 2 * (request.headers.length + request.trailers.length + response.headers.length + response.trailers.length);
    if (request.headersReceivedAt !== undefined) expected++;
    if (response.headersReceivedAt !== undefined) expected++;
    for (const c of [downstream, upstream]) if (c) expected += (c.local ? 1 : 0) + (c.remote ? 1 : 0);
    const text = this.buf.toString('utf8', this.at, this.end);
    this.at = this.end;
    const strings = text.split('\0');
    if (strings.length !== expected + 1 || strings[expected] !== '') {
      const got = strings[strings.length - 1] === '' ? strings.length - 1 : `${strings.length - 1} and a value without its NUL`;
      throw this.fail('', `the record's text holds ${got} NUL-terminated values; its fields need ${expected}`);
    }
    this.strings = strings;
    this.next = 4;
    const capture: CaptureInput = { capturedAt: strings[0]!, tapConfig: strings[1]!, source: strings[2]!, destination: strings[3]!, durationMs, request, response };
    this.fillMessage(request);
    this.fillMessage(response);
    if (downstream) capture.downstream = this.fillConnection(downstream);
    if (upstream) capture.upstream = this.fillConnection(upstream);
    return capture;
  }

  /** The message with its header and trailer lists sized (filled from the text later), body and flags. */
  private message(field: string): CapturedMessage {
    const flags = this.flags(field, MESSAGE_BODY | MESSAGE_TRUNCATED | MESSAGE_RECEIVED_AT);
    if ((flags & MESSAGE_TRUNCATED) !== 0 && (flags & MESSAGE_BODY) === 0) throw this.fail(`${field}.flags`, 'truncated is set for a message without body');
    const headers = this.count(`${field}.headers`);
    const trailers = this.count(`${field}.trailers`);
    const m: CapturedMessage = { headers: new Array(headers), trailers: new Array(trailers) };
    // Marks that a time follows in the text; replaced when the text is read.
    if (flags & MESSAGE_RECEIVED_AT) m.headersReceivedAt = '';
    if (flags & MESSAGE_BODY) {
      const n = this.u32(`${field}.body`);
      this.need(n, `${field}.body`, `its ${n}-byte body`);
      m.body = { bytes: this.buf.subarray(this.at, this.at + n), truncated: (flags & MESSAGE_TRUNCATED) !== 0 };
      this.at += n;
    }
    return m;
  }

  /** A header count; each pair needs at least two NULs of text, so a count beyond the bytes left is a lie. */
  private count(field: string): number {
    const n = this.u32(field);
    if (n > (this.end - this.at) / 2) throw this.fail(field, `${n} pairs announced, more than the ${this.end - this.at} bytes left can hold`);
    return n;
  }

  private fillMessage(m: CapturedMessage): void {
    const s = this.strings;
    let k = this.next;
    for (const list of [m.headers, m.trailers]) {
      for (let i = 0; i < list.length; i++, k += 2) list[i] = [s[k]!, s[k + 1]!];
    }
    if (m.headersReceivedAt !== undefined) m.headersReceivedAt = s[k++]!;
    this.next = k;
  }

  private connection(field: string): ConnectionInfo {
    const flags = this.flags(field, CONNECTION_LOCAL | CONNECTION_REMOTE);
    const info: ConnectionInfo = {};
    // Addresses are filled from the text later.
    if (flags & CONNECTION_LOCAL) info.local = { address: '', port: this.port(`${field}.local.port`) };
    if (flags & CONNECTION_REMOTE) info.remote = { address: '', port: this.port(`${field}.remote.port`) };
    return info;
  }

  private port(field: string): number {
    this.need(2, field, 'its port');
    const port = this.buf.readUInt16LE(this.at);
    this.at += 2;
    return port;
  }

  private fillConnection(c: ConnectionInfo): ConnectionInfo {
    if (c.local) c.local.address = this.strings[this.next++]!;
    if (c.remote) c.remote.address = this.strings[this.next++]!;
    return c;
  }
}
