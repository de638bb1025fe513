// The gateway's own HTTP/1.1 server side (`loop gateway --server own`): connections read with the strict
// RequestParser, one exchange at a time, answered through a response that frames its own body. It offers the
// part of node:http's request and response the proxy uses (downstream.ts), without node:http's streams,
// per-request timers and header objects, which measured at about 45% of the tap-off gateway's CPU (issue 3).
//
// What it keeps of node:http's behaviour: keep-alive by default in HTTP/1.1 and on request in 1.0;
// pipelined requests answered in order, the next one read only once the previous response is finished;
// `Expect: 100-continue` handed to `checkContinue` (or answered 100 at once), any other expectation 417; a
// request body the handler left unread is read and dropped after the response, so the connection carries
// the next request; a head that takes longer than the headers timeout gets 408, an idle connection is closed
// after the keep-alive timeout, which keep-alive responses announce (`Keep-Alive: timeout=N`, unless the
// handler set its own Connection header); `close()` also closes idle connections. What it does differently: a request
// that could be read two ways is refused (request-parser.ts); CONNECT is answered 501 rather than dropped;
// a response ended with its body before its head was written gets a Content-Length instead of chunked; a
// request that asks to upgrade is handed over with its socket (`onUpgrade`, like node:http's 'upgrade'
// event) only when it has no body.
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import type { DownstreamRequest, DownstreamResponse } from './downstream.js';
import { HTTP_TOKEN } from '../../core/http-syntax.js';
import { RequestParseError, RequestParser, type RequestHead, type RequestSink } from './request-parser.js';
import { withHead } from './upstream-client.js';

export type Http1Listener = (req: Http1Request, res: Http1Response) => void;

/** What an upgrade listener learns of the request that asked to switch protocols. */
export interface UpgradeRequestHead {
  method: string;
  url: string;
  /** Header names and values as received: [name, value, …]. */
  rawHeaders: string[];
  /** What the client asks to switch to: the Upgrade header's value (several joined with ", "). */
  upgrade: string;
  socket: net.Socket;
}

/**
 * Takes over a connection whose request asked to switch protocols (Connection: upgrade, Upgrade: …), as
 * node:http's 'upgrade' event does: `head` holds the bytes that came after the request head.
 */
export type UpgradeListener = (req: UpgradeRequestHead, socket: net.Socket, head: Buffer) => void;

export interface Http1ServerOptions {
  /** Handles `Expect: 100-continue` requests; without it they get 100 Continue at once. */
  checkContinue?: Http1Listener;
  /** Idle time allowed between requests on a connection (default 65 s). */
  keepAliveTimeoutMs?: number;
  /** Time allowed for a request head once its first byte has arrived (default 60 s, as node:http). */
  headersTimeoutMs?: number;
  /** Bytes of a request head (default 16 KiB, as node:http). */
  maxHeadBytes?: number;
  /**
   * Takes HTTP/1.1 requests without a body that ask to upgrade; without it they are ordinary requests (and
   * a proxy drops Upgrade, a hop-by-hop header).
   */
  onUpgrade?: UpgradeListener;
}

/** Unread body bytes a request holds before the connection stops reading. */
const HIGH_WATER_MARK = 64 * 1024;
const BAD_VALUE = /[\r\n\0]/;

export class Http1Server extends net.Server {
  private readonly live = new Set<Http1Connection>();
  /** After `close()`: responses close their connections. */
  closing = false;
  readonly keepAliveTimeoutMs: number;
  /**
   * `Keep-Alive: timeout=N` for keep-alive responses, as node:http sends it: clients that read it (Node's
   * agent does) let an idle connection go before the server closes it, rather than reuse it as it closes.
   */
  readonly keepAliveHint: string;
  readonly headersTimeoutMs: number;
  readonly maxHeadBytes: number;
  readonly checkContinue: Http1Listener | undefined;
  readonly onUpgrade: UpgradeListener | undefined;

  constructor(
    readonly onRequest: Http1Listener,
    options: Http1ServerOptions = {},
  ) {
    super({ allowHalfOpen: true });
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 65_000;
    const hintSeconds = Math.floor(this.keepAliveTimeoutMs / 1000);
    this.keepAliveHint = hintSeconds > 0 ? `Keep-Alive: timeout=${hintSeconds}\r\n` : '';
    this.headersTimeoutMs = options.headersTimeoutMs ?? 60_000;
    this.maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;
    this.checkContinue = options.checkContinue;
    this.onUpgrade = options.onUpgrade;
    this.on('connection', (socket: net.Socket) => {
      const connection = new Http1Connection(socket, this);
      this.live.add(connection);
      socket.once('close', () => this.live.delete(connection));
    });
  }

  /** Stops accepting and closes idle connections; busy ones close after their response. */
  override close(callback?: (err?: Error) => void): this {
    this.closing = true;
    super.close(callback);
    this.closeIdleConnections();
    return this;
  }

  private closeIdleConnections(): void {
    for (const c of this.live) if (c.idle) c.destroy();
  }

  closeAllConnections(): void {
    for (const c of this.live) c.destroy();
  }
}

const enum Phase {
  /** Waiting for the first byte of a request. */
  Idle,
  /** Part of a request head has arrived. */
  Head,
  /** A request is being served. */
  Busy,
}

/** One downstream connection: parses requests and runs their exchanges one after another. */
export class Http1Connection implements RequestSink {
  private readonly parser: RequestParser;
  private req: Http1Request | undefined;
  private res: Http1Response | undefined;
  /** The head just parsed, whose listener runs once the parser has returned. */
  private arrived: RequestHead | undefined;
  /** Bytes of the next request(s), read while the current response is unfinished. */
  private held: Buffer | undefined;
  private parsing = false;
  private phase = Phase.Idle;
  /** When the current phase began (Date.now()). */
  private since = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** The connection ends after the current response, or has ended: nothing more is read or answered. */
  private closing = false;
  private paused = false;

  constructor(
    readonly socket: net.Socket,
    readonly server: Http1Server,
  ) {
    socket.setNoDelay(true);
    this.parser = new RequestParser(this, { maxHeadBytes: server.maxHeadBytes });
    this.parser.begin();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.res?.emit('drain'));
    socket.on('error', noop); // followed by 'close'
    socket.once('close', () => this.onClose());
    this.arm(server.keepAliveTimeoutMs);
  }

  get idle(): boolean {
    return this.phase === Phase.Idle;
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  // RequestSink: called from inside parser.execute.
  onHead(head: RequestHead): void {
    this.arrived = head;
    this.req = new Http1Request(this, head);
    this.res = new Http1Response(this, head);
  }

  onBody(chunk: Buffer): void {
    this.req!.push(chunk);
  }

  onComplete(trailers: string[] | undefined): void {
    this.req!.finish(trailers);
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    if (this.held !== undefined || this.req?.complete) {
      // A pipelined request: read once the current response is finished.
      this.held = this.held ? Buffer.concat([this.held, chunk]) : chunk;
      this.updateReading();
      return;
    }
    this.parse(chunk);
  }

  private parse(chunk: Buffer): void {
    this.parsing = true;
    let at = 0;
    while (at < chunk.length && !this.closing) {
      if (this.phase === Phase.Idle) {
        this.phase = Phase.Head;
        this.since = Date.now();
      }
      let used: number;
      try {
        used = this.parser.execute(at === 0 ? chunk : chunk.subarray(at));
      } catch (err) {
        this.parsing = false;
        if (!(err instanceof RequestParseError)) throw err;
        this.refuse(err.status, err.message);
        return;
      }
      at += used;
      const head = this.arrived;
      if (head?.upgrade !== undefined && this.server.onUpgrade && head.minor === 1 && !head.chunked && !head.contentLength) {
        this.parsing = false;
        this.handOver(head, chunk.subarray(at));
        return;
      }
      if (head) this.dispatch(head);
      if (!this.parser.complete || this.closing) break;
      if (!this.res!.writableFinished) {
        if (at < chunk.length) {
          this.held = chunk.subarray(at);
          this.updateReading();
        }
        break;
      }
      this.nextExchange();
    }
    this.parsing = false;
    if (this.phase === Phase.Head && !this.parser.untouched) this.arm(this.server.headersTimeoutMs);
  }

  /**
   * Gives the connection to the upgrade listener: from here on it reads and answers nothing, and its timers
   * are off. It stays busy (so `close()` leaves it open) and known to the server (`closeAllConnections` cuts it).
   */
  private handOver(head: RequestHead, rest: Buffer): void {
    this.arrived = undefined;
    this.req = undefined;
    this.res = undefined;
    this.closing = true;
    this.phase = Phase.Busy;
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    // Paused before the listeners go, so no byte is read with nobody listening; the new owner resumes it.
    socket.pause();
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('drain');
    this.server.onUpgrade!({ method: head.method, url: head.target, rawHeaders: head.raw, upgrade: head.upgrade!, socket }, socket, rest);
  }

  /** Runs the request's listener, after the parser has returned (so a body that came along is buffered). */
  private dispatch(head: RequestHead): void {
    this.arrived = undefined;
    this.phase = Phase.Busy;
    const req = this.req!;
    const res = this.res!;
    if (head.method === 'CONNECT') {
      res.refuse(501, 'CONNECT is not supported');
      return;
    }
    if (head.expect !== undefined && head.minor === 1) {
      if (head.expect !== '100-continue') {
        res.refuse(417, `the expectation ${JSON.stringify(head.expect)} is not supported`);
        return;
      }
      if (this.server.checkContinue) {
        this.server.checkContinue(req, res);
        return;
      }
      if (!req.complete) res.writeContinue();
    }
    this.server.onRequest(req, res);
  }

  /** Called by the response once it is all written. */
  responseFinished(keepAlive: boolean): void {
    if (!keepAlive || this.closingAfterThis()) {
      this.endAndClose();
      return;
    }
    const req = this.req!;
    if (!req.complete) {
      // The handler did not read the whole body: the rest is read and dropped.
      req.dump();
      this.updateReading();
      return;
    }
    if (this.parsing) return; // the parse loop goes on with the next request
    this.nextExchange();
    // Not from inside the finished response's `end()`, which may be deep in the upstream's callbacks. The
    // socket stays paused until then, so the held bytes are read before any that follow them.
    if (this.held) process.nextTick(this.readHeld);
  }

  /** The connection ends once the current response is sent. */
  closingAfterThis(): boolean {
    return this.server.closing;
  }

  private readonly readHeld = (): void => {
    const held = this.held;
    this.held = undefined;
    if (held && !this.closing) this.parse(held);
    this.updateReading();
  };

  private nextExchange(): void {
    this.req = undefined;
    this.res = undefined;
    this.parser.begin();
    this.phase = Phase.Idle;
    this.since = Date.now();
    this.arm(this.server.keepAliveTimeoutMs);
  }

  /** Stops or resumes reading the socket: while bytes are held, or while the request's reader is paused. */
  updateReading(): void {
    const stop = this.held !== undefined || (this.req !== undefined && this.req.wantsPause());
    if (stop === this.paused || this.closing) return;
    this.paused = stop;
    if (stop) this.socket.pause();
    else this.socket.resume();
  }

  /**
   * Answers a request that cannot be read and closes the connection; one whose response has begun is cut.
   * A response object the handler holds is not finished by this: it sees the connection close.
   */
  private refuse(status: number, message: string): void {
    const res = this.res;
    this.closing = true;
    if (res?.headersSent) {
      this.destroy();
      return;
    }
    res?.abort();
    this.endAndClose(errorResponse(status, message));
  }

  /**
   * Ends the connection and lets go of it once the last bytes are written, whether or not the client closes
   * its side (the server allows half-open sockets, so `end()` alone would keep one open for ever).
   */
  private endAndClose(last?: Buffer): void {
    this.closing = true;
    this.socket.once('finish', () => this.socket.destroy());
    if (last) this.socket.end(last);
    else this.socket.end();
  }

  private onEnd(): void {
    if (this.closing) return;
    // As node:http does by default: a client that half-closes has gone, and what it asked for is abandoned.
    if (this.phase === Phase.Busy) this.destroy();
    else if (this.phase === Phase.Head && !this.parser.untouched) this.refuse(400, 'the connection closed before the request head was complete');
    else this.endAndClose();
  }

  private onClose(): void {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.req?.abort();
    this.res?.abort();
  }

  /** Makes sure the timer fires no later than `ms` from now; it checks the phase's deadline when it does. */
  private arm(ms: number): void {
    const at = Date.now() + ms;
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, ms);
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.closing || this.phase === Phase.Busy) return; // re-armed when the connection goes idle
    const limit = this.phase === Phase.Idle ? this.server.keepAliveTimeoutMs : this.server.headersTimeoutMs;
    const left = this.since + limit - Date.now();
    if (left > 0) {
      this.arm(left);
      return;
    }
    if (this.phase === Phase.Idle) this.destroy();
    else this.refuse(408, `the request head took longer than ${limit} ms`);
  };
}

// EventEmitter's own listener type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

/** A request: its head, and its body as a readable stream in node's style (paused until read or listened to). */
export class Http1Request extends EventEmitter implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  rawTrailers: string[] = [];
  readonly socket: net.Socket;
  complete = false;
  destroyed = false;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** null: not yet read or listened to; true: chunks go to `data` listeners; false: paused. */
  private flowing: boolean | null = null;
  private endEmitted = false;
  private dumped = false;
  private flushScheduled = false;

  constructor(
    private readonly connection: Http1Connection,
    head: RequestHead,
  ) {
    super();
    this.method = head.method;
    this.url = head.target;
    this.rawHeaders = head.raw;
    this.socket = connection.socket;
  }

  get readableLength(): number {
    return this.bufferedBytes;
  }

  // Listening for `data` starts the flow, as with node's streams.
  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    if (event === 'data' && this.flowing === null) this.resume();
    // An end that is due and was held back because nobody listened (see `resume`).
    else if (event === 'end' && this.flowing === true && this.complete && this.bufferedBytes === 0 && !this.endEmitted) this.scheduleFlush();
    return this;
  }

  override addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  read(): Buffer | null {
    if (this.bufferedBytes === 0) return null;
    const out = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    this.connection.updateReading();
    return out;
  }

  resume(): this {
    if (this.flowing === true) return this;
    this.flowing = true;
    this.connection.updateReading();
    // Nothing listens for the end of a body nobody reads (a GET the proxy resumes): no tick for it, unless a
    // listener comes (`on`).
    if (this.bufferedBytes > 0 || (this.complete && !this.endEmitted && this.listenerCount('end') > 0)) this.scheduleFlush();
    return this;
  }

  pause(): this {
    if (this.flowing !== false) {
      this.flowing = false;
      this.connection.updateReading();
    }
    return this;
  }

  isPaused(): boolean {
    return this.flowing === false;
  }

  /** The reader wants no more bytes for now. */
  wantsPause(): boolean {
    if (this.complete || this.dumped) return false;
    return this.flowing === false || (this.flowing === null && this.bufferedBytes >= HIGH_WATER_MARK);
  }

  push(chunk: Buffer): void {
    if (this.dumped) return;
    if (this.flowing === true && this.bufferedBytes === 0) {
      this.emit('data', chunk);
      return;
    }
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes >= HIGH_WATER_MARK) this.connection.updateReading();
  }

  finish(trailers: string[] | undefined): void {
    this.complete = true;
    if (trailers) this.rawTrailers = trailers;
    if (this.flowing === true && this.bufferedBytes === 0) this.emitEnd();
  }

  /** The rest of the body is not wanted: it is dropped as it arrives. */
  dump(): void {
    this.dumped = true;
    this.buffered = [];
    this.bufferedBytes = 0;
    this.removeAllListeners('data');
  }

  abort(): void {
    this.destroyed = true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.flowing === true && this.buffered.length > 0) {
      const chunk = this.buffered.shift()!;
      this.bufferedBytes -= chunk.length;
      this.emit('data', chunk);
    }
    this.connection.updateReading();
    if (this.flowing === true && this.bufferedBytes === 0 && this.complete) this.emitEnd();
  }

  private emitEnd(): void {
    if (this.endEmitted) return;
    this.endEmitted = true;
    this.emit('end');
  }
}

const enum Framing {
  /** Not decided until the first body bytes: Content-Length if `end()` carries the whole body. */
  Auto,
  None,
  Length,
  Chunked,
  UntilClose,
}

/** A response: its head is held until the first body bytes, so a small response is one write. */
export class Http1Response extends EventEmitter implements DownstreamResponse {
  statusCode = 200;
  /** Accepted for node:http's sake; this server never adds a Date header. */
  sendDate = false;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  private head = '';
  private headWritten = false;
  private framing = Framing.Auto;
  private contentLength = 0;
  private sent = 0;
  private keepAlive: boolean;
  private trailers = '';
  /** The handler gave a Connection header. */
  private hasConnection = false;
  private closeEmitted = false;
  private readonly socket: net.Socket;
  private readonly minor: 0 | 1;
  private readonly bodyless: boolean;

  constructor(
    private readonly connection: Http1Connection,
    head: RequestHead | undefined,
  ) {
    super();
    this.socket = connection.socket;
    this.minor = head?.minor ?? 1;
    this.keepAlive = head?.keepAlive ?? false;
    this.bodyless = head?.method === 'HEAD';
  }

  writeHead(status: number, reason?: string | string[], headers?: string[]): this {
    if (this.headersSent) throw new Error('the response head has already been written');
    if (Array.isArray(reason)) {
      headers = reason;
      reason = undefined;
    }
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid status code ${status}`);
    if (reason !== undefined && BAD_VALUE.test(reason)) throw new TypeError('the reason phrase has a CR, LF or NUL');
    this.statusCode = status;
    let head = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let framing = Framing.Auto;
    let close = false;
    this.hasConnection = false;
    if (headers) {
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        const value = String(headers[i + 1]);
        if (!HTTP_TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
        if (BAD_VALUE.test(value)) throw new TypeError(`invalid character in the value of header ${name}`);
        head += `${name}: ${value}\r\n`;
        const n = name.length;
        if (n !== 10 && n !== 14 && n !== 17) continue;
        const lower = name.toLowerCase();
        if (lower === 'content-length') {
          framing = Framing.Length;
          // A list of equal values (RFC 9110 §8.6) counts as its first.
          this.contentLength = parseInt(value, 10);
        } else if (lower === 'transfer-encoding') framing = Framing.Chunked;
        else if (lower === 'connection') {
          this.hasConnection = true;
          if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) close = true;
        }
      }
    }
    // No body after a HEAD request, an informational status, 204 or 304 (RFC 9110 §6.4.1).
    if (this.bodyless || status < 200 || status === 204 || status === 304) framing = Framing.None;
    if (close) this.keepAlive = false;
    this.framing = framing;
    this.head = head;
    this.headersSent = true;
    return this;
  }

  writeContinue(): void {
    if (!this.headWritten && !this.destroyed) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
  }

  write(chunk: Buffer): boolean {
    if (this.writableEnded) throw new Error('write after end');
    if (!this.headersSent) this.writeHead(this.statusCode, []);
    if (this.destroyed) return false;
    if (this.framing === Framing.Auto) this.decideFraming(undefined);
    const socket = this.socket;
    if (this.framing === Framing.None || chunk.length === 0) {
      if (!this.headWritten) return this.writeHeadOnly();
      return !socket.writableNeedDrain;
    }
    this.sent += chunk.length;
    if (this.framing === Framing.Chunked) {
      socket.cork();
      if (!this.headWritten) this.writeHeadOnly();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      const ok = socket.write('\r\n', 'latin1');
      socket.uncork();
      return ok;
    }
    if (!this.headWritten) {
      this.headWritten = true;
      return socket.write(withHead(this.completeHead(), chunk));
    }
    return socket.write(chunk);
  }

  end(chunk?: Buffer): this {
    if (this.writableEnded) return this;
    if (!this.headersSent) this.writeHead(this.statusCode, []);
    this.writableEnded = true;
    if (this.destroyed) return this;
    if (this.framing === Framing.Auto) this.decideFraming(chunk?.length ?? 0);
    const socket = this.socket;
    const body = this.framing !== Framing.None && chunk !== undefined && chunk.length > 0 ? chunk : undefined;
    if (body) this.sent += body.length;
    if (this.framing === Framing.Chunked) {
      socket.cork();
      if (!this.headWritten) this.writeHeadOnly();
      if (body) {
        socket.write(`${body.length.toString(16)}\r\n`, 'latin1');
        socket.write(body);
        socket.write(`\r\n0\r\n${this.trailers}\r\n`, 'latin1');
      } else socket.write(`0\r\n${this.trailers}\r\n`, 'latin1');
      socket.uncork();
    } else if (!this.headWritten) {
      this.headWritten = true;
      if (body) socket.write(withHead(this.completeHead(), body));
      else socket.write(this.completeHead(), 'latin1');
    } else if (body) socket.write(body);
    // A body shorter than its Content-Length would leave the client waiting for the rest: cut instead.
    if (this.framing === Framing.Length && this.sent !== this.contentLength) {
      this.destroy();
      return this;
    }
    this.writableFinished = true;
    this.connection.responseFinished(this.keepAlive && this.framing !== Framing.UntilClose);
    process.nextTick(() => this.emitClose());
    return this;
  }

  addTrailers(trailers: ReadonlyArray<[string, string]>): void {
    let text = '';
    for (const [name, value] of trailers) {
      if (!HTTP_TOKEN.test(name) || BAD_VALUE.test(value)) throw new TypeError(`invalid trailer ${JSON.stringify(name)}`);
      text += `${name}: ${value}\r\n`;
    }
    this.trailers = text;
  }

  /** Cuts the connection, unless the response is finished (the connection may carry the next one by now). */
  destroy(): this {
    if (!this.destroyed && !this.writableFinished) {
      this.destroyed = true;
      this.connection.destroy();
    }
    return this;
  }

  /** Answers with a plain-text error and closes the connection (a request the server will not serve). */
  refuse(status: number, message: string): void {
    this.keepAlive = false;
    this.headersSent = true;
    this.headWritten = true;
    this.statusCode = status;
    this.writableEnded = true;
    this.writableFinished = true;
    this.socket.write(errorResponse(status, message));
    this.connection.responseFinished(false);
    process.nextTick(() => this.emitClose());
  }

  /** The connection closed or was refused: a response not finished by now never will be. */
  abort(): void {
    this.destroyed = true;
    if (!this.writableFinished) this.emitClose();
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close');
  }

  /** No Content-Length or Transfer-Encoding was given: `length` is the whole body's when `end()` has it. */
  private decideFraming(length: number | undefined): void {
    if (length !== undefined) {
      this.framing = Framing.Length;
      this.contentLength = length;
      this.head += `Content-Length: ${length}\r\n`;
    } else if (this.minor === 1) {
      this.framing = Framing.Chunked;
      this.head += 'Transfer-Encoding: chunked\r\n';
    } else {
      this.framing = Framing.UntilClose;
      this.keepAlive = false;
    }
  }

  /** The head with the connection's say (unless the handler had its own) and the blank line. */
  private completeHead(): string {
    const keepAlive = this.keepAlive && this.framing !== Framing.UntilClose && !this.connection.closingAfterThis();
    this.keepAlive = keepAlive;
    if (this.hasConnection) return `${this.head}\r\n`;
    if (!keepAlive) return `${this.head}Connection: close\r\n\r\n`;
    const hint = this.connection.server.keepAliveHint;
    return this.minor === 0 ? `${this.head}Connection: keep-alive\r\n${hint}\r\n` : `${this.head}${hint}\r\n`;
  }

  private writeHeadOnly(): boolean {
    this.headWritten = true;
    return this.socket.write(this.completeHead(), 'latin1');
  }
}

/** A plain-text error response that closes the connection. */
function errorResponse(status: number, message: string): Buffer {
  const body = `${message}\n`;
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  return Buffer.from(head + body);
}

function noop(): void {}
