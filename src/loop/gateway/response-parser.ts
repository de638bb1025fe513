// An HTTP/1.1 response parser for the gateway's upstream connections (RFC 9112), fed the bytes of one
// connection as they arrive. It is strict where leniency lets a response be read two ways: CRLF line ends
// only, no obsolete line folding, no whitespace before a header's colon, no control characters, one
// Content-Length value; Transfer-Encoding wins over Content-Length and then the connection is not reused.
// Header names and values are latin1 strings, as node:http gives them, so bytes pass through unchanged.
//
// One response at a time: `begin()` before each request's response, then `execute()` for each chunk; it
// stops at the end of the response and answers how many bytes it used, so the caller sees bytes the upstream
// sent beyond the response (a connection that did that is not reused).

export class ResponseParseError extends Error {
  override readonly name = 'ResponseParseError';
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** Header names and values as sent, in order: [name, value, name, value, …]. */
  raw: string[];
  /** The connection may carry another request once this response is complete. */
  keepAlive: boolean;
  /** The upstream's `Keep-Alive: timeout=N`, in milliseconds, when it sent one. */
  keepAliveTimeoutMs: number | undefined;
}

export interface ResponseSink {
  /** A response head; interim (1xx) heads come first, each followed by another head. */
  onHead(head: ResponseHead): void;
  /** `last`: the body ends with this chunk (known for a body of declared length). */
  onBody(chunk: Buffer, last: boolean): void;
  /** The response is complete; trailers of a chunked body as [name, value, …]. */
  onComplete(trailers: string[] | undefined): void;
}

export interface ResponseParserLimits {
  /** Bytes of a response head (status line and headers), and of a chunked body's trailers. */
  maxHeadBytes: number;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Control characters other than HTAB; CR and LF among them, since lines are split at CRLF before this test.
// eslint-disable-next-line no-control-regex -- control characters are exactly what these look for
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;
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

export class ResponseParser {
  private state = State.Idle;
  private headRequest = false;
  /** Bytes of a head, chunk-size line or trailer section split over reads. */
  private pending: Buffer | undefined;
  /** Body bytes left: of the Content-Length, or of the current chunk; CRLF bytes left after a chunk. */
  private left = 0;

  constructor(
    private readonly sink: ResponseSink,
    private readonly limits: ResponseParserLimits = { maxHeadBytes: 64 * 1024 },
  ) {}

  /** Expect the response to a new request; a HEAD request's response has no body whatever it says. */
  begin(headRequest: boolean): void {
    this.state = State.Head;
    this.headRequest = headRequest;
    this.pending = undefined;
  }

  /** True once the response is complete (until the next `begin`). */
  get complete(): boolean {
    return this.state === State.Done;
  }

  /** True when the body runs until the connection closes (no length, not chunked). */
  get readsUntilClose(): boolean {
    return this.state === State.UntilClose;
  }

  /** True when no byte of a response has been read since `begin`. */
  get untouched(): boolean {
    return this.state === State.Head && this.pending === undefined;
  }

  /**
   * Parses `chunk`; answers the bytes used. Fewer than `chunk.length` only when the response ended inside it.
   * Throws ResponseParseError for a response that cannot be read safely.
   */
  execute(chunk: Buffer): number {
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
          if (chunk[at] !== (this.left === 2 ? 0x0d : 0x0a)) throw new ResponseParseError('chunk data not followed by CRLF');
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
          throw new ResponseParseError('bytes arrived while no request was waiting for a response');
      }
    }
    return at;
  }

  /** The connection closed: completes a body that runs until close, or throws for a response cut short. */
  end(): void {
    if (this.state === State.UntilClose) {
      this.finish(undefined);
      return;
    }
    if (this.state !== State.Done && this.state !== State.Idle) throw new ResponseParseError('the connection closed before the response was complete');
  }

  /** Reads up to the blank line that ends a head or trailer section; undefined while it is incomplete. */
  private section(chunk: Buffer, at: number, what: string): { text: string; next: number } | undefined {
    let buf = chunk;
    let start = at;
    let searchFrom = at;
    if (this.pending) {
      searchFrom = Math.max(0, this.pending.length - 3);
      buf = Buffer.concat([this.pending, chunk.subarray(at)]);
      start = 0;
    }
    const end = buf.indexOf(CRLF_CRLF, searchFrom);
    if (end < 0) {
      if (buf.length - start > this.limits.maxHeadBytes) throw new ResponseParseError(`the ${what} is larger than ${this.limits.maxHeadBytes} bytes`);
      this.pending = start === 0 && buf !== chunk ? buf : Buffer.from(buf.subarray(start));
      return undefined;
    }
    if (end - start > this.limits.maxHeadBytes) throw new ResponseParseError(`the ${what} is larger than ${this.limits.maxHeadBytes} bytes`);
    const text = buf.toString('latin1', start, end);
    // Offset in `chunk` just past the blank line.
    const next = this.pending ? at + (end + 4 - this.pending.length) : end + 4;
    this.pending = undefined;
    return { text, next };
  }

  private readHead(chunk: Buffer, at: number): number {
    const section = this.section(chunk, at, 'response head');
    if (!section) return chunk.length;
    const { text } = section;
    const lineEnd = text.indexOf('\r\n');
    const statusLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw new ResponseParseError(`malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    const status = Number(m[2]);
    const raw = lineEnd < 0 ? [] : headerFields(text.slice(lineEnd + 2));

    let length: number | undefined;
    let chunked = false;
    let transferEncoded = false;
    let keepAlive = m[1] === '1';
    let keepAliveTimeoutMs: number | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      // Only four names matter here; most are ruled out by length before lower-casing.
      if (name.length !== 14 && name.length !== 17 && name.length !== 10) continue;
      const lower = name.toLowerCase();
      const value = raw[i + 1]!;
      if (lower === 'content-length') {
        // Usually one plain number; a list of equal numbers is allowed (RFC 9110 §8.6).
        for (const part of DIGITS.test(value) ? [value] : value.split(',')) {
          const v = part.trim();
          if (!DIGITS.test(v)) throw new ResponseParseError(`invalid Content-Length ${JSON.stringify(value)}`);
          if (length !== undefined && length !== Number(v)) throw new ResponseParseError('conflicting Content-Length values');
          length = Number(v);
        }
      } else if (lower === 'transfer-encoding') {
        transferEncoded = true;
        const codings = value.toLowerCase().split(',');
        chunked = codings[codings.length - 1]!.trim() === 'chunked';
      } else if (lower === 'connection') {
        for (const token of value.toLowerCase().split(',')) {
          const t = token.trim();
          if (t === 'close') keepAlive = false;
          else if (t === 'keep-alive' && m[1] === '0') keepAlive = true;
        }
      } else if (lower === 'keep-alive') {
        const t = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(value);
        if (t) keepAliveTimeoutMs = Number(t[1]) * 1000;
      }
    }
    // A response with both was possibly framed differently by someone on the way: read it as chunked
    // (RFC 9112 §6.3) and do not trust the connection with another request.
    if (transferEncoded && length !== undefined) keepAlive = false;
    if (transferEncoded && !chunked) keepAlive = false;

    this.sink.onHead({ status, reason: m[3] ?? '', raw, keepAlive, keepAliveTimeoutMs });
    if (status < 200) {
      this.state = State.Head; // the final response follows
      return section.next;
    }
    if (this.headRequest || status === 204 || status === 304) this.finish(undefined);
    else if (transferEncoded) {
      if (chunked) this.state = State.ChunkSize;
      else this.state = State.UntilClose;
    } else if (length !== undefined) {
      this.left = length;
      if (length === 0) this.finish(undefined);
      else this.state = State.Length;
    } else this.state = State.UntilClose;
    return section.next;
  }

  private readChunkSize(chunk: Buffer, at: number): number {
    const lf = chunk.indexOf(0x0a, at);
    if (lf < 0) {
      this.pending = this.pending ? Buffer.concat([this.pending, chunk.subarray(at)]) : Buffer.from(chunk.subarray(at));
      if (this.pending.length > MAX_CHUNK_LINE) throw new ResponseParseError('chunk-size line too long');
      return chunk.length;
    }
    const line = this.pending ? Buffer.concat([this.pending, chunk.subarray(at, lf + 1)]) : chunk.subarray(at, lf + 1);
    this.pending = undefined;
    if (line.length > MAX_CHUNK_LINE) throw new ResponseParseError('chunk-size line too long');
    if (line.length < 2 || line[line.length - 2] !== 0x0d) throw new ResponseParseError('chunk-size line not ended by CRLF');
    const text = line.toString('latin1', 0, line.length - 2);
    const m = CHUNK_SIZE_LINE.exec(text);
    if (!m || CONTROL.test(text)) throw new ResponseParseError(`malformed chunk-size line ${JSON.stringify(text.slice(0, 40))}`);
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
    const trailers = headerFields(text);
    this.finish(trailers.length > 0 ? trailers : undefined);
    return section.next;
  }

  private finish(trailers: string[] | undefined): void {
    this.state = State.Done;
    this.sink.onComplete(trailers);
  }
}

/** Header lines as [name, value, …]; values without surrounding whitespace. */
function headerFields(text: string): string[] {
  const raw: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\r\n', at);
    if (end < 0) end = text.length;
    const c0 = text.charCodeAt(at);
    if (c0 === 0x20 || c0 === 0x09) throw new ResponseParseError('obsolete line folding in a header');
    const colon = text.indexOf(':', at);
    if (colon < 0 || colon > end) throw new ResponseParseError(`header line without a colon: ${JSON.stringify(text.slice(at, Math.min(end, at + 60)))}`);
    const name = text.slice(at, colon);
    if (!TOKEN.test(name)) throw new ResponseParseError(`invalid header name ${JSON.stringify(name.slice(0, 60))}`);
    const value = trimOws(text.slice(colon + 1, end));
    if (CONTROL.test(value)) throw new ResponseParseError(`header ${name} has a control character or a bare CR or LF`);
    raw.push(name, value);
    at = end + 2;
  }
  return raw;
}

function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
