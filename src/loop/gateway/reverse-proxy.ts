// The gateway's request handler: an HTTP/1.1 reverse proxy with a tap point.
// Bodies stream both ways, never buffered, each with its own backpressure; a body-less request sends no body.
// Every exchange — including the 404/502/504 the gateway makes up itself — is reported to the tap as it
// streams through. With no tap, or when the tap declines an exchange, the hot path makes no tap calls at all.
//
// Two upstream clients. undici (one keep-alive Pool per destination, see upstream-pools.ts) carries the
// common case: it costs about half the CPU of node:http's client per request. node:http (keep-alive agents)
// carries what undici's HTTP/1.1 client cannot do:
// - requests with `Expect: 100-continue` (the upstream's 100 Continue is relayed), and
// - chunked requests that announce trailers: `Transfer-Encoding: chunked` with a `Trailer` header, or with
//   `TE` listing `trailers`. Trailers a chunked request sends without announcing them are reported to the
//   tap but not forwarded (RFC 9110 §6.5: a recipient may discard them).
// On the undici leg undici writes the framing headers itself: the upstream sees `host` first and lower-cased,
// `connection: keep-alive`, and `content-length` lower-cased after the other headers. Every other header keeps
// its order, case and duplicates (field names are case-insensitive, RFC 9110 §5.1).
//
// Host is forwarded as received (like Envoy and most reverse proxies), so upstreams see the name clients
// used; the route's destination name is sent only when the request had no Host (HTTP/1.0).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ConnectionInfo } from '../../capture/capture.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Tap, TapExchange } from '../tap/tap-types.js';
import type { RouteSpec } from './gateway-options.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { generatedResponse, type GeneratedResponse } from './gateway-responses.js';
import { announcesTrailers, hasHeader, headerPairs, upstreamRequestHeaders, withoutHopByHop } from './proxy-headers.js';
import { createRouteTable, type Route, type RouteTable } from './route-table.js';
import { beginGuarded } from './tap-guard.js';
import { GatewayRequestInfo, localOf, remoteOf, schemeOf } from './tap-request-info.js';
import { UpstreamPools, type UpstreamPool } from './upstream-pools.js';

export interface GatewayHandlerOptions {
  routes: readonly RouteSpec[];
  aliases?: Record<string, string>;
  /** Timeout of routes without their own (time to response headers, and idle time during bodies). */
  defaultTimeoutMs?: number;
  tap?: Tap;
  /** Milliseconds from an arbitrary origin, for durations. */
  clock?: () => number;
  logger: Logger;
  /** Upstream pool settings; keep-alive is always on. */
  agentOptions?: http.AgentOptions;
  metrics?: GatewayMetrics;
}

export interface GatewayHandler {
  /** The `request` listener. */
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /**
   * The `checkContinue` listener: `Expect: 100-continue` is passed upstream and the upstream's 100 Continue
   * relayed, so an upstream that refuses the body (401, 413, …) answers before the client sends it.
   * Without this listener Node answers 100 itself and the gateway drops Expect before forwarding.
   */
  checkContinue: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  routes: RouteTable;
  inFlight(): number;
  /** From now on responses close their connections; resolves once no request is in flight. */
  drain(): Promise<void>;
  /** Closes pooled upstream connections. */
  close(): void;
}

/** An http.Server wired to a gateway handler (request and checkContinue). */
export function createGatewayServer(gateway: GatewayHandler): http.Server {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, gateway.handler);
  server.on('checkContinue', gateway.checkContinue);
  return server;
}

/** Bodies up to this size that arrived with their request head are sent upstream as one Buffer. */
const SMALL_BODY_BYTES = 64 * 1024;
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

interface Shared {
  logger: Logger;
  tap: Tap | undefined;
  metrics: GatewayMetrics | undefined;
  clock: () => number;
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  pools: UpstreamPools;
  draining: boolean;
  onTapError(err: unknown): void;
  /** Metric children per route prefix, bound once (label hashing per request is measurable). */
  routeMetrics(prefix: string): RouteMetrics | undefined;
  /** Called once per exchange when its response is over. */
  done(): void;
}

interface RouteMetrics {
  duration: { observe(value: number): void };
  statuses: Map<string, { inc(): void }>;
  route: string;
}

export function createGatewayHandler(options: GatewayHandlerOptions): GatewayHandler {
  const routes = createRouteTable(options.routes, options.aliases ?? {}, options.defaultTimeoutMs ?? 15_000);
  const agentOptions: http.AgentOptions = {
    maxSockets: 256,
    maxFreeSockets: 64,
    // Idle pooled sockets are closed before Node upstreams' default 5 s keep-alive timeout closes them.
    timeout: 4_000,
    scheduling: 'lifo',
    ...options.agentOptions,
    keepAlive: true,
  };
  const { logger, metrics } = options;
  const shared: Shared = {
    logger,
    tap: options.tap,
    metrics,
    clock: options.clock ?? (() => performance.now()),
    httpAgent: new http.Agent(agentOptions),
    httpsAgent: new https.Agent(agentOptions),
    pools: new UpstreamPools({ connections: agentOptions.maxSockets ?? 256, keepAliveTimeoutMs: agentOptions.timeout ?? 4_000 }),
    draining: false,
    routeMetrics: () => undefined,
    done: noop,
    onTapError(err) {
      metrics?.tapErrors.inc();
      logger.debug('tap call threw; exchange no longer tapped', { err: messageOf(err) });
    },
  };
  let inFlight = 0;
  let idle: Array<() => void> = [];
  const routeMetrics = new Map<string, RouteMetrics>();
  shared.routeMetrics = (prefix) => {
    if (!metrics) return undefined;
    let m = routeMetrics.get(prefix);
    if (!m) {
      m = { duration: metrics.duration.labels({ route: prefix }), statuses: new Map(), route: prefix };
      routeMetrics.set(prefix, m);
    }
    return m;
  };
  shared.done = () => {
    inFlight--;
    metrics?.inFlight.dec();
    if (inFlight === 0 && idle.length > 0) {
      for (const resolve of idle) resolve();
      idle = [];
    }
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, relayContinue: boolean): void => {
    inFlight++;
    metrics?.inFlight.inc();
    new ProxiedExchange(shared, req, res, routes.match(req.url ?? '/')).start(relayContinue);
  };

  return {
    handler: (req, res) => handle(req, res, false),
    checkContinue: (req, res) => handle(req, res, true),
    routes,
    inFlight: () => inFlight,
    drain() {
      shared.draining = true;
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
    close() {
      shared.httpAgent.destroy();
      shared.httpsAgent.destroy();
      shared.pools.close();
    },
  };
}

/** One request on its way through the gateway. */
class ProxiedExchange {
  private readonly started: number;
  private readonly tap: TapExchange | undefined;
  /** The node:http leg's request, while it runs. */
  private upstream: http.ClientRequest | undefined;
  /** The undici leg: its pool, and whether its request runs (1) or was abandoned before undici connected it (2). */
  private pool: UpstreamPool | undefined;
  private undiciState: 0 | 1 | 2 = 0;
  private undiciAbort: ((err?: Error) => void) | undefined;
  private undiciResume: (() => void) | undefined;
  private viaNode = false;
  private upstreamHeaders: string[] = [];
  private upstreamConnection: ConnectionInfo | undefined;
  private responseTrailers: string[] | undefined;
  private requestEnded = false;
  private bodyless = true;
  private retried = false;
  private deadline: NodeJS.Timeout | undefined;
  /** Why the exchange failed, for the tap; set before a generated response or a destroyed connection. */
  private failure: string | undefined;

  constructor(
    private readonly shared: Shared,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly route: Route | undefined,
  ) {
    this.started = shared.clock();
    this.tap = shared.tap ? beginGuarded(shared.tap, new GatewayRequestInfo(req, route?.destination ?? ''), shared.onTapError) : undefined;
  }

  start(relayContinue: boolean): void {
    const { req, res, route } = this;
    // Errors on either side are handled through 'close' and the upstream's events; these keep a reset
    // connection from becoming an uncaught exception.
    req.on('error', noop);
    res.on('error', noop);
    res.once('close', () => this.onDownstreamClose());
    res.sendDate = false; // the response head is the upstream's, as reported to the tap
    if (!route) {
      this.respondGenerated(generatedResponse('NO_ROUTE', `no route for ${req.url ?? '/'}`));
      return;
    }
    const chunked = hasHeader(req.rawHeaders, 'transfer-encoding');
    const length = req.headers['content-length'];
    this.bodyless = !chunked && (length === undefined || length === '0');
    this.viaNode = relayContinue || (chunked && announcesTrailers(req.rawHeaders));
    this.upstreamHeaders = upstreamRequestHeaders(req.rawHeaders, {
      remoteAddress: req.socket.remoteAddress,
      scheme: schemeOf(req.socket),
      fallbackHost: route.destination,
      dropExpect: !relayContinue,
    });
    // Re-frame the body for the upstream hop: chunked stays chunked (trailers need it); a body-less request
    // with a method that may carry a body says so, instead of Node's empty chunked body.
    // (undici chunks a body of unknown length itself.)
    if (chunked) {
      if (this.viaNode) this.upstreamHeaders.push('Transfer-Encoding', 'chunked');
    }
    else if (length === undefined && !BODYLESS_METHODS.has(req.method ?? 'GET')) this.upstreamHeaders.push('Content-Length', '0');

    const tap = this.tap;
    // A small body taken whole below is handed to the tap in one piece; otherwise the tap sees each chunk.
    const smallPath = !this.viaNode && !this.bodyless && !chunked && Number(length) <= SMALL_BODY_BYTES;
    if (tap && !smallPath) this.observeRequestBody();
    req.once('end', () => {
      this.requestEnded = true;
      const trailers = req.rawTrailers.length > 0 ? headerPairs(req.rawTrailers) : undefined;
      tap?.requestEnd(trailers);
      // A body-less request was ended upstream when it was sent; its deadline is the socket's idle timeout.
      if (this.bodyless || !this.upstream || this.upstream.destroyed) return;
      if (trailers) this.upstream.addTrailers(trailers);
      this.upstream.end();
      if (!this.res.headersSent) this.deadline = setTimeout(() => this.onTimeout('deadline'), route.timeoutMs);
    });
    if (this.bodyless && !tap) req.resume();
    if (this.viaNode) this.send(relayContinue);
    else if (!smallPath) this.dispatch();
    else process.nextTick(() => this.dispatchSmall());
  }

  /**
   * A small body usually arrives with its head, in the same read: Node's parser pushes it into the request
   * right after the 'request' event, so one tick later it is all there and goes upstream as a Buffer (one
   * write with the head, no body stream). Otherwise the body streams as usual.
   */
  private dispatchSmall(): void {
    const req = this.req;
    if (this.undiciState !== 0 || this.res.writableEnded || req.destroyed) return;
    // The parser delivers no more than Content-Length bytes: when they are all buffered, the body is whole.
    if (req.readableLength === Number(req.headers['content-length'])) {
      const body = req.read() as Buffer | null;
      if (body !== null) {
        this.tap?.requestData(body);
        // Nothing is left to read; flowing mode lets the stream reach 'end' (and the tap its requestEnd).
        req.resume();
        this.dispatch(body);
        return;
      }
    }
    if (this.tap) this.observeRequestBody();
    this.dispatch();
  }

  private observeRequestBody(): void {
    const tap = this.tap!;
    this.req.on('data', (chunk: Buffer) => tap.requestData(chunk));
  }

  /** The undici leg: this exchange is the dispatch handler. */
  private dispatch(small?: Buffer): void {
    const { req, route } = this;
    const pool = this.shared.pools.for(route!.target);
    this.pool = pool;
    this.undiciState = 1;
    this.undiciAbort = undefined;
    pool.pool.dispatch(
      {
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        path: originForm(req.url ?? '/'),
        headers: this.upstreamHeaders,
        body: this.bodyless ? null : (small ?? detachedBody(req)),
        // Refreshed while the request body is being written, so an upload is not timed as a whole.
        headersTimeout: route!.timeoutMs,
        bodyTimeout: route!.timeoutMs,
      },
      this,
    );
  }

  // undici's dispatch handler, in its callback form: raw header buffers (case and order kept) and backpressure
  // by returning false from onData and calling `resume` later. Calls for a request this exchange gave up are ignored.
  onConnect(abort: (err?: Error) => void): void {
    if (this.undiciState === 2) abort(new Error('the exchange was abandoned'));
    else this.undiciAbort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.undiciState !== 1) return false;
    if (status < 200) return true; // interim responses (103) are not relayed
    this.undiciResume = resume;
    const remote = this.pool!.remote;
    if (remote) this.upstreamConnection = { remote };
    const why = this.forwardHead(status, statusText, latin1(raw));
    if (why === undefined) return true;
    this.abandonUpstream();
    this.failUnavailable(why, 'INVALID_RESPONSE');
    return false;
  }

  onData(chunk: Buffer): boolean {
    if (this.undiciState !== 1) return false;
    this.tap?.responseData(chunk);
    const res = this.res;
    if (!res.write(chunk) && !res.destroyed) {
      res.once('drain', this.undiciResume!);
      return false;
    }
    return true;
  }

  onComplete(trailers: Buffer[] | string[] | null): void {
    if (this.undiciState !== 1) return;
    this.undiciState = 0;
    if (trailers && trailers.length > 0) {
      const raw = latin1(trailers);
      this.responseTrailers = raw;
      this.res.addTrailers(headerPairs(raw));
    }
    this.res.end();
  }

  onError(err: Error): void {
    if (this.undiciState !== 1) return;
    this.undiciState = 0;
    const { req, res } = this;
    const code = (err as NodeJS.ErrnoException).code;
    if (res.headersSent) {
      if (code === 'UND_ERR_BODY_TIMEOUT') this.breakMidResponse(`upstream idle for ${this.route!.timeoutMs} ms mid-response`, 'timeout');
      else this.breakMidResponse(`upstream failed mid-response: ${code ?? err.message}`);
      return;
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      this.respondTimeout();
      return;
    }
    // A pooled connection the upstream closed while idle fails the next request before it was processed:
    // replaying a body-less idempotent request on a fresh connection is safe.
    const reset = code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
    if (!this.retried && reset && this.bodyless && IDEMPOTENT_METHODS.has(req.method ?? '')) {
      this.retried = true;
      this.shared.logger.debug('retrying on a fresh upstream connection', { destination: this.route?.destination, code });
      this.dispatch();
      return;
    }
    const why = code === 'ECONNREFUSED' ? 'refused the connection' : reset ? 'reset the connection' : `failed (${code ?? err.message})`;
    this.failUnavailable(`upstream ${this.describeUpstream()} ${why} before responding`, code ?? err.message);
  }

  private send(relayContinue: boolean): void {
    const { req, route } = this;
    const target = route!.target;
    const isHttps = target.protocol === 'https:';
    const upstream = (isHttps ? https : http).request({
      protocol: target.protocol,
      host: target.host,
      port: target.port,
      method: req.method,
      path: originForm(req.url ?? '/'),
      headers: this.upstreamHeaders,
      agent: isHttps ? this.shared.httpsAgent : this.shared.httpAgent,
      setHost: false,
    });
    this.upstream = upstream;
    upstream.on('response', (upRes) => upstream === this.upstream && this.onResponse(upRes));
    upstream.on('error', (err) => upstream === this.upstream && this.onUpstreamError(err));
    upstream.setTimeout(route!.timeoutMs, () => upstream === this.upstream && this.onTimeout('idle'));
    if (relayContinue) upstream.on('continue', () => this.res.writeContinue());
    if (this.requestEnded || this.bodyless) upstream.end();
    else req.pipe(upstream, { end: false });
  }

  private onResponse(upRes: http.IncomingMessage): void {
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    const { res, tap } = this;
    const socket = upRes.socket;
    this.upstreamConnection = { local: localOf(socket), remote: remoteOf(socket) };
    const why = this.forwardHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
    if (why !== undefined) {
      upRes.resume();
      this.abandonUpstream();
      this.failUnavailable(why, 'INVALID_RESPONSE');
      return;
    }
    // Forwarded by hand rather than piped: one listener instead of pipe's half dozen, same backpressure.
    let resume: (() => void) | undefined;
    upRes.on('data', (chunk: Buffer) => {
      tap?.responseData(chunk);
      if (!res.write(chunk) && !res.destroyed) {
        upRes.pause();
        res.once('drain', (resume ??= () => upRes.resume()));
      }
    });
    upRes.on('error', noop);
    upRes.once('end', () => {
      if (upRes.rawTrailers.length > 0) {
        this.responseTrailers = upRes.rawTrailers;
        res.addTrailers(headerPairs(upRes.rawTrailers));
      }
      res.end();
    });
    upRes.once('close', () => {
      if (!upRes.complete && !res.writableEnded) this.breakMidResponse('the upstream connection closed before the response was complete');
    });
  }

  /** Reports the upstream's response head to the tap and sends it on; answers why it could not. */
  private forwardHead(status: number, message: string | undefined, raw: readonly string[]): string | undefined {
    const headers = withoutHopByHop(raw);
    this.tap?.response(status, headerPairs(headers));
    if (this.shared.draining) headers.push('Connection', 'close');
    try {
      this.res.writeHead(status, message || undefined, headers);
      return undefined;
    } catch (err) {
      return `the response of ${this.describeUpstream()} cannot be forwarded: ${messageOf(err)}`;
    }
  }

  private onUpstreamError(err: NodeJS.ErrnoException): void {
    const { req, res, upstream } = this;
    clearTimeout(this.deadline);
    if (res.headersSent) {
      this.breakMidResponse(`upstream failed mid-response: ${err.code ?? err.message}`);
      return;
    }
    if (upstream) req.unpipe(upstream);
    // A pooled connection the upstream closed while idle fails the next request before it was processed:
    // replaying a body-less idempotent request on a fresh connection is safe.
    if (!this.retried && upstream?.reusedSocket && this.bodyless && IDEMPOTENT_METHODS.has(req.method ?? '') && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
      this.retried = true;
      this.shared.logger.debug('retrying on a fresh upstream connection', { destination: this.route?.destination, code: err.code });
      this.send(false);
      return;
    }
    const why = err.code === 'ECONNREFUSED' ? 'refused the connection' : err.code === 'ECONNRESET' ? 'reset the connection' : `failed (${err.code ?? err.message})`;
    this.failUnavailable(`upstream ${this.describeUpstream()} ${why} before responding`, err.code ?? err.message);
  }

  private failUnavailable(message: string, cause: string): void {
    const details = { destination: this.route?.destination, cause };
    this.respondGenerated(generatedResponse('UPSTREAM_UNAVAILABLE', message, details), { kind: 'unavailable', message });
  }

  private onTimeout(kind: 'deadline' | 'idle'): void {
    const { req, res, upstream } = this;
    if (!upstream || res.writableEnded) return;
    if (res.headersSent) {
      // Idle only counts when the upstream is the one stalling, not a slow reader downstream.
      if (kind === 'idle' && !res.writableNeedDrain) this.breakMidResponse(`upstream idle for ${this.route!.timeoutMs} ms mid-response`, 'timeout');
      return;
    }
    // Before the response: a client still uploading (and not held back by the upstream) is not the upstream's fault.
    if (kind === 'idle' && !this.requestEnded && !this.bodyless && !upstream.writableNeedDrain) return;
    req.unpipe(upstream);
    this.abandonUpstream();
    this.respondTimeout();
  }

  private respondTimeout(): void {
    clearTimeout(this.deadline);
    const ms = this.route!.timeoutMs;
    const message = `upstream ${this.describeUpstream()} sent no response within ${ms} ms`;
    this.respondGenerated(generatedResponse('UPSTREAM_TIMEOUT', message, { destination: this.route!.destination, timeoutMs: ms }), { kind: 'timeout', message });
  }

  /** The response has started: the status cannot change any more, so the downstream connection is cut. */
  private breakMidResponse(why: string, kind: 'broken' | 'timeout' = 'broken'): void {
    if (this.failure !== undefined || this.res.writableEnded) return;
    this.failure = why;
    this.shared.metrics?.upstreamFailures.inc({ route: this.route?.prefix ?? '', kind });
    this.shared.logger.warn('upstream failed mid-response', { destination: this.route?.destination, why });
    this.abandonUpstream();
    this.res.destroy();
  }

  /** Sends a response the gateway made up; `failure` says how the upstream failed, when it did. */
  private respondGenerated(generated: GeneratedResponse, failure?: { kind: 'unavailable' | 'timeout'; message: string }): void {
    const { res, req, tap } = this;
    if (failure) {
      this.failure = failure.message;
      this.shared.metrics?.upstreamFailures.inc({ route: this.route?.prefix ?? '', kind: failure.kind });
      this.shared.logger.warn('upstream failed', { destination: this.route?.destination, status: generated.status, why: failure.message });
    }
    tap?.response(generated.status, headerPairs(generated.headers));
    tap?.responseData(generated.body);
    const headers = generated.headers.slice();
    // The rest of an unread request body is not wanted: close rather than read it all to keep the connection.
    if (this.shared.draining || !req.complete) headers.push('Connection', 'close');
    res.writeHead(generated.status, headers);
    res.end(generated.body);
  }

  private onDownstreamClose(): void {
    this.shared.done();
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    const { res } = this;
    const completed = res.writableFinished;
    if (!completed) {
      this.failure ??= 'the downstream connection closed before the response was complete';
      this.abandonUpstream();
    }
    this.tap?.end({
      ...(this.responseTrailers ? { trailers: headerPairs(this.responseTrailers) } : {}),
      ...(this.failure !== undefined ? { error: this.failure } : {}),
      ...(this.upstreamConnection ? { upstream: this.upstreamConnection } : {}),
    });
    const metrics = this.shared.routeMetrics(this.route?.prefix ?? '');
    if (metrics) {
      const status = completed ? String(res.statusCode) : 'aborted';
      let requests = metrics.statuses.get(status);
      if (!requests) {
        requests = this.shared.metrics!.requests.labels({ route: metrics.route, status });
        metrics.statuses.set(status, requests);
      }
      requests.inc();
      metrics.duration.observe((this.shared.clock() - this.started) / 1000);
    }
  }

  private abandonUpstream(): void {
    const upstream = this.upstream;
    this.upstream = undefined;
    if (upstream && !upstream.destroyed) upstream.destroy();
    if (this.undiciState === 1) {
      const abort = this.undiciAbort;
      this.undiciState = abort ? 0 : 2;
      this.undiciAbort = undefined;
      abort?.(new Error('the exchange was abandoned'));
    }
  }

  private describeUpstream(): string {
    const route = this.route!;
    return route.target.target === route.destination ? route.destination : `${route.destination} (${route.target.target})`;
  }
}

function noop(): void {}

/** The request body as its own stream: undici destroys the body it was given on failure, which must not
 * reach the downstream connection (a 502 still has to be sent on it). */
function detachedBody(req: http.IncomingMessage): Readable {
  const body = new Readable({ read: () => void req.resume() });
  req.on('data', (chunk: Buffer) => {
    if (!body.push(chunk)) req.pause();
  });
  req.once('end', () => body.push(null));
  return body;
}

function latin1(raw: ReadonlyArray<Buffer | string>): string[] {
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    out[i] = typeof v === 'string' ? v : v.toString('latin1');
  }
  return out;
}


/** Origin-form of a request target: absolute-form (`http://host/x?y`) becomes `/x?y`. */
function originForm(target: string): string {
  if (target.startsWith('/') || target === '*') return target;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(target);
  if (!m) return target;
  const rest = m[1] ?? '';
  return rest.startsWith('/') ? rest : `/${rest}`;
}
