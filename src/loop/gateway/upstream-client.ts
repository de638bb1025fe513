// The gateway's HTTP/1.1 client to its upstreams: keep-alive connections per destination, one request at a
// time on each, written and parsed here (response-parser.ts). It replaced undici's Pool and node:http's client
// on this path: built for a proxy, it forwards the request head as received (names, case, order,
// duplicates), writes a small body with its head in one write, relays 100 Continue, sends request
// trailers, and costs about a fifth less CPU per proxied request than undici did (BENCHMARKS.md).
//
// Bodies: none, a Buffer (sent with the head), or the downstream request streamed with backpressure, either
// with its Content-Length or chunked (and then with trailers). The request stream is only read, never
// destroyed: a failed upstream must not take the downstream connection with it.
// Timeouts: one timer per call, refreshed by progress in either direction and held while the response is
// paused for a slow downstream reader. Before the response head it is a headers timeout, after it an idle
// (body) timeout.
import net from 'node:net';
import tls from 'node:tls';
import type { ConnectionInfo } from '../../capture/capture.js';
import { connectionOf } from '../tap/request-info.js';
import type { BodySource } from './downstream.js';
import { ResponseParseError, ResponseParser, type ResponseHead } from './response-parser.js';

export type UpstreamErrorCode =
  | 'UPSTREAM_REFUSED'
  /** The connection closed or was reset before the response was complete. */
  | 'UPSTREAM_RESET'
  | 'UPSTREAM_HEADERS_TIMEOUT'
  | 'UPSTREAM_BODY_TIMEOUT'
  | 'UPSTREAM_INVALID_RESPONSE'
  | 'UPSTREAM_FAILED';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    /** Whether the connection had carried an earlier request (a stale keep-alive connection). */
    readonly reused: boolean,
    /** Whether any byte of the response had arrived. */
    readonly responseStarted: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface UpstreamOrigin {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
}

export interface UpstreamRequest {
  method: string;
  /** Origin-form request target. */
  path: string;
  /** [name, value, …] as sent; must include Content-Length when `body` is a stream of known length. */
  headers: readonly string[];
  /** Nothing, a whole body, or the downstream request to stream. */
  body: Buffer | BodySource | null;
  /** Stream the body chunked (adds `Transfer-Encoding: chunked`); its trailers are read at its end. */
  chunked: boolean;
  /** Trailers to send after a chunked body, asked for when the body has ended. */
  trailers?: () => string[] | undefined;
  timeoutMs: number;
}

export interface UpstreamHandler {
  /** The upstream sent 100 Continue. */
  onContinue(): void;
  /** The final response head; false abandons the call. */
  onResponse(status: number, reason: string, raw: string[], connection: ConnectionInfo): boolean;
  /**
   * A piece of the response body; false pauses the upstream until `resume()`. `last`: nothing follows
   * (onEnd comes next, without trailers), so a response can be ended with its last chunk.
   */
  onData(chunk: Buffer, last: boolean): boolean;
  onEnd(trailers: string[] | undefined): void;
  /** Called at most once, and never after onEnd. */
  onError(err: UpstreamError): void;
}

export interface UpstreamCall {
  /** Resumes a response paused by onData returning false. */
  resume(): void;
  /** Gives the call up: its connection is closed, no more handler calls. */
  abort(): void;
}

export interface UpstreamClientOptions {
  /** Connections per destination; more requests wait for one to be free. */
  connections: number;
  /** Idle time before a pooled connection is closed (below Node upstreams' 5 s keep-alive timeout). */
  keepAliveTimeoutMs: number;
  /** For https destinations (e.g. a `ca`); servername is the destination's name. */
  tls?: tls.ConnectionOptions;
  /** Milliseconds from an arbitrary origin. */
  clock?: () => number;
}

/** Kept under the upstream's own `Keep-Alive: timeout` by this much, so we never race its close. */
const KEEP_ALIVE_MARGIN_MS = 1_000;
/** Plain-TCP reads land here, one read at a time (as much as one read of Node's own streams takes). */
const READ_BUFFER_BYTES = 64 * 1024;

export class UpstreamClient {
  private readonly pools = new Map<string, OriginPool>();
  /** Pools by origin object: a route's destination is one object, looked up without building its key. */
  private byOrigin = new WeakMap<UpstreamOrigin, OriginPool>();
  private readonly clock: () => number;

  constructor(private readonly options: UpstreamClientOptions) {
    this.clock = options.clock ?? (() => performance.now());
  }

  request(origin: UpstreamOrigin, request: UpstreamRequest, handler: UpstreamHandler): UpstreamCall {
    let pool = this.byOrigin.get(origin);
    if (!pool) {
      const key = `${origin.protocol}//${origin.host}:${origin.port}`;
      pool = this.pools.get(key);
      if (!pool) {
        pool = new OriginPool(origin, this.options, this.clock);
        this.pools.set(key, pool);
      }
      this.byOrigin.set(origin, pool);
    }
    const call = new Call(pool, request, handler);
    pool.acquire(call);
    return call;
  }

  /** Closes every connection; calls still running fail. */
  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
    this.byOrigin = new WeakMap();
  }
}

class OriginPool {
  private readonly idle: Connection[] = [];
  private readonly waiting: Call[] = [];
  /** Every open connection, idle or carrying a call. */
  private readonly open = new Set<Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly servername: string | undefined;
  private readBuffer: Buffer | undefined;

  constructor(
    readonly origin: UpstreamOrigin,
    private readonly options: UpstreamClientOptions,
    readonly clock: () => number,
  ) {
    this.servername = net.isIP(origin.host) === 0 ? origin.host : undefined;
  }

  acquire(call: Call): void {
    const now = this.clock();
    let conn: Connection | undefined;
    while ((conn = this.idle.pop())) {
      if (now < conn.idleUntil && !conn.socket.destroyed) {
        conn.assign(call);
        return;
      }
      conn.socket.destroy();
    }
    if (this.open.size < this.options.connections) {
      const conn = new Connection(this);
      this.open.add(conn);
      conn.assign(call);
      return;
    }
    this.waiting.push(call);
  }

  /** Takes a waiting call off the queue (it was aborted before it got a connection). */
  forget(call: Call): void {
    const i = this.waiting.indexOf(call);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** A connection finished its call and can carry another one. */
  release(conn: Connection, keepAliveTimeoutMs: number | undefined): void {
    const next = this.waiting.shift();
    if (next) {
      conn.assign(next);
      return;
    }
    const hinted = keepAliveTimeoutMs === undefined ? Infinity : keepAliveTimeoutMs - KEEP_ALIVE_MARGIN_MS;
    const lifetime = Math.min(this.options.keepAliveTimeoutMs, hinted);
    if (lifetime <= 0 || this.closed) {
      conn.socket.destroy();
      return;
    }
    conn.idleUntil = this.clock() + lifetime;
    this.idle.push(conn);
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(1_000, this.options.keepAliveTimeoutMs)).unref();
  }

  /** A connection is gone (closed by either side). */
  closedConnection(conn: Connection): void {
    this.open.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    // A waiting call gets a fresh connection in its place.
    const next = this.waiting.shift();
    if (next && !this.closed) this.acquire(next);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.idle.length = 0;
    // Calls still running fail as their connections close.
    for (const conn of this.open) conn.socket.destroy();
    for (const call of this.waiting.splice(0)) call.fail(new UpstreamError('UPSTREAM_FAILED', 'the gateway is shutting down', false, false));
  }

  private sweep(): void {
    const now = this.clock();
    // Oldest first: the stack's bottom has been idle longest.
    while (this.idle.length > 0 && this.idle[0]!.idleUntil <= now) this.idle.shift()!.socket.destroy();
    if (this.idle.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /**
   * Opens a connection for `conn`. Plain TCP reads into one buffer shared by the pool (`onread`: no Buffer
   * allocated and no stream machinery per read), handed to `conn.read` and valid only during the call.
   */
  connect(conn: Connection): net.Socket {
    const { host, port, protocol } = this.origin;
    let socket: net.Socket;
    if (protocol === 'https:') {
      socket = tls.connect({ ...this.options.tls, host, port, ...(this.servername ? { servername: this.servername } : {}), ALPNProtocols: ['http/1.1'] });
      socket.on('data', (chunk: Buffer) => conn.read(chunk, false));
    } else {
      const buffer = (this.readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES));
      const callback = (n: number, buf: Uint8Array): boolean => {
        conn.read((buf as Buffer).subarray(0, n), true);
        return true; // pausing is done with the socket's pause(), as for a stream
      };
      socket = net.connect({ host, port, onread: { buffer, callback } });
    }
    socket.setNoDelay(true);
    // Upstream connections never keep the process alive by themselves: a call in flight has its timer, and
    // the downstream connection it serves.
    socket.unref();
    return socket;
  }
}

/** One upstream connection, carrying one call at a time. */
class Connection {
  call: Call | undefined;
  idleUntil = 0;
  /** Calls this connection has carried, the current one included. */
  uses = 0;
  private readonly parser: ResponseParser;
  private error: Error | undefined;
  private connected: boolean;
  private trailers: string[] | undefined;
  private info: ConnectionInfo | undefined;
  /** The chunk being parsed lives in a reused buffer: body pieces handed on are copies. */
  private transient = false;
  readonly socket: net.Socket;

  constructor(readonly pool: OriginPool) {
    this.parser = new ResponseParser({
      onHead: (head) => this.call?.onHead(head),
      onBody: (chunk, last) => this.call?.onBody(this.transient ? Buffer.from(chunk) : chunk, last),
      // Completion is handled once `execute` returns, when it is known whether bytes followed the response.
      onComplete: (trailers) => (this.trailers = trailers),
    });
    const socket = (this.socket = pool.connect(this));
    this.connected = !socket.connecting;
    socket.on('connect', () => (this.connected = true));
    socket.on('drain', () => this.call?.onDrain());
    socket.on('error', (err) => (this.error ??= err));
    socket.on('close', () => this.onClose());
  }

  assign(call: Call): void {
    this.uses++;
    this.call = call;
    this.parser.begin(call.request.method === 'HEAD');
    call.start(this);
  }

  get reused(): boolean {
    return this.uses > 1;
  }

  get responseStarted(): boolean {
    return !this.parser.untouched;
  }

  /** Bytes from the upstream; `transient`: `chunk` is reused once this returns. */
  read(chunk: Buffer, transient: boolean): void {
    this.transient = transient;
    const call = this.call;
    if (!call) {
      // Bytes on an idle connection answer nothing we asked: it cannot be trusted with a request.
      this.socket.destroy();
      return;
    }
    let used: number;
    try {
      used = this.parser.execute(chunk);
    } catch (err) {
      call.fail(this.invalid(err));
      return;
    }
    if (this.parser.complete) {
      const trailers = this.trailers;
      this.trailers = undefined;
      // Bytes after the response answer nothing we asked: the connection is not trusted with another request.
      call.onComplete(trailers, used === chunk.length);
    }
  }

  private onClose(): void {
    const call = this.call;
    this.call = undefined;
    this.pool.closedConnection(this);
    if (!call) return;
    if (this.parser.readsUntilClose && !this.error) {
      this.parser.end();
      call.onComplete(undefined, false);
      return;
    }
    const err = this.error as NodeJS.ErrnoException | undefined;
    const code = err?.code;
    if (!this.connected) {
      const refused = code === 'ECONNREFUSED';
      call.fail(new UpstreamError(refused ? 'UPSTREAM_REFUSED' : 'UPSTREAM_FAILED', refused ? 'refused the connection' : `failed (${code ?? err?.message ?? 'connection closed'})`, false, false, { cause: err }));
      return;
    }
    const reset = code === undefined || code === 'ECONNRESET' || code === 'EPIPE';
    const started = this.responseStarted;
    const message = reset ? (started ? 'closed the connection before the response was complete' : 'reset the connection') : `failed (${code ?? err?.message})`;
    call.fail(new UpstreamError(reset ? 'UPSTREAM_RESET' : 'UPSTREAM_FAILED', message, this.reused, started, { cause: err }));
  }

  private invalid(err: unknown): UpstreamError {
    const message = err instanceof ResponseParseError ? err.message : String(err);
    return new UpstreamError('UPSTREAM_INVALID_RESPONSE', `sent an invalid response: ${message}`, this.reused, true, { cause: err });
  }

  /** The call is over: the connection goes back to the pool, or is closed when it cannot be reused. */
  finish(reusable: boolean, keepAliveTimeoutMs: number | undefined): void {
    this.call = undefined;
    if (reusable && !this.socket.destroyed) {
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.release(this, keepAliveTimeoutMs);
    } else this.socket.destroy();
  }

  connectionInfo(): ConnectionInfo {
    return (this.info ??= connectionOf(this.socket));
  }
}

const enum CallState {
  Waiting,
  Running,
  Done,
}

class Call implements UpstreamCall {
  private state = CallState.Waiting;
  private conn: Connection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private headSeen = false;
  private paused = false;
  private bodySent = false;
  private keepAlive = true;
  private keepAliveTimeoutMs: number | undefined;
  /** Body chunks read while the call waited for a connection. */
  private early: Buffer[] | undefined;
  private bodyEnded = false;
  private readonly onBodyData = (chunk: Buffer): void => this.writeBody(chunk);
  private readonly onBodyEnd = (): void => this.endBody();

  constructor(
    private readonly pool: OriginPool,
    readonly request: UpstreamRequest,
    private readonly handler: UpstreamHandler,
  ) {
    // Counted from now: a call waiting for a free connection times out like one waiting for its response.
    this.timer = setTimeout(() => this.onTimer(), request.timeoutMs);
    const body = request.body;
    // Listening from the start: the request's chunks must not flow past (to a tap also reading them) unseen.
    if (body !== null && !Buffer.isBuffer(body)) {
      body.on('data', this.onBodyData);
      body.once('end', this.onBodyEnd);
    }
  }

  start(conn: Connection): void {
    if (this.state !== CallState.Waiting) {
      conn.finish(true, undefined);
      return;
    }
    this.state = CallState.Running;
    this.conn = conn;
    const { request } = this;
    const head = requestHead(request);
    const body = request.body;
    if (body === null) {
      conn.socket.write(head, 'latin1');
      this.bodySent = true;
    } else if (Buffer.isBuffer(body)) {
      conn.socket.write(withHead(head, body));
      this.bodySent = true;
    } else {
      conn.socket.write(head, 'latin1');
      const early = this.early;
      this.early = undefined;
      if (early) for (const chunk of early) this.writeBody(chunk);
      if (this.bodyEnded) this.endBody();
      else body.resume();
    }
  }

  private writeBody(chunk: Buffer): void {
    if (this.state === CallState.Waiting) {
      (this.early ??= []).push(chunk);
      (this.request.body as BodySource).pause();
      return;
    }
    if (this.state !== CallState.Running || chunk.length === 0) return;
    const socket = this.conn!.socket;
    let ok: boolean;
    if (this.request.chunked) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else ok = socket.write(chunk);
    this.timer?.refresh();
    if (!ok) (this.request.body as BodySource).pause();
  }

  private endBody(): void {
    this.bodyEnded = true;
    if (this.state !== CallState.Running) return;
    this.stopReadingBody();
    if (this.request.chunked) {
      const trailers = this.request.trailers?.();
      let last = '0\r\n';
      if (trailers) for (let i = 0; i < trailers.length; i += 2) last += `${trailers[i]}: ${trailers[i + 1]}\r\n`;
      this.conn!.socket.write(`${last}\r\n`, 'latin1');
    }
    this.bodySent = true;
    this.timer?.refresh();
  }

  private stopReadingBody(): void {
    const body = this.request.body;
    if (body === null || Buffer.isBuffer(body)) return;
    body.off('data', this.onBodyData);
    body.off('end', this.onBodyEnd);
  }

  onDrain(): void {
    const body = this.request.body;
    if (this.state === CallState.Running && body !== null && !Buffer.isBuffer(body) && !this.bodySent) body.resume();
  }

  onHead(head: ResponseHead): void {
    if (this.state !== CallState.Running) return;
    this.timer?.refresh();
    if (head.status < 200) {
      if (head.status === 100) this.handler.onContinue();
      else if (head.status === 101) this.fail(new UpstreamError('UPSTREAM_INVALID_RESPONSE', 'switched protocols unasked (101)', this.conn!.reused, true));
      return;
    }
    this.headSeen = true;
    this.keepAlive = head.keepAlive;
    this.keepAliveTimeoutMs = head.keepAliveTimeoutMs;
    if (!this.handler.onResponse(head.status, head.reason, head.raw, this.conn!.connectionInfo())) this.abort();
  }

  onBody(chunk: Buffer, last: boolean): void {
    if (this.state !== CallState.Running) return;
    this.timer?.refresh();
    if (!this.handler.onData(chunk, last) && this.state === CallState.Running && !this.paused) {
      this.paused = true;
      this.conn!.socket.pause();
    }
  }

  /** `clean`: nothing followed the response on the connection. */
  onComplete(trailers: string[] | undefined, clean: boolean): void {
    if (this.state !== CallState.Running) return;
    this.state = CallState.Done;
    clearTimeout(this.timer);
    this.stopReadingBody();
    const conn = this.conn!;
    this.conn = undefined;
    // A connection whose request body was not all sent cannot carry another request.
    conn.finish(clean && this.keepAlive && this.bodySent, this.keepAliveTimeoutMs);
    this.handler.onEnd(trailers);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.state === CallState.Running) {
      this.timer?.refresh();
      this.conn!.socket.resume();
    }
  }

  abort(): void {
    if (this.state === CallState.Done) return;
    this.end();
  }

  fail(err: UpstreamError): void {
    if (this.state === CallState.Done) return;
    this.end();
    this.handler.onError(err);
  }

  private end(): void {
    const waiting = this.state === CallState.Waiting;
    this.state = CallState.Done;
    clearTimeout(this.timer);
    this.stopReadingBody();
    if (waiting) this.pool.forget(this);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) conn.finish(false, undefined);
  }

  private onTimer(): void {
    if (this.state === CallState.Done) return;
    // A paused response waits for the downstream reader, not for the upstream.
    if (this.paused) {
      this.timer!.refresh();
      return;
    }
    const ms = this.request.timeoutMs;
    const conn = this.conn;
    if (!conn) {
      this.fail(new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `sent no response within ${ms} ms (no free connection to it)`, false, false));
      return;
    }
    if (this.headSeen) this.fail(new UpstreamError('UPSTREAM_BODY_TIMEOUT', `idle for ${ms} ms mid-response`, conn.reused, true));
    else this.fail(new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `sent no response within ${ms} ms`, conn.reused, conn.responseStarted));
  }
}

function requestHead(request: UpstreamRequest): string {
  return messageHead(`${request.method} ${request.path} HTTP/1.1`, request.chunked ? [...request.headers, 'Transfer-Encoding', 'chunked'] : request.headers);
}

/** A message head: the start line, a `name: value` line per pair of the flat list, and the blank line. */
export function messageHead(startLine: string, headers: readonly string[]): string {
  let head = `${startLine}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** The head and a whole body as one buffer: one write, one packet for a small request. */
export function withHead(head: string, body: Buffer): Buffer {
  const headBytes = Buffer.byteLength(head, 'latin1');
  const out = Buffer.allocUnsafe(headBytes + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, headBytes);
  return out;
}
