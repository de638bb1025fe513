// An HTTP/1.1 response parser for the gateway's upstream connections (RFC 9112). Header fields and body
// framing are http1-parser.ts's; this reads the status line and decides the framing of a response:
// Transfer-Encoding wins over Content-Length (and then the connection is not reused), one Content-Length
// value, no body for HEAD, 1xx, 204 and 304, and a body without either runs until the connection closes. A
// body under a transfer coding besides chunked is refused: it could not be passed on as it is meant.
//
// One response at a time: `begin()` before each request's response, then `execute()` for each chunk; it
// stops at the end of the response and answers how many bytes it used, so the caller sees bytes the upstream
// sent beyond the response (a connection that did that is not reused).
import { Http1Parser, type BodySink, type ParserLimits } from './http1-parser.js';

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

export interface ResponseSink extends BodySink {
  /** A response head; interim (1xx) heads come first, each followed by another head. */
  onHead(head: ResponseHead): void;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;

export class ResponseParser extends Http1Parser {
  protected readonly noun = 'response';
  private headRequest = false;
  private upgradeRequest = false;

  constructor(
    private readonly responses: ResponseSink,
    limits: ParserLimits = { maxHeadBytes: 64 * 1024 },
  ) {
    super(responses, limits);
  }

  /**
   * Expect the response to a new request; a HEAD request's response has no body whatever it says. After a
   * request that asked to upgrade, a 101 ends the response: the bytes after its head are the new protocol's.
   */
  begin(headRequest: boolean, upgradeRequest = false): void {
    this.reset();
    this.headRequest = headRequest;
    this.upgradeRequest = upgradeRequest;
  }

  protected error(message: string): Error {
    return new ResponseParseError(message);
  }

  protected unexpectedBytes(): Error {
    return new ResponseParseError('bytes arrived while no request was waiting for a response');
  }

  protected readHead(chunk: Buffer, at: number): number {
    const section = this.section(chunk, at, 'response head');
    if (!section) return chunk.length;
    const { text } = section;
    const lineEnd = text.indexOf('\r\n');
    const statusLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw new ResponseParseError(`malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    const status = Number(m[2]);
    const raw = lineEnd < 0 ? [] : this.headerFields(text.slice(lineEnd + 2));

    let length: number | undefined;
    let chunked = false;
    let transferEncoded = false;
    let codings: string | undefined;
    let keepAlive = m[1] === '1';
    let keepAliveTimeoutMs: number | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      // Only four names matter here; most are ruled out by length before lower-casing.
      if (name.length !== 14 && name.length !== 17 && name.length !== 10) continue;
      const lower = name.toLowerCase();
      const value = raw[i + 1]!;
      if (lower === 'content-length') length = this.contentLength(value, length);
      else if (lower === 'transfer-encoding') {
        // A second header adds codings: only a lone `chunked` is chunked alone.
        chunked = !transferEncoded && value.toLowerCase() === 'chunked';
        codings = codings === undefined ? value : `${codings}, ${value}`;
        transferEncoded = true;
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

    // The gateway passes a body on decoded of its chunks, framed anew: any other coding (gzip, …) would reach
    // the client undeclared, as if the coded bytes were the content. The request's TE, which could have asked
    // for one, is hop-by-hop and not forwarded, so the upstream had no business using it. Refused before the
    // head is reported, so that the gateway can still answer 502.
    if (transferEncoded && !chunked && status >= 200 && status !== 204 && status !== 304 && !this.headRequest) {
      throw new ResponseParseError(`Transfer-Encoding ${JSON.stringify(codings)}: only chunked can be passed on`);
    }
    this.responses.onHead({ status, reason: m[3] ?? '', raw, keepAlive, keepAliveTimeoutMs });
    if (status === 101 && this.upgradeRequest) {
      this.startBody({ kind: 'none' });
      return section.next;
    }
    // After an interim response the parser still expects a head: the final response's.
    if (status < 200) return section.next;
    if (this.headRequest || status === 204 || status === 304) this.startBody({ kind: 'none' });
    else if (transferEncoded) this.startBody({ kind: 'chunked' });
    else if (length !== undefined) this.startBody({ kind: 'length', length });
    else this.startBody({ kind: 'until-close' });
    return section.next;
  }
}
