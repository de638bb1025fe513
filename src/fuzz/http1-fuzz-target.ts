// Fuzz target: the gateway's HTTP/1.1 parsers (request-parser.ts, response-parser.ts, their shared framing in
// http1-parser.ts). Inputs are requests and responses built from the framings that matter to a proxy
// (Content-Length, chunked with extensions and trailers, none, until close, interim responses, pipelined
// messages), mutated with HTTP's own separators and smuggling favourites. Properties: a parser refuses only
// with its own parse error; the same bytes whole and cut into pieces read the same (or are refused the same
// way); a complete message never uses more bytes than it was given, and a Content-Length body is as long
// as its header says.
import { isDeepStrictEqual } from 'node:util';
import { LoopError } from '../core/errors.js';
import { RequestParseError, RequestParser, type RequestHead } from '../loop/gateway/request-parser.js';
import { ResponseParseError, ResponseParser, type ResponseHead } from '../loop/gateway/response-parser.js';
import type { Gen } from './fuzz-random.js';
import { FuzzPropertyError, showInput, type FuzzTarget } from './fuzz-target.js';
import { mutateText } from './mutate.js';

export interface Http1Input {
  kind: 'request' | 'response';
  /** The bytes, as latin1 text. */
  text: string;
  /** Offsets the second reading cuts the bytes at. */
  cuts: number[];
}

const REQUESTS = [
  'GET /api/x?y=1 HTTP/1.1\r\nHost: web:9090\r\nAccept: */*\r\n\r\n',
  'POST /pay HTTP/1.1\r\nHost: web\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"b c"}',
  'POST /up HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: abc\r\n\r\n',
  'PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
];
const RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
  'HTTP/1.0 200 OK\r\n\r\nuntil the connection closes',
  'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n',
];
const DICTIONARY = [
  '\r\n', '\n', '\r', ' ', '\t', ':', ',', ';', '\x00', '\x7f', '\xff', '0\r\n\r\n', 'ffffffffffffffff', '-1', ' chunked',
  'Content-Length: 5\r\n', 'Content-Length: 0, 0\r\n', 'Transfer-Encoding: chunked\r\n', 'Transfer-Encoding: gzip\r\n',
  'Host: x\r\n', 'Connection: close\r\n', ' x\r\n', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/1.0', '\r\n\r\n',
];

function generate(gen: Gen): Http1Input {
  const kind = gen.chance(0.6) ? 'request' : 'response';
  const seeds = kind === 'request' ? REQUESTS : RESPONSES;
  const text = gen.weighted<() => string>([
    [6, () => mutateText(gen, gen.pick(seeds), DICTIONARY)],
    [2, () => gen.pick(seeds)],
    // Pipelined: the parser must stop at the end of the first message.
    [2, () => mutateText(gen, gen.pick(seeds) + gen.pick(seeds), DICTIONARY, 2)],
  ])();
  const cuts = Array.from({ length: 1 + gen.size(4) }, () => gen.int(text.length + 1)).sort((a, b) => a - b);
  return { kind, text, cuts };
}

interface Reading {
  heads: Array<RequestHead | ResponseHead>;
  body: string;
  trailers: string[] | undefined;
  complete: boolean;
  used: number;
}

/** Reads the bytes in the pieces `cuts` makes; a parse error becomes a LoopError naming its status or kind. */
function read(input: Http1Input, cuts: readonly number[]): Reading {
  const bytes = Buffer.from(input.text, 'latin1');
  const out: Reading = { heads: [], body: '', trailers: undefined, complete: false, used: 0 };
  const sink = {
    onHead: (h: RequestHead | ResponseHead) => out.heads.push(h),
    onBody: (c: Buffer) => (out.body += c.toString('latin1')),
    onComplete: (t: string[] | undefined) => {
      out.trailers = t;
      out.complete = true;
    },
  };
  const limits = { maxHeadBytes: 256 };
  const parser = input.kind === 'request' ? new RequestParser(sink, limits) : new ResponseParser(sink, limits);
  if (parser instanceof RequestParser) parser.begin();
  else parser.begin(false);
  try {
    let from = 0;
    for (const to of [...cuts, bytes.length]) {
      if (to <= from || parser.complete) continue;
      out.used = from + parser.execute(bytes.subarray(from, to));
      from = to;
    }
    if (!parser.complete) parser.end();
  } catch (err) {
    if (err instanceof RequestParseError) throw new LoopError('BAD_REQUEST', `${err.status} ${err.message}`);
    if (err instanceof ResponseParseError) throw new LoopError('BAD_REQUEST', err.message);
    throw err;
  }
  return out;
}

function outcome(f: () => Reading): Reading | LoopError {
  try {
    return f();
  } catch (err) {
    if (err instanceof LoopError) return err;
    throw err;
  }
}

export const http1FuzzTarget: FuzzTarget<Http1Input> = {
  name: 'http1',
  generate,
  run(input) {
    const whole = outcome(() => read(input, []));
    const pieces = outcome(() => read(input, input.cuts));
    if (whole instanceof LoopError || pieces instanceof LoopError) {
      if (!(whole instanceof LoopError && pieces instanceof LoopError && whole.message === pieces.message)) {
        const say = (r: Reading | LoopError): string => (r instanceof LoopError ? `refused: ${r.message}` : `read ${r.heads.length} heads, ${r.body.length} body bytes`);
        throw new FuzzPropertyError(`whole: ${say(whole)}; cut at ${input.cuts.join(',')}: ${say(pieces)}`);
      }
      throw whole;
    }
    if (!isDeepStrictEqual(whole, pieces)) throw new FuzzPropertyError(`whole and cut at ${input.cuts.join(',')} read differently: ${JSON.stringify(whole)} vs ${JSON.stringify(pieces)}`);
    if (whole.used > input.text.length) throw new FuzzPropertyError(`used ${whole.used} of ${input.text.length} bytes`);
    const head = whole.heads.at(-1);
    if (whole.complete && head && 'contentLength' in head && head.contentLength !== undefined && whole.body.length !== head.contentLength) {
      throw new FuzzPropertyError(`a Content-Length ${head.contentLength} body read as ${whole.body.length} bytes`);
    }
  },
  show: (input) => `${input.kind} ${showInput(input.text)} cut at ${input.cuts.join(',')}`,
  size: (input) => input.text.length,
};
