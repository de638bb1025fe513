// The loop server: ingest of taps, the capture store's query and replay API, the TapConfig registry and
// its watch stream, the live stream of new captures, the web UI (/ui/), health and metrics.
// `createLoopServer` builds the request handler from collaborators passed in; `listen` is separate so
// tests and embedders choose the address (port 0 works).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { LoopError, isLoopError } from '../../core/errors.js';
import { listen, parseHostPort, type Listening } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { createReplayPolicy } from '../replay/replay-policy.js';
import type { AuditLog } from './audit-log.js';
import { accessFor, createAccessControl, wwwAuthenticate, type AccessControl } from './auth.js';
import { createCaptureEventHub, observeCaptureInserts } from './capture-events.js';
import { registerCaptureRoutes } from './capture-routes.js';
import { registerCaptureWatchRoute } from './capture-watch-routes.js';
import { sendError, sendJson, sendText } from './http-io.js';
import { registerIngestRoutes } from './ingest-routes.js';
import { registerReplayRoutes } from './replay-routes.js';
import { Router } from './router.js';
import type { ServerContext } from './server-context.js';
import { createServerMetrics } from './server-metrics.js';
import type { ServerOptions } from './server-options.js';
import { registerTapConfigRoutes } from './tapconfig-routes.js';
import { createTapConfigRegistry } from './tapconfig-registry.js';
import { defaultUiRoot, registerUiRoutes } from './ui-routes.js';

export interface LoopServerDeps {
  store: CaptureStore;
  logger: Logger;
  options: ServerOptions;
  clock?: () => Date;
  /** Process-wide metrics (CPU, memory); off in tests that run several servers. */
  processMetrics?: boolean;
  /** Tokens and roles; default open (no token configured). */
  access?: AccessControl;
  /** Where replay attempts are recorded; default none. */
  auditLog?: AuditLog;
  /** The web UI's build (web/dist) served under /ui/. */
  uiRoot?: string;
  /**
   * How often each live capture stream reads the store for captures other loop servers stored; default
   * every 2 s on PostgreSQL (shared by replicas), off otherwise.
   */
  captureWatchPollMs?: number;
}

export interface LoopServer {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  context: ServerContext;
  /** Loads TapConfigs and starts background work (retention, registry polling). */
  start(): Promise<void>;
  /** Stops background work. Does not close the store (whoever opened it does). */
  stop(): void;
  /**
   * Resolves once every request being handled has sent its response head (a stream such as a watch counts
   * as answered once it started), or after `timeoutMs`; answers whether it was in time.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

export function createLoopServer(deps: LoopServerDeps): LoopServer {
  const clock = deps.clock ?? (() => new Date());
  const registry = createTapConfigRegistry({ store: deps.store, logger: deps.logger, pollIntervalMs: deps.options.tapConfigPollInterval });
  const metrics = createServerMetrics({
    countCaptures: () => deps.store.count(),
    countTapConfigs: () => registry.list().length,
    processMetrics: deps.processMetrics ?? false,
  });
  const captureEvents = createCaptureEventHub(deps.logger);
  const ctx: ServerContext = {
    store: observeCaptureInserts(deps.store, captureEvents, deps.logger),
    registry,
    logger: deps.logger,
    metrics,
    options: deps.options,
    clock,
    access: deps.access ?? createAccessControl([]),
    replayPolicy: createReplayPolicy(deps.options.replayAllow),
    audit: deps.auditLog,
  };

  const router = new Router();
  router.on('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  router.on('GET', '/readyz', async (_req, res) => {
    await deps.store.ping();
    sendJson(res, 200, { status: 'ready', store: deps.store.kind });
  });
  router.on('GET', '/metrics', async (_req, res) => {
    sendText(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
  });
  registerIngestRoutes(router, ctx);
  registerCaptureWatchRoute(router, ctx, captureEvents, deps.captureWatchPollMs ?? (deps.store.kind === 'postgres' ? 2000 : undefined));
  registerCaptureRoutes(router, ctx);
  registerReplayRoutes(router, ctx);
  registerTapConfigRoutes(router, ctx);
  registerUiRoutes(router, { root: deps.uiRoot ?? defaultUiRoot() });

  let retentionTimer: NodeJS.Timeout | undefined;
  const inFlight = new Set<ServerResponse>();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    let route = 'unmatched';
    res.on('finish', () => {
      metrics.httpRequests.inc({ method: req.method ?? '', route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://loop.local');
    } catch {
      sendError(res, new LoopError('BAD_REQUEST', `malformed request target ${JSON.stringify(req.url)}`), deps.logger);
      return;
    }
    Promise.resolve()
      .then(() => {
        // Before routing, so a caller without a token learns nothing about which paths exist.
        authorizeRequest(ctx, req, res, url);
        const { handler: h, params } = router.match(req.method ?? 'GET', url);
        route = routeLabel(url.pathname);
        return h(req, res, params, url);
      })
      .catch((err: unknown) => sendError(res, err, deps.logger));
  };

  return {
    handler,
    context: ctx,
    async start() {
      await registry.start();
      // One run at a time: a run slower than the interval (a first run deleting 300,000 captures takes
      // seconds) used to be joined by another every interval, each holding a pooled connection while it
      // waited on the first one's row locks, until ingest and the API could get none.
      let retentionRunning = false;
      const runRetention = (): void => {
        if (retentionRunning) return;
        retentionRunning = true;
        deps.store
          .applyRetention({
            ...(deps.options.retentionMaxCount > 0 ? { maxCount: deps.options.retentionMaxCount } : {}),
            ...(deps.options.retentionMaxAge > 0 ? { maxAgeMs: deps.options.retentionMaxAge } : {}),
            ...(deps.options.retentionMaxBytes > 0 ? { maxBytes: deps.options.retentionMaxBytes } : {}),
            now: clock(),
          })
          .then((deleted) => {
            if (deleted > 0) deps.logger.info('retention deleted captures', { deleted });
          })
          .catch((err: unknown) => deps.logger.warn('retention failed', { err }))
          .finally(() => {
            retentionRunning = false;
          });
      };
      runRetention();
      retentionTimer = setInterval(runRetention, deps.options.retentionInterval);
      retentionTimer.unref();
    },
    stop() {
      registry.stop();
      if (retentionTimer) clearInterval(retentionTimer);
    },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while ([...inFlight].some((r) => !r.headersSent)) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      }
      return true;
    },
  };
}

const DRAIN_POLL_MS = 25;
/** How long `loop serve` lets requests being handled finish on SIGTERM before it cuts them. */
export const LOOP_SERVER_DRAIN_TIMEOUT_MS = 10_000;

function authorizeRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const method = req.method ?? 'GET';
  try {
    ctx.access.authorize(req, accessFor(method, url.pathname), `${method} ${url.pathname}`);
  } catch (err) {
    if (isLoopError(err, 'UNAUTHORIZED')) res.setHeader('www-authenticate', wwwAuthenticate(err));
    // Never the token: the caller's address and what was refused.
    if (isLoopError(err)) ctx.logger.info('request refused', { code: err.code, method, path: url.pathname, remote: req.socket.remoteAddress });
    throw err;
  }
}

/** Collapses ids out of paths so metric labels stay few. */
function routeLabel(path: string): string {
  return path.replace(/^\/ui\/.*/, '/ui/*').replace(/\/\d+(?=\/|$)/g, '/:id').replace(/^(\/v1\/tapconfigs)\/[^/]+\/[^/]+/, '$1/:namespace/:name');
}

/**
 * Listens on `address` (`loop serve --listen`, which bind errors name); with `tls` (PEM certificate chain and
 * key) over HTTPS, and the URL says https. `close` stops accepting, lets the requests being handled answer
 * (up to `drainTimeoutMs`), then cuts every connection left (watch streams, idle keep-alive): cut at once,
 * a batch whose insert was about to commit was stored and its gateway got ECONNRESET, and sent it again.
 */
export async function listenLoopServer(
  server: LoopServer,
  address: string,
  tls?: { cert: Buffer; key: Buffer },
  options: { drainTimeoutMs?: number; logger?: Logger } = {},
): Promise<Listening> {
  const parsed = parseHostPort(address);
  if (!parsed) throw new LoopError('CONFIG_INVALID', `listen address "${address}" is not host:port`);
  const httpServer = tls
    ? https.createServer({ keepAliveTimeout: 65_000, cert: tls.cert, key: tls.key }, server.handler)
    : http.createServer({ keepAliveTimeout: 65_000 }, server.handler);
  const listening = await listen(httpServer, parsed, '--listen');
  return {
    ...listening,
    url: tls ? listening.url.replace(/^http:/, 'https:') : listening.url,
    async close() {
      httpServer.close();
      httpServer.closeIdleConnections();
      if (!(await server.drain(options.drainTimeoutMs ?? LOOP_SERVER_DRAIN_TIMEOUT_MS))) {
        options.logger?.warn('drain timeout: cutting requests still being handled');
      }
      await listening.close();
    },
  };
}
