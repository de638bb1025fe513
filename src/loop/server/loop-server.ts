// The loop server: ingest of taps, the capture store's query and replay API, the TapConfig registry and
// its watch stream, health and metrics. `createLoopServer` builds the request handler from collaborators
// passed in; `listen` is separate so tests and embedders choose the address (port 0 works).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopError } from '../../core/errors.js';
import { listen, parseHostPort, type Listening } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { registerCaptureRoutes } from './capture-routes.js';
import { sendError, sendJson, sendText } from './http-io.js';
import { registerIngestRoutes } from './ingest-routes.js';
import { registerReplayRoutes } from './replay-routes.js';
import { Router } from './router.js';
import type { ServerContext } from './server-context.js';
import { createServerMetrics } from './server-metrics.js';
import type { ServerOptions } from './server-options.js';
import { registerTapConfigRoutes } from './tapconfig-routes.js';
import { createTapConfigRegistry } from './tapconfig-registry.js';

export interface LoopServerDeps {
  store: CaptureStore;
  logger: Logger;
  options: ServerOptions;
  clock?: () => Date;
  /** Process-wide metrics (CPU, memory); off in tests that run several servers. */
  processMetrics?: boolean;
}

export interface LoopServer {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  context: ServerContext;
  /** Loads TapConfigs and starts background work (retention, registry polling). */
  start(): Promise<void>;
  /** Stops background work. Does not close the store (whoever opened it does). */
  stop(): void;
}

export function createLoopServer(deps: LoopServerDeps): LoopServer {
  const clock = deps.clock ?? (() => new Date());
  const registry = createTapConfigRegistry({ store: deps.store, logger: deps.logger, pollIntervalMs: deps.options.tapConfigPollInterval });
  const metrics = createServerMetrics({
    countCaptures: () => deps.store.count(),
    countTapConfigs: () => registry.list().length,
    processMetrics: deps.processMetrics ?? false,
  });
  const ctx: ServerContext = { store: deps.store, registry, logger: deps.logger, metrics, options: deps.options, clock };

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
  registerCaptureRoutes(router, ctx);
  registerReplayRoutes(router, ctx);
  registerTapConfigRoutes(router, ctx);

  let retentionTimer: NodeJS.Timeout | undefined;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
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
      const runRetention = (): void => {
        deps.store
          .applyRetention({
            ...(deps.options.retentionMaxCount > 0 ? { maxCount: deps.options.retentionMaxCount } : {}),
            ...(deps.options.retentionMaxAge > 0 ? { maxAgeMs: deps.options.retentionMaxAge } : {}),
            now: clock(),
          })
          .then((deleted) => {
            if (deleted > 0) deps.logger.info('retention deleted captures', { deleted });
          })
          .catch((err: unknown) => deps.logger.warn('retention failed', { err }));
      };
      runRetention();
      retentionTimer = setInterval(runRetention, deps.options.retentionInterval);
      retentionTimer.unref();
    },
    stop() {
      registry.stop();
      if (retentionTimer) clearInterval(retentionTimer);
    },
  };
}

/** Collapses ids out of paths so metric labels stay few. */
function routeLabel(path: string): string {
  return path.replace(/\/\d+(?=\/|$)/g, '/:id').replace(/^(\/v1\/tapconfigs)\/[^/]+\/[^/]+/, '$1/:namespace/:name');
}

export async function listenLoopServer(server: LoopServer, address: string): Promise<Listening> {
  const parsed = parseHostPort(address);
  if (!parsed) throw new LoopError('CONFIG_INVALID', `listen address "${address}" is not host:port`);
  const httpServer = http.createServer({ keepAliveTimeout: 65_000 }, server.handler);
  return listen(httpServer, parsed);
}
