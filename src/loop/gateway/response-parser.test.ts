// The upstream response parser fed whole responses, then the same bytes split at every offset, and
// responses that must be refused.
import { describe, expect, it } from 'vitest';
import { ResponseParseError, ResponseParser, type ResponseHead } from './response-parser.js';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  trailers: string[] | undefined;
  complete: boolean;
  used: number;
}

function parse(text: string | Buffer, options: { head?: boolean; splitAt?: number[]; close?: boolean } = {}): Parsed {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const out: Parsed = { heads: [], body: '', trailers: undefined, complete: false, used: 0 };
  const parser = new ResponseParser({
    onHead: (h) => out.heads.push(h),
    onBody: (c) => (out.body += c.toString('latin1')),
    onComplete: (t) => {
      out.trailers = t;
      out.complete = true;
    },
  });
  parser.begin(options.head ?? false);
  const cuts = [0, ...(options.splitAt ?? []), bytes.length];
  for (let i = 0; i + 1 < cuts.length && !parser.complete; i++) {
    const piece = bytes.subarray(cuts[i], cuts[i + 1]);
    if (piece.length > 0) out.used = cuts[i]! + parser.execute(piece);
  }
  if (options.close) parser.end();
  return out;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: abc\r\nX-Two:  2 \r\n\r\n';

describe('ResponseParser: responses read whole', () => {
  it.each([
    ['Content-Length', OK, { status: 200, body: 'hello', keepAlive: true, trailers: undefined }],
    ['chunked with extensions and trailers', CHUNKED, { status: 200, body: 'hello world', keepAlive: true, trailers: ['X-Sum', 'abc', 'X-Two', '2'] }],
    ['chunked without trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', { status: 200, body: 'abc', keepAlive: true, trailers: undefined }],
    ['204 has no body', 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n', { status: 204, body: '', keepAlive: true, trailers: undefined }],
    ['304 has no body', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n', { status: 304, body: '', keepAlive: true, trailers: undefined }],
    ['Content-Length 0', 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n', { status: 500, body: '', keepAlive: true, trailers: undefined }],
    ['Connection: close', 'HTTP/1.1 200 OK\r\nConnection: Keep-Alive, close\r\nContent-Length: 2\r\n\r\nok', { status: 200, body: 'ok', keepAlive: false, trailers: undefined }],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', { status: 200, body: 'ok', keepAlive: false, trailers: undefined }],
    ['HTTP/1.0 with keep-alive', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok', { status: 200, body: 'ok', keepAlive: true, trailers: undefined }],
    ['Transfer-Encoding wins over Content-Length, and the connection is not reused', 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', { status: 200, body: 'ok', keepAlive: false, trailers: undefined }],
    ['repeated identical Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok', { status: 200, body: 'ok', keepAlive: true, trailers: undefined }],
    ['empty reason phrase', 'HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n', { status: 200, body: '', keepAlive: true, trailers: undefined }],
    ['no reason phrase at all', 'HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n', { status: 404, body: '', keepAlive: true, trailers: undefined }],
  ])('%s', (_name, text, want) => {
    const got = parse(text);
    expect(got.complete).toBe(true);
    expect(got.used).toBe(text.length);
    expect(got.heads.at(-1)!.status).toBe(want.status);
    expect(got.heads.at(-1)!.keepAlive).toBe(want.keepAlive);
    expect(got.body).toBe(want.body);
    expect(got.trailers).toEqual(want.trailers);
  });

  it('keeps header names, values, order and duplicates as sent (latin1), without surrounding whitespace', () => {
    const got = parse('HTTP/1.1 200 OK\r\nX-A:  one \r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nX-Latin: caf\xe9\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n');
    expect(got.heads[0]!.raw).toEqual(['X-A', 'one', 'set-cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Latin', 'caf\xe9', 'X-Empty', '', 'Content-Length', '0']);
    expect(got.heads[0]!.reason).toBe('OK');
  });

  it('marks the last piece of a body of declared length, and no piece of a chunked one', () => {
    const marks = (text: string, splitAt: number): boolean[] => {
      const seen: boolean[] = [];
      const parser = new ResponseParser({ onHead() {}, onBody: (_c, last) => seen.push(last), onComplete() {} });
      parser.begin(false);
      const bytes = Buffer.from(text, 'latin1');
      parser.execute(bytes.subarray(0, splitAt));
      parser.execute(bytes.subarray(splitAt));
      return seen;
    };
    expect(marks(OK, OK.length - 2)).toEqual([false, true]);
    expect(marks(CHUNKED, CHUNKED.length - 20).every((last) => !last)).toBe(true);
  });

  it('reads the Keep-Alive timeout hint', () => {
    expect(parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n').heads[0]!.keepAliveTimeoutMs).toBe(5000);
    expect(parse(OK).heads[0]!.keepAliveTimeoutMs).toBeUndefined();
  });

  it('reports interim responses, then the final one', () => {
    const got = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' + OK);
    expect(got.heads.map((h) => h.status)).toEqual([100, 103, 200]);
    expect(got.body).toBe('hello');
  });

  it('ends the response at a 101 after an upgrade request: what follows is the new protocol', () => {
    const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    const bytes = Buffer.from(`${head}\x81\x02hi`, 'latin1');
    for (let split = 1; split < bytes.length; split++) {
      const out: ResponseHead[] = [];
      let complete = false;
      const parser = new ResponseParser({ onHead: (h) => out.push(h), onBody: () => expect.fail('no body after a 101'), onComplete: () => (complete = true) });
      parser.begin(false, true);
      const first = parser.execute(bytes.subarray(0, split));
      const used = complete ? first : split + parser.execute(bytes.subarray(split));
      expect(complete).toBe(true);
      expect(used).toBe(head.length);
      expect(out.map((h) => h.status)).toEqual([101]);
    }
    // Without an upgrade request a 101 is interim, like any 1xx: the final head is still to come.
    const plain = parse(head + OK);
    expect(plain.heads.map((h) => h.status)).toEqual([101, 200]);
  });

  it('reads no body for a HEAD request whatever the headers say', () => {
    const got = parse('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', { head: true });
    expect(got.complete).toBe(true);
    expect(got.body).toBe('');
  });

  it('reads a body without length until the connection closes', () => {
    const got = parse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it', { close: true });
    expect(got.body).toBe('all of it');
    expect(got.complete).toBe(true);
  });

  it('stops at the end of the response and says how many bytes it used', () => {
    const got = parse(OK + 'HTTP/1.1 200 OK\r\n');
    expect(got.complete).toBe(true);
    expect(got.used).toBe(OK.length);
  });
});

describe('ResponseParser: the same bytes split anywhere', () => {
  it.each([
    ['Content-Length', OK],
    ['chunked with trailers', CHUNKED],
    ['interim then final', 'HTTP/1.1 100 Continue\r\n\r\n' + OK],
    ['chunked without trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n'],
  ])('%s: every single split and every pair of splits read the same', (_name, text) => {
    const whole = parse(text);
    for (let i = 1; i < text.length; i++) {
      for (let j = i; j < text.length; j += 7) {
        const got = parse(text, { splitAt: [i, j] });
        expect({ i, j, complete: got.complete, body: got.body, trailers: got.trailers, raw: got.heads.map((h) => h.raw) }).toEqual({
          i, j, complete: true, body: whole.body, trailers: whole.trailers, raw: whole.heads.map((h) => h.raw),
        });
      }
    }
  });
});

describe('ResponseParser: responses refused', () => {
  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n', /status line/],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', /status line/],
    ['garbage', 'hello world\r\n\r\n', /status line/],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n', /folding/],
    ['whitespace before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n', /header name/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', /colon/],
    ['a bare LF ending the status line', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', /response head has a line ended by a bare LF/],
    ['a bare LF inside a header line', 'HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 0\r\n\r\n', /response head has a line ended by a bare LF/],
    ['a head whose lines all end with LF alone (no CRLF CRLF ever comes)', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', /bare LF/],
    ['a control character in the reason phrase', 'HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n', /status line/],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n', /bare CR or LF/],
    ['a NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n', /control character/],
    ['conflicting Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', /conflicting/],
    ['a negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /Content-Length/],
    ['a non-hex chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk-size/],
    ['a chunk size too large to count', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n', /chunk-size/],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n', /CRLF/],
    ['a chunk-size line ended by LF alone', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n', /CRLF/],
    // Passed on decoded of its chunks only, a gzip-coded body reached the client as if it were the content.
    ['a transfer coding besides chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n\x1f\x8b\r\n0\r\n\r\n', /Transfer-Encoding "gzip, chunked": only chunked can be passed on/],
    ['a transfer coding besides chunked in a header of its own', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /"gzip, chunked": only chunked/],
    ['a transfer coding without chunked (a body until close)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz', /"gzip": only chunked/],
  ])('%s', (_name, text, message) => {
    expect(() => parse(text)).toThrow(ResponseParseError);
    expect(() => parse(text)).toThrow(message);
  });

  it('refuses a head larger than the limit, without waiting for its end', () => {
    const parser = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { maxHeadBytes: 100 });
    parser.begin(false);
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n'));
    expect(() => parser.execute(Buffer.from(`X-Big: ${'x'.repeat(200)}`))).toThrow(/larger than 100 bytes/);
  });

  it('refuses a connection that closes mid-body, and bytes nobody asked for', () => {
    expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', { close: true })).toThrow(/closed before the response was complete/);
    const parser = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
    expect(() => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/no request was waiting/);
  });
});
