// Protocol upgrades through the gateway (WebSocket, h2c, any `Upgrade:`; RFC 9110 §7.8). The request is sent
// upstream on a connection of its own, never pooled, with Connection: upgrade and its Upgrade header (both
// hop-by-hop, so this hop sets them again). An upstream that answers 101 Switching Protocols gets the client's
// connection spliced to its own, byte for byte, until either side closes; one that answers anything else has
// declined, and that response is forwarded and both connections closed.
//
// The tap sees the exchange up to the switch: the request head and the 101 (or the declining response, body
// included). What flows after a 101 is another protocol and is not captured. No route, a refused connection,
// and no response within the route's timeout are answered 404, 502 and 504 as for any request, and tapped so.
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { ConnectionInfo } from '../../capture/capture.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { connectionOf, connectionOfCached, ReceivedRequestInfo, schemeOf } from '../tap/request-info.js';
import type { Tap, TapExchange } from '../tap/tap-types.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { describeUpstream, generatedResponse, upstreamTimeout, upstreamUnavailable, type GeneratedResponse } from './gateway-responses.js';
import type { UpgradeRequestHead } from './http1-server.js';
import { requestFraming, upstreamRequestHeaders, withoutHopByHop } from './proxy-headers.js';
import { ResponseParseError, ResponseParser, type ResponseHead } from './response-parser.js';
import { originForm, type Route } from './route-table.js';
import { beginGuarded } from './tap-guard.js';
import { messageHead, withHead } from './upstream-client.js';

/** What a tunnel needs of the gateway handler that made it. */
export interface TunnelContext {
  logger: Logger;
  tap: Tap | undefined;
  metrics: GatewayMetrics | undefined;
  clock: () => number;
  tls: tls.ConnectionOptions | undefined;
  onTapError(err: unknown): void;
  routeMetrics(prefix: string): { duration: { observe(value: number): void }; route: string } | undefined;
  /** Called once, when both connections are closed. */
  done(): void;
}

/**
 * Proxies one upgrade request; `socket` is the client's connection, taken over from the server, and `rest`
 * the bytes the client sent after the request head. `cut()` closes both connections (the gateway is closing).
 */
export function proxyUpgrade(context: TunnelContext, route: Route | undefined, req: UpgradeRequestHead, socket: net.Socket, rest: Buffer): { cut(): void } {
  const tunnel = new Tunnel(context, route, req, socket);
  tunnel.start(rest);
  return tunnel;
}

const enum Stage {
  /** Waiting for the upstream's response head. */
  Asking,
  /** The upstream declined: its response is being forwarded. */
  Declined,
  /** 101 sent on: bytes flow both ways. */
  Switched,
  Over,
}

class Tunnel {
  private readonly started: number;
  private readonly tap: TapExchange | undefined;
  private upstream: net.Socket | undefined;
  private upstreamConnection: ConnectionInfo | undefined;
  private readonly parser: ResponseParser;
  private stage = Stage.Asking;
  private status = 0;
  private timer: NodeJS.Timeout | undefined;
  private failure: string | undefined;
  private downstreamClosed = false;
  private upstreamClosed = false;
  private finished = false;
  /** Bytes the client sent after the request head, held for the upstream until it switches. */
  private early: Buffer | undefined;

  constructor(
    private readonly context: TunnelContext,
    private readonly route: Route | undefined,
    private readonly req: UpgradeRequestHead,
    private readonly socket: net.Socket,
  ) {
    this.started = context.clock();
    this.tap = context.tap ? beginGuarded(context.tap, new ReceivedRequestInfo(req, route?.destination ?? '', connectionOfCached), context.onTapError) : undefined;
    this.parser = new ResponseParser({
      onHead: (head) => this.onHead(head),
      onBody: (chunk) => this.onBody(chunk),
      onComplete: () => this.onComplete(),
    });
  }

  start(rest: Buffer): void {
    const { socket, route, req } = this;
    socket.on('error', noop); // followed by 'close'
    socket.once('close', () => this.onDownstreamClose());
    // Nothing of the request goes upstream after its head: a body is refused below, the rest is the new protocol.
    this.tap?.requestEnd();
    if (!route) {
      this.respondGenerated(generatedResponse('NO_ROUTE', `no route for ${req.url}`));
      return;
    }
    const { chunked, length } = requestFraming(req.rawHeaders);
    if (chunked || (length !== undefined && length !== '0')) {
      // A body would have to be forwarded before the switch; no client sends one with an upgrade in practice.
      this.respondGenerated(generatedResponse('UPGRADE_WITH_BODY', 'a request that asks to upgrade cannot carry a body through the gateway'));
      return;
    }
    const headers = upstreamRequestHeaders(req.rawHeaders, { remoteAddress: socket.remoteAddress, scheme: schemeOf(socket), fallbackHost: route.destination, dropExpect: true });
    headers.push('Connection', 'Upgrade', 'Upgrade', req.upgrade);
    const head = messageHead(`${req.method} ${originForm(req.url)} HTTP/1.1`, headers);

    const { host, port, protocol } = route.target;
    const upstream =
      protocol === 'https:'
        ? tls.connect({ ...this.context.tls, host, port, ...(net.isIP(host) ? {} : { servername: host }), ALPNProtocols: ['http/1.1'] })
        : net.connect({ host, port });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    socket.setNoDelay(true);
    upstream.once(protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      this.upstreamConnection = connectionOf(upstream);
    });
    upstream.on('error', (err) => this.onUpstreamError(err));
    upstream.once('close', (hadError) => this.onUpstreamClose(hadError));
    upstream.on('data', (chunk: Buffer) => this.onUpstreamData(chunk));
    this.parser.begin(req.method === 'HEAD', true);
    upstream.write(head, 'latin1');
    // What the client sent after the head, and its next bytes, wait (paused) until the upstream has switched,
    // or are not wanted: an upstream that declines would read them as its next request (smuggled past the
    // routes, X-Forwarded-For and the tap). Clients wait for the 101 before speaking the new protocol anyway.
    this.early = rest.length > 0 ? rest : undefined;
    socket.pause();
    this.arm();
  }

  /** Cuts both connections (the gateway is closing). */
  cut(): void {
    if (this.stage === Stage.Switched) this.failure ??= 'the gateway closed the upgraded connection';
    this.socket.destroy();
    this.upstream?.destroy();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const ms = this.route!.timeoutMs;
    this.timer = setTimeout(() => this.onTimeout(ms), ms);
    this.timer.unref();
  }

  private onTimeout(ms: number): void {
    this.timer = undefined;
    if (this.stage === Stage.Asking) {
      const { response, message } = upstreamTimeout(this.route!);
      this.respondGenerated(response, { kind: 'timeout', message });
    } else if (this.stage === Stage.Declined) {
      this.failure ??= `upstream idle for ${ms} ms mid-response`;
      this.cut();
    }
  }

  private onUpstreamData(chunk: Buffer): void {
    if (this.stage !== Stage.Asking && this.stage !== Stage.Declined) return;
    let used: number;
    try {
      used = this.parser.execute(chunk);
    } catch (err) {
      if (!(err instanceof ResponseParseError)) throw err;
      this.onUpstreamError(err);
      return;
    }
    // After a 101 the parser has stopped at the end of its head: what follows is the new protocol's.
    if ((this.stage as Stage) === Stage.Switched && used < chunk.length) this.socket.write(chunk.subarray(used));
  }

  private onHead(head: ResponseHead): void {
    if (head.status < 200 && head.status !== 101) return; // 100 Continue and the like: the final head follows
    this.status = head.status;
    if (head.status === 101) {
      this.switchProtocols(head);
      return;
    }
    // Declined: the response goes to the client as any response would, and the connection closes after it.
    this.stage = Stage.Declined;
    const headers = withoutHopByHop(head.raw);
    this.tap?.response(head.status, headers);
    this.socket.write(responseHead(head.status, head.reason, [...headers, 'Connection', 'close']), 'latin1');
    this.arm();
  }

  private switchProtocols(head: ResponseHead): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stage = Stage.Switched;
    const { socket, upstream } = this;
    // The 101 goes on as the upstream sent it: its Connection and Upgrade are what the switch is about.
    this.tap?.response(101, head.raw);
    this.finishExchange();
    socket.write(responseHead(101, head.reason, head.raw), 'latin1');
    upstream!.removeAllListeners('data');
    if (this.early) upstream!.write(this.early);
    this.early = undefined;
    socket.pipe(upstream!);
    upstream!.pipe(socket);
    socket.resume();
  }

  private onBody(chunk: Buffer): void {
    this.tap?.responseData(chunk);
    // A client slower than the upstream holds the upstream back rather than the gateway's memory.
    if (!this.socket.write(chunk) && this.upstream && !this.upstream.isPaused()) {
      this.upstream.pause();
      this.socket.once('drain', () => this.upstream?.resume());
    }
    this.arm();
  }

  private onComplete(): void {
    if (this.stage !== Stage.Declined) return; // a 101 completes the parser too: switchProtocols took it
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stage = Stage.Over;
    this.socket.end(() => this.socket.destroy());
    this.upstream?.destroy();
  }

  private onUpstreamError(err: Error): void {
    if (this.stage === Stage.Asking) {
      const cause = (err as NodeJS.ErrnoException).code ?? (err instanceof ResponseParseError ? 'INVALID_RESPONSE' : 'UPSTREAM_FAILED');
      const message = `upstream ${describeUpstream(this.route!)} ${err instanceof ResponseParseError ? `sent an invalid response: ${err.message}` : `failed before responding: ${messageOf(err)}`}`;
      this.respondGenerated(upstreamUnavailable(this.route!, message, cause), { kind: 'unavailable', message });
      return;
    }
    if (this.stage === Stage.Declined) {
      this.failure ??= `upstream ${describeUpstream(this.route!)} ${messageOf(err)}`;
      this.cut();
    }
  }

  /** Sends a response the gateway made up and closes the connection; `failure` says how the upstream failed, when it did. */
  private respondGenerated(generated: GeneratedResponse, failure?: { kind: 'unavailable' | 'timeout'; message: string }): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stage = Stage.Over;
    this.status = generated.status;
    if (failure) {
      this.failure = failure.message;
      this.context.metrics?.upstreamFailures.inc({ route: this.route?.prefix ?? '', kind: failure.kind });
      this.context.logger.warn('upstream failed', { destination: this.route?.destination, status: generated.status, why: failure.message });
    }
    this.tap?.response(generated.status, generated.headers);
    this.tap?.responseData(generated.body);
    this.upstream?.destroy();
    const socket = this.socket;
    socket.end(withHead(responseHead(generated.status, undefined, [...generated.headers, 'Connection', 'close']), generated.body), () => socket.destroy());
  }

  private onDownstreamClose(): void {
    this.downstreamClosed = true;
    if (this.stage === Stage.Asking || this.stage === Stage.Declined) this.failure ??= 'the downstream connection closed before the response was complete';
    this.upstream?.destroy();
    this.maybeDone();
  }

  private onUpstreamClose(hadError: boolean): void {
    this.upstreamClosed = true;
    if (this.stage === Stage.Asking) {
      this.onUpstreamError(new Error('closed the connection'));
    } else if (this.stage === Stage.Declined) {
      // A body that runs until the connection closes ends here; any other is cut short.
      try {
        this.parser.end();
      } catch (err) {
        this.failure ??= `upstream ${describeUpstream(this.route!)} ${messageOf(err)}`;
      }
      if (this.stage === Stage.Declined) this.cut();
    } else if (this.stage === Stage.Switched) {
      // The upstream's bytes are all piped on (its end ended the client's side); a reset cuts the client too.
      // Once they are written the client's connection goes, without waiting for a client that never closes.
      if (hadError) this.socket.destroy();
      else this.socket.end(() => this.socket.destroy());
    }
    this.maybeDone();
  }

  /** Once both connections are closed: the exchange is reported (unless the switch did) and the gateway told. */
  private maybeDone(): void {
    if (!this.downstreamClosed || (this.upstream && !this.upstreamClosed)) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.finishExchange();
    this.stage = Stage.Over;
    this.context.done();
  }

  /** Reports the exchange to the tap and the metrics, once: at the switch, or when it ended without one. */
  private finishExchange(): void {
    if (this.finished) return;
    this.finished = true;
    this.tap?.end({ error: this.failure, upstream: this.upstreamConnection });
    const metrics = this.context.routeMetrics(this.route?.prefix ?? '');
    if (metrics) {
      this.context.metrics!.countRequest(metrics.route, this.status > 0 ? String(this.status) : 'aborted');
      metrics.duration.observe((this.context.clock() - this.started) / 1000);
    }
  }
}

function noop(): void {}

/** A response head: status line, headers, blank line. */
function responseHead(status: number, reason: string | undefined, headers: readonly string[]): string {
  return messageHead(`HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || ''}`, headers);
}
