// What HTTP/1.1 requests and responses share (RFC 9112): header fields, and a body framed by Content-Length,
// by chunked transfer coding (with trailers), or by the connection's close. A subclass reads its kind of head
// and says how the body is framed; this class reads the body, fed the bytes of one connection as they arrive.
// It is strict where leniency lets a message be read two ways: CRLF line ends only, no obsolete line folding,
// no whitespace before a header's colon, no control characters. Names and values are latin1 strings, as
// node:http gives them, so bytes pass through unchanged.
//
// One message at a time: `begin()` before each, then `execute()` for each chunk; it stops at the end of the
// message and answers how many bytes it used, so the caller sees the bytes that follow it.
import { HTTP_TOKEN } from '../../core/http-syntax.js';

export interface BodySink {
  /** `last`: the body ends with this chunk (known for a body of declared length). */
  onBody(chunk: Buffer, last: boolean): void;
  /** The message is complete; trailers of a chunked body as [name, value, …]. */
  onComplete(trailers: string[] | undefined): void;
}

export interface ParserLimits {
  /** Bytes of a head (start line and headers), and of a chunked body's trailers. */
  maxHeadBytes: number;
}

/** How a message's body is framed, as its head says. */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until-close' };

const CRLF_CRLF = Buffer.from('\r\n\r\n');
// Control characters other than HTAB; CR and LF among them, since lines are split at CRLF before this test.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^\d{1,15}$/;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]{1,13})[ \t]*(?:;.*)?$/;
/** A chunk-size line with its extensions; longer lines are refused rather than buffered. */
const MAX_CHUNK_LINE = 4096;

const enum State {
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

export abstract class Http1Parser {
  private state = State.Idle;
  /** Bytes of a head, chunk-size line or trailer section split over reads. */
  private pending: Buffer | undefined;
  /** Body bytes left: of the Content-Length, or of the current chunk; CRLF bytes left after a chunk. */
  private left = 0;
  /** The last complete head or trailer section, and its name, for `bareLfFirst`. */
  private lastSection: string | undefined;
  private lastSectionWhat = '';

  constructor(
    private readonly sink: BodySink,
    protected readonly limits: ParserLimits,
  ) {}

  /** What is parsed, in errors: "request" or "response". */
  protected abstract readonly noun: string;

  /** The error this parser throws for bytes it refuses. */
  protected abstract error(message: string): Error;

  /** The error for bytes that arrive while no message is expected (before `begin`). */
  protected abstract unexpectedBytes(): Error;

  /** Reads a head from `chunk` at `at`; answers the offset after it (`chunk.length` while it is incomplete). */
  protected abstract readHead(chunk: Buffer, at: number): number;

  /** Expect a new message. */
  protected reset(): void {
    this.state = State.Head;
    this.pending = undefined;
  }

  /** True once the message is complete (until the next `begin`). */
  get complete(): boolean {
    return this.state === State.Done;
  }

  /** True when the body runs until the connection closes (no length, not chunked). */
  get readsUntilClose(): boolean {
    return this.state === State.UntilClose;
  }

  /** True when no byte of a message has been read since `begin`. */
  get untouched(): boolean {
    return this.state === State.Head && this.pending === undefined;
  }

  /**
   * Parses `chunk`; answers the bytes used. Fewer than `chunk.length` only when the message ended inside it.
   * Throws (`error()`) for a message that cannot be read safely.
   */
  execute(chunk: Buffer): number {
    try {
      return this.run(chunk);
    } catch (err) {
      throw this.bareLfFirst(err);
    }
  }

  /**
   * A section holding a bare LF is refused as such, however its bytes arrived: an unfinished one is refused
   * as soon as the LF is there (`section`), so a complete one that failed to parse gets the same error, not
   * whichever its line gave first. Checked only after a failure: every bare LF fails a line (a name is a
   * token, a value has no control characters), so a section that parsed had none.
   */
  private bareLfFirst(err: unknown): unknown {
    const text = this.lastSection;
    if (text === undefined) return err;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      if (i === 0 || text.charCodeAt(i - 1) !== 0x0d) return this.bareLf(this.lastSectionWhat);
    }
    return err;
  }

  private bareLf(what: string): Error {
    return this.error(`the ${what} has a line ended by a bare LF`);
  }

  private run(chunk: Buffer): number {
    let at = 0;
    while (at < chunk.length && this.state !== State.Done) {
      switch (this.state) {
        case State.Head:
          at = this.readHead(chunk, at);
          break;
        case State.Length: {
          const n = Math.min(this.left, chunk.length - at);
          this.left -= n;
          this.sink.onBody(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n), this.left === 0);
          at += n;
          if (this.left === 0) this.finish(undefined);
          break;
        }
        case State.ChunkSize:
          at = this.readChunkSize(chunk, at);
          break;
        case State.ChunkData: {
          const n = Math.min(this.left, chunk.length - at);
          this.left -= n;
          this.sink.onBody(chunk.subarray(at, at + n), false);
          at += n;
          if (this.left === 0) {
            this.state = State.ChunkEnd;
            this.left = 2;
          }
          break;
        }
        case State.ChunkEnd:
          // The CRLF after a chunk's data, possibly split between reads.
          if (chunk[at] !== (this.left === 2 ? 0x0d : 0x0a)) throw this.error('chunk data not followed by CRLF');
          at++;
          if (--this.left === 0) this.state = State.ChunkSize;
          break;
        case State.Trailers:
          at = this.readTrailers(chunk, at);
          break;
        case State.UntilClose:
          this.sink.onBody(at === 0 ? chunk : chunk.subarray(at), false);
          at = chunk.length;
          break;
        case State.Idle:
          throw this.unexpectedBytes();
      }
    }
    return at;
  }

  /** The connection closed: completes a body that runs until close, or throws for a message cut short. */
  end(): void {
    if (this.state === State.UntilClose) {
      this.finish(undefined);
      return;
    }
    if (this.state !== State.Done && this.state !== State.Idle) throw this.error(`the connection closed before the ${this.noun} was complete`);
  }

  /** Starts reading the body the head announced (completing the message at once when there is none). */
  protected startBody(framing: BodyFraming): void {
    switch (framing.kind) {
      case 'none':
        this.finish(undefined);
        break;
      case 'chunked':
        this.state = State.ChunkSize;
        break;
      case 'until-close':
        this.state = State.UntilClose;
        break;
      case 'length':
        this.left = framing.length;
        if (framing.length === 0) this.finish(undefined);
        else this.state = State.Length;
    }
  }

  /**
   * Reads up to the blank line that ends a head or trailer section; undefined while it is incomplete.
   * `what` names the section in errors.
   */
  protected section(chunk: Buffer, at: number, what: string): { text: string; next: number } | undefined {
    let buf = chunk;
    let start = at;
    let searchFrom = at;
    if (this.pending) {
      searchFrom = Math.max(0, this.pending.length - 3);
      buf = Buffer.concat([this.pending, chunk.subarray(at)]);
      start = 0;
    }
    const end = buf.indexOf(CRLF_CRLF, searchFrom);
    const limit = start + this.limits.maxHeadBytes;
    if (end < 0) {
      // Lines ended by LF alone never make the CRLF CRLF searched for: without this, a client that ends
      // lines so would wait for the headers timeout instead of the 400 (502 upstream) a complete head gets.
      // Within the size limit and before it, so that the error does not depend on how the bytes were cut.
      if (hasBareLf(buf, start, searchFrom, limit)) throw this.bareLf(what);
      // The last 3 bytes may be the start of the CRLF CRLF of a head exactly at the limit.
      if (buf.length - 3 > limit) throw this.tooLarge(what);
      this.pending = start === 0 && buf !== chunk ? buf : Buffer.from(buf.subarray(start));
      return undefined;
    }
    if (end > limit) throw hasBareLf(buf, start, start, limit) ? this.bareLf(what) : this.tooLarge(what);
    const text = buf.toString('latin1', start, end);
    this.lastSection = text;
    this.lastSectionWhat = what;
    // Offset in `chunk` just past the blank line.
    const next = this.pending ? at + (end + 4 - this.pending.length) : end + 4;
    this.pending = undefined;
    return { text, next };
  }

  /** The error for a head or trailer section over the limit. */
  protected tooLarge(what: string): Error {
    return this.error(`the ${what} is larger than ${this.limits.maxHeadBytes} bytes`);
  }

  /** Header lines as [name, value, …]; values without surrounding whitespace. */
  protected headerFields(text: string): string[] {
    const raw: string[] = [];
    let at = 0;
    while (at < text.length) {
      let end = text.indexOf('\r\n', at);
      if (end < 0) end = text.length;
      const c0 = text.charCodeAt(at);
      if (c0 === 0x20 || c0 === 0x09) throw this.error('obsolete line folding in a header');
      const colon = text.indexOf(':', at);
      if (colon < 0 || colon > end) throw this.error(`header line without a colon: ${JSON.stringify(text.slice(at, Math.min(end, at + 60)))}`);
      const name = text.slice(at, colon);
      if (!HTTP_TOKEN.test(name)) throw this.error(`invalid header name ${JSON.stringify(name.slice(0, 60))}`);
      const value = trimOws(text.slice(colon + 1, end));
      if (CONTROL.test(value)) throw this.error(`header ${name} has a control character or a bare CR or LF`);
      raw.push(name, value);
      at = end + 2;
    }
    return raw;
  }

  /**
   * The value of Content-Length headers: usually one plain number; a list of equal numbers is allowed
   * (RFC 9110 §8.6). `value` is one header's value, `length` what earlier ones said.
   */
  protected contentLength(value: string, length: number | undefined): number {
    for (const part of DIGITS.test(value) ? [value] : value.split(',')) {
      const v = part.trim();
      if (!DIGITS.test(v)) throw this.error(`invalid Content-Length ${JSON.stringify(value)}`);
      if (length !== undefined && length !== Number(v)) throw this.error('conflicting Content-Length values');
      length = Number(v);
    }
    return length!;
  }

  private readChunkSize(chunk: Buffer, at: number): number {
    const lf = chunk.indexOf(0x0a, at);
    if (lf < 0) {
      this.pending = this.pending ? Buffer.concat([this.pending, chunk.subarray(at)]) : Buffer.from(chunk.subarray(at));
      if (this.pending.length > MAX_CHUNK_LINE) throw this.error('chunk-size line too long');
      return chunk.length;
    }
    const line = this.pending ? Buffer.concat([this.pending, chunk.subarray(at, lf + 1)]) : chunk.subarray(at, lf + 1);
    this.pending = undefined;
    if (line.length > MAX_CHUNK_LINE) throw this.error('chunk-size line too long');
    if (line.length < 2 || line[line.length - 2] !== 0x0d) throw this.error('chunk-size line not ended by CRLF');
    const text = line.toString('latin1', 0, line.length - 2);
    const m = CHUNK_SIZE_LINE.exec(text);
    if (!m || CONTROL.test(text)) throw this.error(`malformed chunk-size line ${JSON.stringify(text.slice(0, 40))}`);
    const size = parseInt(m[1]!, 16);
    if (size === 0) {
      this.state = State.Trailers;
      return lf + 1;
    }
    this.left = size;
    this.state = State.ChunkData;
    return lf + 1;
  }

  private readTrailers(chunk: Buffer, at: number): number {
    // No trailers: the last chunk is followed by CRLF alone.
    if (!this.pending && chunk[at] === 0x0d && chunk[at + 1] === 0x0a) {
      this.finish(undefined);
      return at + 2;
    }
    // The section search looks for CRLF CRLF: put back the CRLF that ended the last-chunk line.
    if (!this.pending) this.pending = Buffer.from('\r\n');
    const section = this.section(chunk, at, 'trailer section');
    if (!section) return chunk.length;
    const text = section.text.slice(2);
    const trailers = this.headerFields(text);
    this.finish(trailers.length > 0 ? trailers : undefined);
    return section.next;
  }

  private finish(trailers: string[] | undefined): void {
    this.state = State.Done;
    this.sink.onComplete(trailers);
  }
}

function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Whether `buf` holds, from `from` up to `limit`, an LF that no CR precedes within the section starting at `start`. */
function hasBareLf(buf: Buffer, start: number, from: number, limit: number): boolean {
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < limit; i = buf.indexOf(0x0a, i + 1)) {
    if (i === start || buf[i - 1] !== 0x0d) return true;
  }
  return false;
}
