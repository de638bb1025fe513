import { describe, expect, it } from 'vitest';
import type { CaptureInput, HeaderList } from '../capture/capture.js';
import { compileMatch } from './compile-match.js';
import { evaluateMatch, evaluatePartial, requestHeadList, responseHeadList, type RequestHead } from './evaluate.js';
import { parseMatch } from './parser.js';

function exchange(parts: {
  req?: HeaderList;
  res?: HeaderList;
  reqTrailers?: HeaderList;
  resTrailers?: HeaderList;
  reqBody?: string | Buffer;
  resBody?: string | Buffer;
}): CaptureInput {
  const body = (b: string | Buffer | undefined) =>
    b === undefined ? {} : { body: { bytes: Buffer.isBuffer(b) ? b : Buffer.from(b), truncated: false } };
  return {
    capturedAt: '2024-01-01T00:00:00Z',
    tapConfig: 'default/t',
    source: 'test',
    destination: '',
    durationMs: 1,
    request: { headers: parts.req ?? [], trailers: parts.reqTrailers ?? [], ...body(parts.reqBody) },
    response: { headers: parts.res ?? [], trailers: parts.resTrailers ?? [], ...body(parts.resBody) },
  };
}

const get500 = exchange({
  req: [
    [':method', 'GET'],
    [':path', '/orders/42'],
    [':authority', 'web.default:9090'],
    ['X-Trace', 'abc'],
    ['accept', 'text/html'],
    ['accept', 'application/json'],
    ['x-empty', ''],
    ['x-n', '-5'],
  ],
  res: [
    [':status', '500'],
    ['content-type', 'application/json'],
  ],
  resTrailers: [['grpc-status', '14']],
  reqBody: '{"retry":true}',
  resBody: Buffer.from([0x00, 0xff, 0x4f, 0x4f, 0x4d]),
});
const post200 = exchange({
  req: [
    [':method', 'POST'],
    [':path', '/healthz'],
  ],
  res: [[':status', '200']],
  reqTrailers: [['x-sum', '1']],
});
const noResponse = exchange({ req: [[':method', 'GET']] });

describe('evaluateMatch', () => {
  // [expression, exchange name, expected]
  const ex = { get500, post200, noResponse };
  const cases: Array<[string, keyof typeof ex, boolean]> = [
    ['responseHeaders[":status"] == prefix("5")', 'get500', true],
    ['responseHeaders[":status"] == prefix("5")', 'post200', false],
    ['responseHeaders[":status"] == prefix("5")', 'noResponse', false],
    ['responseHeaders[":status"] == "500"', 'get500', true],
    ['responseHeaders[":status"] == "50"', 'get500', false],
    ['requestHeaders[":path"] == suffix("/42")', 'get500', true],
    ['requestHeaders[":path"] == contains("ders/4")', 'get500', true],
    ['requestHeaders[":path"] == contains("Orders")', 'get500', false],
    // Regex is a full match.
    ['requestHeaders[":path"] == regex("/orders/[0-9]+")', 'get500', true],
    ['requestHeaders[":path"] == regex("/orders")', 'get500', false],
    ['requestHeaders[":path"] == regex("[0-9]+")', 'get500', false],
    ['requestHeaders[":path"] == regex("/a|/orders/42")', 'get500', true],
    ['requestHeaders[":path"] == regex("(?i)/ORDERS/42")', 'get500', true],
    ['requestHeaders[":path"] == regex("/ORDERS/42")', 'get500', false],
    // Header names compare case-insensitively, values case-sensitively.
    ['requestHeaders["x-trace"] == "abc"', 'get500', true],
    ['requestHeaders["X-TRACE"] == "abc"', 'get500', true],
    ['requestHeaders["x-trace"] == "ABC"', 'get500', false],
    // Several values are joined with ",".
    ['requestHeaders["accept"] == "text/html,application/json"', 'get500', true],
    ['requestHeaders["accept"] == "text/html"', 'get500', false],
    ['requestHeaders["accept"] == suffix("json")', 'get500', true],
    // present() and an empty value.
    ['requestHeaders["x-empty"] == present()', 'get500', true],
    ['requestHeaders["x-empty"] == ""', 'get500', true],
    ['requestHeaders["x-empty"] != present()', 'get500', false],
    // Missing header: == and != both false; only != present() is true.
    ['requestHeaders["x-missing"] == "a"', 'get500', false],
    ['requestHeaders["x-missing"] != "a"', 'get500', false],
    ['requestHeaders["x-missing"] != prefix("a")', 'get500', false],
    ['requestHeaders["x-missing"] != range(0, 10)', 'get500', false],
    ['requestHeaders["x-missing"] == present()', 'get500', false],
    ['requestHeaders["x-missing"] != present()', 'get500', true],
    ['!(requestHeaders["x-missing"] == "a")', 'get500', true],
    ['requestHeaders["x-trace"] != "zzz"', 'get500', true],
    ['requestHeaders["x-trace"] != "abc"', 'get500', false],
    // range is [lo, hi) on a base-10 integer.
    ['responseHeaders[":status"] == range(500, 600)', 'get500', true],
    ['responseHeaders[":status"] == range(400, 500)', 'get500', false],
    ['responseHeaders[":status"] == range(501, 600)', 'get500', false],
    ['responseHeaders[":status"] != range(500, 600)', 'post200', true],
    ['requestHeaders["x-n"] == range(-10, 0)', 'get500', true],
    ['requestHeaders["x-trace"] == range(0, 1000)', 'get500', false],
    ['requestHeaders["x-trace"] != range(0, 1000)', 'get500', true],
    ['requestHeaders["x-empty"] == range(-1, 1)', 'get500', false],
    // Trailers.
    ['responseTrailers["grpc-status"] == "14"', 'get500', true],
    ['responseTrailers["grpc-status"] != "0"', 'get500', true],
    ['responseTrailers["grpc-status"] != "0"', 'post200', false],
    ['requestTrailers["X-Sum"] == present()', 'post200', true],
    ['requestTrailers["x-sum"] == present()', 'get500', false],
    // Bodies: byte substring search.
    ['requestBody == contains("\\"retry\\":true")', 'get500', true],
    ['requestBody == contains("RETRY")', 'get500', false],
    ['responseBody == contains("OOM")', 'get500', true],
    ['requestBody == contains("x")', 'post200', false],
    ['requestBody != contains("x")', 'post200', true],
    ['requestBody != contains("retry")', 'get500', false],
    // Logic and precedence.
    ['true', 'noResponse', true],
    ['!true', 'noResponse', false],
    ['requestHeaders[":method"] == "POST" || requestHeaders[":method"] == "GET" && responseHeaders[":status"] == "200"', 'get500', false],
    ['requestHeaders[":method"] == "POST" || requestHeaders[":method"] == "GET" && responseHeaders[":status"] == "200"', 'post200', true],
    ['(requestHeaders[":method"] == "POST" || requestHeaders[":method"] == "GET") && responseHeaders[":status"] == "200"', 'get500', false],
    ['(requestHeaders[":method"] == "POST" || requestHeaders[":method"] == "GET") && responseHeaders[":status"] == "200"', 'post200', true],
    ['!(requestHeaders[":path"] == prefix("/healthz")) && responseHeaders[":status"] == prefix("5")', 'get500', true],
    ['!(requestHeaders[":path"] == prefix("/healthz")) && responseHeaders[":status"] == prefix("5")', 'post200', false],
    ['!requestHeaders[":method"] == "GET"', 'post200', true],
  ];
  it.each(cases)('%s on %s is %s', (source, name, expected) => {
    expect(evaluateMatch(parseMatch(source), ex[name])).toBe(expected);
    expect(compileMatch(source).matches(ex[name])).toBe(expected);
  });

  it('does not match a header value that overflows int64 in range()', () => {
    const big = exchange({ req: [['n', '9223372036854775808']] });
    expect(compileMatch('requestHeaders["n"] == range(0, 9007199254740991)').matches(big)).toBe(false);
    const max = exchange({ req: [['n', '+42']] });
    expect(compileMatch('requestHeaders["n"] == range(42, 43)').matches(max)).toBe(true);
  });
});

describe('evaluatePartial and request-side helpers', () => {
  const cases: Array<[string, boolean | undefined]> = [
    ['requestHeaders[":method"] == "GET"', true],
    ['requestHeaders[":method"] == "POST"', false],
    ['responseHeaders[":status"] == prefix("5")', undefined],
    ['requestHeaders[":method"] == "POST" && responseHeaders[":status"] == prefix("5")', false],
    ['requestHeaders[":method"] == "GET" || responseHeaders[":status"] == prefix("5")', true],
    ['requestHeaders[":method"] == "GET" && responseHeaders[":status"] == prefix("5")', undefined],
    ['!(responseHeaders[":status"] == "500")', undefined],
    ['requestBody == contains("retry")', undefined],
  ];
  it.each(cases)('%s at request headers is %s', (source, expected) => {
    expect(evaluatePartial(parseMatch(source), get500, ['requestHeaders'])).toBe(expected);
    expect(compileMatch(source).matchesKnown(get500, ['requestHeaders'])).toBe(expected);
  });

  const sides: Array<[string, needsResponse: boolean, atRequestHeaders: boolean, fields: string[]]> = [
    ['requestHeaders["a"] == "1"', false, true, ['requestHeaders']],
    ['requestHeaders["a"] == "1" && requestBody == contains("x")', false, false, ['requestHeaders', 'requestBody']],
    ['requestTrailers["a"] == present()', false, false, ['requestTrailers']],
    ['responseHeaders[":status"] == prefix("5")', true, false, ['responseHeaders']],
    ['!(responseTrailers["a"] == "1")', true, false, ['responseTrailers']],
    ['responseBody == contains("x") || true', true, false, ['responseBody']],
    ['true', false, true, []],
  ];
  it.each(sides)('%s: needsResponse %s, decidable at request headers %s', (source, needs, early, fields) => {
    const m = compileMatch(source);
    expect(m.needsResponse).toBe(needs);
    expect(m.decidableAtRequestHeaders).toBe(early);
    expect(m.fields).toEqual(fields);
  });
});

describe('matchesHeads: the partial evaluator over the heads as a tap point has them', () => {
  // Repeats (joined with ","), case, an empty value, a name with İ (lowercases to one character longer) and
  // a header spelt like a pseudo-header's name without its colon.
  const raw = ['Host', 'web:9090', 'Accept', 'text/html', 'accept', 'application/json', 'X-Empty', '', 'X-İd', '7', 'method', 'PUT'];
  const head: RequestHead = { method: 'GET', path: '/orders/42?x=1', authority: 'web:9090', scheme: 'http', headers: [], rawHeaders: raw };
  const pairsHead: RequestHead = { ...head, headers: requestHeadList(head).slice(4), rawHeaders: undefined };
  const response = ['Content-Type', 'application/json', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'];
  const sources = [
    'requestHeaders[":method"] == "GET"',
    'requestHeaders[":method"] == "PUT"',
    'requestHeaders["method"] == "PUT"',
    'requestHeaders[":path"] == prefix("/orders/")',
    'requestHeaders[":authority"] == "web:9090" && requestHeaders[":scheme"] == "http"',
    'requestHeaders["accept"] == "text/html,application/json"',
    'requestHeaders["ACCEPT"] == suffix("json")',
    'requestHeaders["x-empty"] == ""',
    'requestHeaders["x-empty"] != present()',
    'requestHeaders["x-missing"] != present()',
    'requestHeaders["x-missing"] != "1"',
    'requestHeaders["x-id"] == "7"',
    'requestHeaders["x-id"] != present()',
    'responseHeaders[":status"] == prefix("5")',
    'responseHeaders[":status"] == range(200, 300)',
    'responseHeaders["set-cookie"] == "a=1,b=2"',
    'requestHeaders[":method"] == "POST" && responseHeaders[":status"] == prefix("5")',
    'requestHeaders[":method"] == "GET" || responseHeaders[":status"] == prefix("5")',
    '!(responseHeaders["content-type"] == contains("json")) || requestBody == contains("x")',
    'responseTrailers["grpc-status"] == "14" && requestHeaders["host"] == present()',
    'true',
    '!true',
  ];
  const stood = (status: number | undefined): CaptureInput =>
    exchange({ req: requestHeadList(head), ...(status === undefined ? {} : { res: responseHeadList(status, response) }) });

  it.each(sources)('%s: the same answer at the request head and at the response head', (source) => {
    const m = compileMatch(source);
    const atRequest = m.matchesKnown(stood(undefined), ['requestHeaders']);
    expect(m.matchesHeads(head, 0, undefined)).toBe(atRequest);
    expect(m.matchesHeads(pairsHead, 0, undefined)).toBe(atRequest);
    for (const status of [200, 503]) {
      const atResponse = m.matchesKnown(stood(status), ['requestHeaders', 'responseHeaders']);
      expect(m.matchesHeads(head, status, response)).toBe(atResponse);
      expect(m.matchesHeads(pairsHead, status, response)).toBe(atResponse);
    }
  });

  it('reads the heads for what the comparisons say, not just agreeing with the other evaluator', () => {
    expect(compileMatch('requestHeaders["accept"] == "text/html,application/json"').matchesHeads(head, 0, undefined)).toBe(true);
    expect(compileMatch('requestHeaders["x-id"] != present()').matchesHeads(head, 0, undefined)).toBe(true);
    expect(compileMatch('requestHeaders[":method"] == "PUT"').matchesHeads(head, 0, undefined)).toBe(false);
    expect(compileMatch('responseHeaders[":status"] == prefix("5")').matchesHeads(head, 0, undefined)).toBeUndefined();
    expect(compileMatch('responseHeaders[":status"] == prefix("5")').matchesHeads(head, 503, response)).toBe(true);
    expect(compileMatch('responseHeaders["set-cookie"] == "a=1,b=2"').matchesHeads(head, 200, response)).toBe(true);
  });
});
