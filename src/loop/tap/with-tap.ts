// Lets a Node service tap itself: wraps a node:http request handler so each exchange is reported to a tap,
// without changing one byte of what the handler reads or sends.
//
// How it observes, and why this way:
// - Request body: `req.emit` is wrapped on the instance. Every chunk the application consumes passes
//   through emit('data') — in flowing mode, and in paused mode too (Readable#read emits 'data' for what it
//   returns), so async iteration and pipe are seen as well. Adding our own 'data' listener instead would
//   switch the stream to flowing mode and could start or lose data the application meant to read later; a
//   PassThrough would hand the application a different object. If the application never reads the body,
//   the capture has none, exactly as the application saw it.
// - Response head: `res.writeHead` is wrapped. Node also sends an implicit head through
//   `this.writeHead(this.statusCode)` (`_implicitHeader`, on the first write/end/flushHeaders), so one
//   wrapper sees both; the status and headers are read back after the original call has validated them.
// - Response body and trailers: `res.write`, `res.end` and `res.addTrailers` are wrapped; each calls the
//   original first with the same arguments and returns its result, then copies what was accepted.
// - End: 'finish' (the response was handed to the OS completely) or 'close' before it (client aborted).
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { rawHeaderPairs, type ConnectionInfo, type HeaderList } from '../../capture/capture.js';
import { withoutHopByHop } from '../gateway/proxy-headers.js';
import { connectionOf, ReceivedRequestInfo } from './request-info.js';
import type { Tap, TapExchange } from './tap-types.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface WithTapOptions {
  /** The DESTINATION recorded for this service; default the request's Host. */
  destination?: string;
}

/**
 * @example
 * http.createServer(withTap(app, tap, { destination: 'payment:9091' })).listen(9091);
 */
export function withTap(handler: RequestHandler, tap: Tap, options: WithTapOptions = {}): RequestHandler {
  // A keep-alive connection carries many requests and its addresses never change: worked out once per
  // socket, in a WeakMap rather than on the service's own socket objects.
  const addresses = new WeakMap<Socket, ConnectionInfo>();
  return function tapped(this: unknown, req: IncomingMessage, res: ServerResponse): void {
    let exchange: TapExchange | undefined;
    try {
      // The addresses now: a client that aborts closes the socket, and node:http may never have asked it its peer.
      const socket = req.socket;
      let downstream = addresses.get(socket);
      if (downstream === undefined) {
        downstream = connectionOf(socket);
        addresses.set(socket, downstream);
      }
      const known = downstream;
      exchange = tap.begin(new ReceivedRequestInfo(req, options.destination, () => known));
      if (exchange) observe(req, res, exchange);
    } catch {
      // The tap catches its own failures; this guards the wiring. The handler runs regardless.
    }
    handler.call(this, req, res);
  };
}

// Each wrapper calls the original with the same arguments (one array, applied as it is) and returns its
// result; what the tap is told is worked out after, inside a try, so nothing reaches the application.
function observe(req: IncomingMessage, res: ServerResponse, exchange: TapExchange): void {
  let bodyAllowed = req.method !== 'HEAD';
  let trailers: HeaderList | undefined;

  const emit = req.emit;
  req.emit = function (this: IncomingMessage, ...args: unknown[]): boolean {
    const event = args[0];
    if (event === 'data') {
      try {
        const chunk = args[1];
        exchange.requestData(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
      } catch {
        // the tap counts its own failures; nothing reaches the application
      }
    } else if (event === 'end') {
      try {
        exchange.requestEnd(this.rawTrailers.length === 0 ? undefined : rawHeaderPairs(this.rawTrailers));
      } catch {
        // as above
      }
    }
    return Reflect.apply(emit, this, args) as boolean;
  } as typeof req.emit;

  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    const out = Reflect.apply(writeHead, this, args) as ServerResponse;
    try {
      const status = this.statusCode;
      if (status === 204 || status === 304 || (status >= 100 && status < 200)) bodyAllowed = false;
      exchange.response(status, sentHeaders(this, typeof args[1] === 'string' ? args[2] : args[1]));
    } catch {
      // as above
    }
    return out;
  } as typeof res.writeHead;

  const copy = (chunk: unknown, encoding: unknown): void => {
    if (!bodyAllowed || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    try {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from((chunk as Uint8Array).buffer, (chunk as Uint8Array).byteOffset, (chunk as Uint8Array).byteLength);
      exchange.responseData(buf);
    } catch {
      // as above
    }
  };

  const write = res.write;
  res.write = function (this: ServerResponse, ...args: unknown[]): boolean {
    const ended = this.writableEnded; // a write after end is refused (and not sent)
    const out = Reflect.apply(write, this, args) as boolean;
    if (!ended) copy(args[0], args[1]);
    return out;
  } as typeof res.write;

  const end = res.end;
  res.end = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    const finished = this.writableEnded;
    const out = Reflect.apply(end, this, args) as ServerResponse;
    if (!finished) copy(args[0], args[1]);
    return out;
  } as typeof res.end;

  const addTrailers = res.addTrailers;
  res.addTrailers = function (this: ServerResponse, headers: OutgoingHttpHeaders | ReadonlyArray<[string, string]>): void {
    addTrailers.call(this, headers);
    try {
      trailers ??= [];
      for (const pair of rawHeaderPairs(flatHeaders(headers))) trailers.push(pair);
    } catch {
      // as above
    }
  };

  // node:http emits 'close' on every response, after 'finish' when it completed: one listener tells both.
  res.once('close', () => {
    try {
      if (res.writableFinished) exchange.end(trailers ? { trailers } : undefined);
      else exchange.end({ error: 'the client closed the connection before the response completed' });
    } catch {
      // as above
    }
  });
}

/**
 * The head as it went out, flat ([name, value, …], as the tap takes it), without hop-by-hop headers, as our
 * gateway and Envoy record a response. writeHead serializes the head at once (`_header`, what goes on the
 * wire): that includes what Node adds itself (Date, Content-Length for `end(data)`), which a capture needs,
 * or every replay diff would show Content-Length as added. Should a Node version not hold it there: the
 * headers the handler set (merged by Node with writeHead's), else writeHead's own.
 */
function sentHeaders(res: ServerResponse, given: unknown): string[] {
  const head = (res as ServerResponse & { _header?: unknown })._header;
  if (typeof head === 'string') return withoutHopByHop(headFields(head));
  // getRawHeaderNames (Node ≥ 15.13) keeps the case the handler used; @types/node 20 does not declare it.
  const names = (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames();
  if (names.length === 0) return flatHeaders(given);
  const out: string[] = [];
  for (const name of names) pushFlat(out, name, res.getHeader(name));
  return out;
}

/** The fields of a serialized response head (`HTTP/1.1 200 OK\r\nName: value\r\n…\r\n\r\n`), flat. */
function headFields(head: string): string[] {
  const out: string[] = [];
  let at = head.indexOf('\r\n') + 2;
  while (at > 1 && at < head.length) {
    const eol = head.indexOf('\r\n', at);
    if (eol === -1 || eol === at) break;
    const colon = head.indexOf(':', at);
    // Node writes `name: value`; trim only what it did not write.
    if (colon !== -1 && colon < eol) out.push(head.slice(at, colon), head.charCodeAt(colon + 1) === 32 ? head.slice(colon + 2, eol) : head.slice(colon + 1, eol).trim());
    at = eol + 2;
  }
  return out;
}

function pushFlat(out: string[], name: string, value: unknown): void {
  if (value === undefined) return;
  if (Array.isArray(value)) for (const v of value) out.push(name, String(v));
  else out.push(name, String(value));
}

/** Headers as a handler gives them to writeHead or addTrailers (object, flat list or pairs), flat. */
function flatHeaders(given: unknown): string[] {
  const out: string[] = [];
  if (Array.isArray(given)) {
    if (given.length > 0 && Array.isArray(given[0])) {
      for (const pair of given as unknown[][]) pushFlat(out, String(pair[0]), pair[1]);
    } else {
      for (let i = 0; i + 1 < given.length; i += 2) pushFlat(out, String(given[i]), given[i + 1]);
    }
  } else if (typeof given === 'object' && given !== null) {
    for (const name in given) if (Object.hasOwn(given, name)) pushFlat(out, name, (given as Record<string, unknown>)[name]);
  }
  return out;
}
