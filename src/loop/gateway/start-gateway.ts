// Everything `loop gateway` does, minus argument parsing: build the routes and the proxy, create the tap,
// listen on the main and admin addresses, and hand back one `close` that drains and undoes it all in order.
import http from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { LoopError } from '../../core/errors.js';
import { checkBindable, listen, parseHostPort, type ClosableServer, type Listening } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import type { Tap } from '../tap/tap-types.js';
import { createAdminHandler } from './admin-server.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import type { GatewayOptions } from './gateway-options.js';
import { createGatewayTap } from './gateway-tap.js';
import { createGatewayHandler, createGatewayServer, type GatewayHandler } from './reverse-proxy.js';
import type { RouteTable } from './route-table.js';

export interface RunningGateway {
  /** `http://host:port` of the proxy, with the port actually bound. */
  url: string;
  /** `http://host:port` of the admin endpoints; undefined when `admin` is off. */
  adminUrl: string | undefined;
  routes: RouteTable;
  registry: Registry;
  /**
   * Stops accepting, lets in-flight requests finish (up to `drainTimeout`, then cuts them), closes the tap
   * (shipping what it queued, bounded by the same timeout) and the admin server.
   */
  close(): Promise<void>;
}

export interface StartGatewayExtra {
  /** Use this tap instead of the one `tap=on` creates (tests; embedding). The gateway owns it: `close()` closes it. */
  tap?: Tap;
  /** Collect Node process metrics into the registry (default true). */
  processMetrics?: boolean;
}

export async function startGateway(options: GatewayOptions, logger: Logger, extra: StartGatewayExtra = {}): Promise<RunningGateway> {
  if (options.route.length === 0) {
    throw new LoopError('CONFIG_INVALID', 'the gateway has no routes', { hint: 'give at least one --route PREFIX=DESTINATION, e.g. --route /=web:9090' });
  }
  const address = parseHostPort(options.listen);
  const adminAddress = options.admin === 'off' ? undefined : parseHostPort(options.admin);
  if (!address) throw new LoopError('CONFIG_INVALID', `listen address "${options.listen}" is not host:port`);
  if (options.admin !== 'off' && !adminAddress) throw new LoopError('CONFIG_INVALID', `admin address "${options.admin}" is not host:port or off`);

  // The wait for TapConfigs below can take seconds: an address that cannot be bound is said before it.
  if (options.tap === 'on' && options.tapStartupWait > 0) {
    await checkBindable(address, '--listen');
    if (adminAddress) await checkBindable(adminAddress, '--admin');
  }

  const registry = new Registry();
  if (extra.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'loop_gateway_' });
  const metrics = createGatewayMetrics(registry);
  const gatewayTap = options.tap === 'on' && !extra.tap ? createGatewayTap(options, registry, logger) : undefined;
  const tap = options.tap === 'on' ? (extra.tap ?? gatewayTap?.tap) : undefined;
  if (gatewayTap && options.tapStartupWait > 0 && !(await gatewayTap.ready(options.tapStartupWait))) {
    logger.warn('no TapConfigs from the loop server yet; serving anyway, captures start when it answers', { loopServer: options.loopServer });
  }
  let draining = false;
  let main: Listening | undefined;
  let admin: Listening | undefined;
  let gateway: GatewayHandler | undefined;
  let server: ClosableServer | undefined;
  try {
    gateway = createGatewayHandler({
      routes: options.route,
      aliases: options.alias,
      defaultTimeoutMs: options.timeout,
      logger: logger.child({ component: 'gateway' }),
      metrics,
      ...(tap ? { tap } : {}),
    });
    server = createGatewayServer(gateway, options.server);
    main = await listen(server, address, '--listen');
    if (adminAddress) admin = await listen(http.createServer(createAdminHandler({ registry, routes: gateway.routes, ready: () => !draining, logger })), adminAddress, '--admin');
  } catch (err) {
    await main?.close();
    gateway?.close();
    await tap?.close(0);
    throw err;
  }
  logger.info('gateway listening', { url: main.url, admin: admin?.url, routes: gateway.routes.routes.map((r) => `${r.prefix}=${r.destination}`), tap: options.tap });

  return {
    url: main.url,
    adminUrl: admin?.url,
    routes: gateway.routes,
    registry,
    async close() {
      draining = true;
      const drained = gateway.drain();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([drained.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.drainTimeout)))]);
      clearTimeout(timer);
      if (late) logger.warn('drain timeout: cutting in-flight requests', { inFlight: gateway.inFlight() });
      server.closeAllConnections();
      // Before waiting for the server: upgraded connections are the gateway's, and node:http waits for them.
      gateway.close();
      await stopped;
      await tap?.close(options.drainTimeout);
      await admin?.close();
    },
  };
}

/** The readiness line scripts wait for: `loop gateway listening on http://127.0.0.1:8081 (routes: / → web:9090)`. */
export function listeningLine(running: Pick<RunningGateway, 'url' | 'routes'>): string {
  const routes = running.routes.routes.map((r) => `${r.prefix} → ${r.destination}`).join(', ');
  return `loop gateway listening on ${running.url} (routes: ${routes || 'none'})`;
}
