// An HTTP/1.1 request parser (RFC 9112), for a gateway that reads its downstream connections itself. Header
// fields and body framing are http1-parser.ts's; this reads the request line and decides the framing, and
// refuses, with the status a server should answer, every request a proxy's upstream could read differently:
// Transfer-Encoding together with Content-Length, Transfer-Encoding in HTTP/1.0, differing Content-Length
// values, a missing or repeated Host in HTTP/1.1, and a target with anything but visible ASCII.
//
// The gateway's own server side (http1-server.ts, `loop gateway --server own`, the default) reads its
// downstream connections with it.
//
// One request at a time: `begin()` before each, then `execute()` for each chunk; it stops at the end of the
// request and answers how many bytes it used, so pipelined requests wait in the caller's hands.
import { Http1Parser, type BodySink, type ParserLimits } from './http1-parser.js';

/** A request that cannot be read safely, with the status to answer before closing the connection. */
export class RequestParseError extends Error {
  override readonly name = 'RequestParseError';
  constructor(
    /** 400 malformed, 431 head too large, 501 a transfer coding other than chunked, 505 not HTTP/1.x. */
    readonly status: 400 | 431 | 501 | 505,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestHead {
  method: string;
  /** The request target as sent (origin-form, absolute-form, authority-form or `*`). */
  target: string;
  /** HTTP/1.`minor`. */
  minor: 0 | 1;
  /** Header names and values as sent, in order: [name, value, name, value, …]. */
  raw: string[];
  /** The body is chunked (its trailers come with `onComplete`). */
  chunked: boolean;
  /** The body's Content-Length; undefined for a chunked body or none. */
  contentLength: number | undefined;
  /** The connection may carry another request once this one is answered. */
  keepAlive: boolean;
  /** The Expect header's value, lower case (`100-continue`), when there was one. */
  expect: string | undefined;
  /** The Upgrade header's value when Connection names `upgrade` too: the client asks to switch protocols. */
  upgrade: string | undefined;
}

export interface RequestSink extends BodySink {
  onHead(head: RequestHead): void;
}

// method SP request-target SP HTTP-version; the target is visible ASCII (RFC 3986), as node:http's parser
// insists too: raw UTF-8 in a path is refused there, so it is here.
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([!-~]+) HTTP\/(\d)\.(\d)$/;

export class RequestParser extends Http1Parser {
  protected readonly noun = 'request';

  constructor(
    private readonly requests: RequestSink,
    limits: ParserLimits = { maxHeadBytes: 16 * 1024 },
  ) {
    super(requests, limits);
  }

  /** Expect the next request on the connection. */
  begin(): void {
    this.reset();
  }

  protected error(message: string): Error {
    return new RequestParseError(400, message);
  }

  protected override tooLarge(what: string): Error {
    return new RequestParseError(431, `the ${what} is larger than ${this.limits.maxHeadBytes} bytes`);
  }

  protected unexpectedBytes(): Error {
    return new RequestParseError(400, 'bytes arrived before the previous request was answered');
  }

  protected readHead(chunk: Buffer, at: number): number {
    const section = this.section(chunk, at, 'request head');
    if (!section) return chunk.length;
    // Empty lines before a request line are ignored (RFC 9112 §2.2): some clients send CRLF after a body.
    let text = section.text;
    while (text.startsWith('\r\n')) text = text.slice(2);
    if (text === '') return section.next;
    const lineEnd = text.indexOf('\r\n');
    const line = lineEnd < 0 ? text : text.slice(0, lineEnd);
    const m = REQUEST_LINE.exec(line);
    if (!m) throw this.error(`malformed request line ${JSON.stringify(line.slice(0, 80))}`);
    if (m[3] !== '1' || (m[4] !== '0' && m[4] !== '1')) throw new RequestParseError(505, `HTTP/${m[3]}.${m[4]} is not supported; HTTP/1.0 and HTTP/1.1 are`);
    const minor = m[4] === '1' ? 1 : 0;
    const raw = lineEnd < 0 ? [] : this.headerFields(text.slice(lineEnd + 2));

    let length: number | undefined;
    let codings: string | undefined;
    let hosts = 0;
    let keepAlive = minor === 1;
    let expect: string | undefined;
    let upgradeValue: string | undefined;
    let connectionUpgrade = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const n = name.length;
      // Seven names matter here; most are ruled out by length before lower-casing.
      if (n !== 4 && n !== 6 && n !== 7 && n !== 10 && n !== 14 && n !== 17) continue;
      const lower = name.toLowerCase();
      const value = raw[i + 1]!;
      if (lower === 'host') hosts++;
      else if (lower === 'content-length') {
        const previous = length;
        length = this.contentLength(value, length);
        // Equal values (RFC 9110 §8.6 lets a recipient accept or refuse them) would be forwarded as received,
        // and node:http upstreams refuse them: refused here, as --server node does.
        if (previous !== undefined || value.includes(',')) throw this.error(`more than one Content-Length (${previous === undefined ? JSON.stringify(value) : 'repeated'})`);
      }
      else if (lower === 'transfer-encoding') codings = codings === undefined ? value : `${codings},${value}`;
      else if (lower === 'expect') expect = value.toLowerCase();
      else if (lower === 'upgrade') upgradeValue = upgradeValue === undefined ? value : `${upgradeValue}, ${value}`;
      else if (lower === 'connection') {
        for (const token of value.toLowerCase().split(',')) {
          const t = token.trim();
          if (t === 'close') keepAlive = false;
          else if (t === 'keep-alive' && minor === 0) keepAlive = true;
          else if (t === 'upgrade') connectionUpgrade = true;
        }
      }
    }
    if (minor === 1 && hosts !== 1) throw this.error(hosts === 0 ? 'an HTTP/1.1 request without Host' : `${hosts} Host headers`);

    let chunked = false;
    if (codings !== undefined) {
      // Both, or TE in HTTP/1.0, can be read two ways by the hops behind: refused (RFC 9112 §6.1, §6.3).
      if (length !== undefined) throw this.error('both Transfer-Encoding and Content-Length');
      if (minor === 0) throw this.error('Transfer-Encoding in an HTTP/1.0 request');
      const list = codings.split(',').map((c) => c.trim().toLowerCase());
      if (list[list.length - 1] !== 'chunked') throw this.error(`Transfer-Encoding ${JSON.stringify(codings)} does not end with chunked`);
      if (list.length > 1) throw new RequestParseError(501, `Transfer-Encoding ${JSON.stringify(codings)}: only chunked is supported`);
      chunked = true;
    }

    const upgrade = connectionUpgrade ? upgradeValue : undefined;
    this.requests.onHead({ method: m[1]!, target: m[2]!, minor, raw, chunked, contentLength: length, keepAlive, expect, upgrade });
    if (chunked) this.startBody({ kind: 'chunked' });
    else if (length !== undefined) this.startBody({ kind: 'length', length });
    else this.startBody({ kind: 'none' });
    return section.next;
  }
}
