// The gateway's request handler: an HTTP/1.1 reverse proxy with a tap point.
// Bodies stream both ways, never buffered, each with its own backpressure; a body-less request sends no body.
// Every exchange — including the 404/502/504 the gateway makes up itself — is reported to the tap as it
// streams through. With no tap, or when the tap declines an exchange, the hot path makes no tap calls at all.
//
// The upstream leg is the gateway's own HTTP/1.1 client (upstream-client.ts): keep-alive connections per
// destination, the request head forwarded with its headers' case, order and duplicates, `Expect:
// 100-continue` passed on with the upstream's 100 Continue relayed, and chunked request bodies forwarded
// chunked, trailers included.
//
// Host is forwarded as received (like Envoy and most reverse proxies), so upstreams see the name clients
// used; the route's destination name is sent only when the request had no Host (HTTP/1.0).
import http from 'node:http';
import type net from 'node:net';
import type tls from 'node:tls';
import { rawHeaderPairs, type ConnectionInfo } from '../../capture/capture.js';
import { messageOf } from '../../core/errors.js';
import type { ClosableServer } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import { connectionOfCached, ReceivedRequestInfo, schemeOf } from '../tap/request-info.js';
import type { Tap, TapExchange } from '../tap/tap-types.js';
import type { DownstreamRequest, DownstreamResponse } from './downstream.js';
import type { RouteSpec } from './gateway-options.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { describeUpstream, generatedResponse, upstreamTimeout, upstreamUnavailable, type GeneratedResponse } from './gateway-responses.js';
import { Http1Server, type UpgradeListener } from './http1-server.js';
import { forwardedTrailers, requestFraming, upstreamRequestHeaders, withoutHopByHop } from './proxy-headers.js';
import { createRouteTable, originForm, type Route, type RouteTable } from './route-table.js';
import { beginGuarded } from './tap-guard.js';
import { proxyUpgrade } from './upgrade-tunnel.js';
import { UpstreamClient, type UpstreamCall, type UpstreamError, type UpstreamHandler } from './upstream-client.js';

export interface GatewayHandlerOptions {
  routes: readonly RouteSpec[];
  aliases?: Record<string, string>;
  /** Timeout of routes without their own (time to response headers, and idle time during bodies). */
  defaultTimeoutMs?: number;
  tap?: Tap;
  /** Milliseconds from an arbitrary origin, for durations. */
  clock?: () => number;
  logger: Logger;
  /** Upstream connections per destination (default 256) and their idle lifetime (default 4 s). */
  upstream?: { connections?: number; keepAliveTimeoutMs?: number; tls?: tls.ConnectionOptions };
  metrics?: GatewayMetrics;
}

export interface GatewayHandler {
  /** The `request` listener. */
  handler: (req: DownstreamRequest, res: DownstreamResponse) => void;
  /**
   * The `checkContinue` listener: `Expect: 100-continue` is passed upstream and the upstream's 100 Continue
   * relayed, so an upstream that refuses the body (401, 413, …) answers before the client sends it.
   * Without this listener Node answers 100 itself and the gateway drops Expect before forwarding.
   */
  checkContinue: (req: DownstreamRequest, res: DownstreamResponse) => void;
  /**
   * The `upgrade` listener: a request asking to switch protocols (WebSocket) is forwarded on a connection of
   * its own, and after the upstream's 101 the two connections are spliced (upgrade-tunnel.ts).
   */
  upgrade: UpgradeListener;
  routes: RouteTable;
  inFlight(): number;
  /** From now on responses close their connections; resolves once no request is in flight. */
  drain(): Promise<void>;
  /** Closes pooled upstream connections, and cuts upgraded connections still open. */
  close(): void;
}

/** Which HTTP/1.1 server side reads the gateway's downstream connections. */
export type GatewayServerKind = 'node' | 'own';

/** Idle time allowed between requests on a downstream connection, with either server side. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * A server wired to a gateway handler (request and checkContinue): node:http's, or the gateway's own
 * (http1-server.ts), which costs less CPU per request and refuses requests that could be read two ways.
 */
export function createGatewayServer(gateway: GatewayHandler, kind: GatewayServerKind = 'own'): ClosableServer {
  if (kind === 'own') return new Http1Server(gateway.handler, { keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS, checkContinue: gateway.checkContinue, onUpgrade: gateway.upgrade });
  const server = http.createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, gateway.handler);
  server.on('checkContinue', gateway.checkContinue);
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
    gateway.upgrade({ method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, upgrade: req.headers.upgrade ?? '', socket }, socket, head),
  );
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
  client: UpstreamClient;
  draining: boolean;
  onTapError(err: unknown): void;
  /** Metric children per route prefix, bound once (label hashing per request is measurable). */
  routeMetrics(prefix: string): RouteMetrics | undefined;
  /** Called once per exchange when its response is over. */
  done(): void;
}

interface RouteMetrics {
  duration: { observe(value: number): void };
  route: string;
}

export function createGatewayHandler(options: GatewayHandlerOptions): GatewayHandler {
  const routes = createRouteTable(options.routes, options.aliases ?? {}, options.defaultTimeoutMs ?? 15_000);
  const { logger, metrics } = options;
  const shared: Shared = {
    logger,
    tap: options.tap,
    metrics,
    clock: options.clock ?? (() => performance.now()),
    client: new UpstreamClient({
      connections: options.upstream?.connections ?? 256,
      // Idle pooled connections are closed before Node upstreams' default 5 s keep-alive timeout closes them.
      keepAliveTimeoutMs: options.upstream?.keepAliveTimeoutMs ?? 4_000,
      ...(options.upstream?.tls ? { tls: options.upstream.tls } : {}),
    }),
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
  metrics?.inFlightFrom(() => inFlight);
  const routeMetrics = new Map<string, RouteMetrics>();
  shared.routeMetrics = (prefix) => {
    if (!metrics) return undefined;
    let m = routeMetrics.get(prefix);
    if (!m) {
      m = { duration: metrics.duration.labels({ route: prefix }), route: prefix };
      routeMetrics.set(prefix, m);
    }
    return m;
  };
  shared.done = () => {
    inFlight--;
    if (inFlight === 0 && idle.length > 0) {
      for (const resolve of idle) resolve();
      idle = [];
    }
  };

  const handle = (req: DownstreamRequest, res: DownstreamResponse, relayContinue: boolean): void => {
    inFlight++;
    new ProxiedExchange(shared, req, res, routes.match(req.url ?? '/')).start(relayContinue);
  };

  // Upgraded connections, each with what cuts it: they count as in flight until both sides are closed.
  const tunnels = new Set<{ cut(): void }>();
  const upgrade: UpgradeListener = (req, socket, head) => {
    inFlight++;
    const context = {
      ...shared,
      tls: options.upstream?.tls,
      // Called once both connections have closed, which is never before proxyUpgrade has returned.
      done: () => {
        tunnels.delete(tunnel);
        shared.done();
      },
    };
    const tunnel = proxyUpgrade(context, routes.match(req.url), req, socket, head);
    tunnels.add(tunnel);
  };

  return {
    handler: (req, res) => handle(req, res, false),
    checkContinue: (req, res) => handle(req, res, true),
    upgrade,
    routes,
    inFlight: () => inFlight,
    drain() {
      shared.draining = true;
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
    close() {
      shared.client.close();
      for (const tunnel of [...tunnels]) tunnel.cut();
    },
  };
}

/** One request on its way through the gateway; the upstream client's handler for its upstream call. */
class ProxiedExchange implements UpstreamHandler {
  private readonly started: number;
  private readonly tap: TapExchange | undefined;
  /** The upstream call, while it runs. */
  private call: UpstreamCall | undefined;
  private relayContinue = false;
  private upstreamHeaders: string[] = [];
  private upstreamConnection: ConnectionInfo | undefined;
  private responseTrailers: string[] | undefined;
  private bodyless = true;
  private chunked = false;
  /** The request's Content-Length; -1 without one. */
  private length = -1;
  private retried = false;
  private endedWithData = false;
  /** Why the exchange failed, for the tap; set before a generated response or a destroyed connection. */
  private failure: string | undefined;
  private readonly resumeUpstream = (): void => this.call?.resume();

  constructor(
    private readonly shared: Shared,
    private readonly req: DownstreamRequest,
    private readonly res: DownstreamResponse,
    private readonly route: Route | undefined,
  ) {
    this.started = shared.clock();
    this.tap = shared.tap ? beginGuarded(shared.tap, new ReceivedRequestInfo(req, route?.destination ?? '', connectionOfCached), shared.onTapError) : undefined;
  }

  start(relayContinue: boolean): void {
    const { req, res, route } = this;
    // Errors on either side are handled through 'close' and the upstream's events; this keeps a reset
    // connection from becoming an uncaught exception. (A server's request emits 'error' only to listeners.)
    res.on('error', noop);
    res.once('close', () => this.onDownstreamClose());
    res.sendDate = false; // the response head is the upstream's, as reported to the tap
    if (!route) {
      this.respondGenerated(generatedResponse('NO_ROUTE', `no route for ${req.url ?? '/'}`));
      return;
    }
    const { chunked, length, otherCodings } = requestFraming(req.rawHeaders);
    if (otherCodings) {
      // Transfer codings are hop-by-hop: forwarding the body re-chunked would drop `gzip` (or any other
      // coding) without a word, and the upstream would take coded bytes for the body (RFC 9112 §6.1: 501).
      const codings = rawHeaderPairs(req.rawHeaders).filter(([n]) => n.toLowerCase() === 'transfer-encoding').map(([, v]) => v).join(', ');
      this.respondGenerated(generatedResponse('TRANSFER_CODING_UNSUPPORTED', `Transfer-Encoding "${codings}": the gateway forwards chunked request bodies only`));
      return;
    }
    this.chunked = chunked;
    this.relayContinue = relayContinue;
    this.bodyless = !chunked && (length === undefined || length === '0');
    this.upstreamHeaders = upstreamRequestHeaders(req.rawHeaders, {
      remoteAddress: req.socket.remoteAddress,
      scheme: schemeOf(req.socket),
      fallbackHost: route.destination,
      dropExpect: !relayContinue,
    });
    // A body-less request with a method that may carry a body says so (Content-Length: 0); a chunked one
    // stays chunked upstream (the client adds the header and the framing).
    if (!chunked && length === undefined && !BODYLESS_METHODS.has(req.method ?? 'GET')) this.upstreamHeaders.push('Content-Length', '0');

    const tap = this.tap;
    // A small body taken whole below is handed to the tap in one piece; otherwise the tap sees each chunk.
    this.length = length === undefined ? -1 : Number(length);
    const smallPath = !relayContinue && !this.bodyless && !chunked && this.length <= SMALL_BODY_BYTES;
    if (tap && !this.bodyless && !smallPath) this.observeRequestBody();
    if (this.bodyless) {
      tap?.requestEnd();
      req.resume();
      this.dispatch(null);
    } else if (!smallPath) this.dispatch(req);
    // node:http pushes the body after the 'request' event; the gateway's own server has it buffered already.
    else if (req.readableLength === this.length) this.dispatchSmall();
    else process.nextTick(() => this.dispatchSmall());
  }

  /**
   * A small body usually arrives with its head, in the same read: Node's parser pushes it into the request
   * right after the 'request' event, so one tick later it is all there and goes upstream with the head in one
   * write. Otherwise the body streams as usual.
   */
  private dispatchSmall(): void {
    const req = this.req;
    if (this.call !== undefined || this.res.writableEnded || req.destroyed) return;
    // The parser delivers no more than Content-Length bytes: when they are all buffered, the body is whole.
    if (req.readableLength === this.length) {
      const body = req.read() as Buffer | null;
      if (body !== null) {
        // Whole, and without trailers (they come only with chunked bodies): no listener needed for the tap.
        this.tap?.requestData(body);
        this.tap?.requestEnd();
        // Nothing is left to read; flowing mode lets the stream reach 'end'.
        req.resume();
        this.dispatch(body);
        return;
      }
    }
    if (this.tap) this.observeRequestBody();
    this.dispatch(req);
  }

  /** A body that streams: the tap sees each chunk, then the end with the trailers, if any. */
  private observeRequestBody(): void {
    const { tap, req } = this;
    req.on('data', (chunk: Buffer) => tap!.requestData(chunk));
    req.once('end', () => tap!.requestEnd(req.rawTrailers.length > 0 ? rawHeaderPairs(req.rawTrailers) : undefined));
  }

  private dispatch(body: Buffer | DownstreamRequest | null): void {
    const { req, route } = this;
    this.call = this.shared.client.request(
      route!.target,
      {
        method: req.method ?? 'GET',
        path: originForm(req.url ?? '/'),
        headers: this.upstreamHeaders,
        body,
        chunked: this.chunked,
        trailers: () => (req.rawTrailers.length > 0 ? forwardedTrailers(req.rawTrailers) : undefined),
        timeoutMs: route!.timeoutMs,
      },
      this,
    );
  }

  // The upstream client's callbacks: none come after this exchange abandoned its call.
  onContinue(): void {
    if (this.relayContinue && !this.res.headersSent) this.res.writeContinue();
  }

  onResponse(status: number, reason: string, raw: string[], connection: ConnectionInfo): boolean {
    this.upstreamConnection = connection;
    const why = this.forwardHead(status, reason, raw);
    if (why === undefined) return true;
    this.call = undefined;
    this.failUnavailable(why, 'INVALID_RESPONSE');
    return false;
  }

  onData(chunk: Buffer, last: boolean): boolean {
    this.tap?.responseData(chunk);
    const res = this.res;
    if (last) {
      // One write for the last chunk and the end of the response.
      this.endedWithData = true;
      res.end(chunk);
      return true;
    }
    if (!res.write(chunk) && !res.destroyed) {
      res.once('drain', this.resumeUpstream);
      return false;
    }
    return true;
  }

  onEnd(trailers: string[] | undefined): void {
    this.call = undefined;
    this.drainRequest();
    // The tap records the trailers that went out, as it records the head (hop-by-hop fields left out).
    const forwarded = trailers && forwardedTrailers(trailers);
    if (forwarded) {
      this.responseTrailers = forwarded;
      this.res.addTrailers(rawHeaderPairs(forwarded));
    }
    if (!this.endedWithData) this.res.end();
  }

  onError(err: UpstreamError): void {
    this.call = undefined;
    this.drainRequest();
    const { req, res } = this;
    const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code ?? err.code;
    if (res.headersSent) {
      if (err.code === 'UPSTREAM_BODY_TIMEOUT') this.breakMidResponse(`upstream idle for ${this.route!.timeoutMs} ms mid-response`, 'timeout');
      else this.breakMidResponse(`upstream ${describeUpstream(this.route!)} ${err.message}`);
      return;
    }
    if (err.code === 'UPSTREAM_HEADERS_TIMEOUT') {
      this.respondTimeout();
      return;
    }
    // A pooled connection the upstream closed while idle fails the next request before it was processed:
    // replaying a body-less idempotent request on a fresh connection is safe.
    if (!this.retried && err.code === 'UPSTREAM_RESET' && err.reused && !err.responseStarted && this.bodyless && IDEMPOTENT_METHODS.has(req.method ?? '')) {
      this.retried = true;
      this.shared.logger.debug('retrying on a fresh upstream connection', { destination: this.route?.destination, cause });
      this.dispatch(null);
      return;
    }
    const before = err.code === 'UPSTREAM_INVALID_RESPONSE' ? '' : ' before responding';
    this.failUnavailable(`upstream ${describeUpstream(this.route!)} ${err.message}${before}`, cause);
  }

  /** Reports the upstream's response head to the tap and sends it on; answers why it could not. */
  private forwardHead(status: number, message: string | undefined, raw: readonly string[]): string | undefined {
    const headers = withoutHopByHop(raw);
    // The tap keeps the list it was given: it sees the upstream's head, and draining adds to a copy.
    this.tap?.response(status, headers);
    try {
      this.res.writeHead(status, message || undefined, this.shared.draining ? [...headers, 'Connection', 'close'] : headers);
      return undefined;
    } catch (err) {
      return `the response of ${describeUpstream(this.route!)} cannot be forwarded: ${messageOf(err)}`;
    }
  }

  private failUnavailable(message: string, cause: string): void {
    this.respondGenerated(upstreamUnavailable(this.route!, message, cause), { kind: 'unavailable', message });
  }

  private respondTimeout(): void {
    const { response, message } = upstreamTimeout(this.route!);
    this.respondGenerated(response, { kind: 'timeout', message });
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
    tap?.response(generated.status, generated.headers);
    tap?.responseData(generated.body);
    const headers = generated.headers.slice();
    // The rest of an unread request body is not wanted: close rather than read it all to keep the connection.
    if (this.shared.draining || !req.complete) headers.push('Connection', 'close');
    res.writeHead(generated.status, headers);
    res.end(generated.body);
  }

  private onDownstreamClose(): void {
    this.shared.done();
    const { res } = this;
    const completed = res.writableFinished;
    if (!completed) {
      this.failure ??= 'the downstream connection closed before the response was complete';
      this.abandonUpstream();
    }
    this.tap?.end({ trailers: this.responseTrailers && rawHeaderPairs(this.responseTrailers), error: this.failure, upstream: this.upstreamConnection });
    const metrics = this.shared.routeMetrics(this.route?.prefix ?? '');
    if (metrics) {
      this.shared.metrics!.countRequest(metrics.route, completed ? String(res.statusCode) : 'aborted');
      metrics.duration.observe((this.shared.clock() - this.started) / 1000);
    }
  }

  /**
   * The upstream is done before the request body was all sent (it answered early, or failed): the rest is
   * read and dropped, as Node does for a handler that never reads, so the connection can carry the next
   * request. (A generated response closes the connection instead: see respondGenerated.)
   */
  private drainRequest(): void {
    const req = this.req;
    if (!req.complete && !req.destroyed && req.isPaused()) req.resume();
  }

  private abandonUpstream(): void {
    const call = this.call;
    this.call = undefined;
    call?.abort();
  }
}

function noop(): void {}
