// The gateway's admin endpoints, on their own address so they are never routed or tapped:
// /metrics (Prometheus, the gateway's registry: gateway and tap metrics), /healthz (the process is up),
// /readyz (accepting traffic: 503 while draining on shutdown), /routes (the route table in match order).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { RouteTable } from './route-table.js';

export interface AdminHandlerOptions {
  registry: Registry;
  routes: RouteTable;
  /** False while the gateway is draining. */
  ready: () => boolean;
  logger: Logger;
}

export function createAdminHandler(options: AdminHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { registry, routes, ready, logger } = options;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed; use GET` } }, { allow: 'GET, HEAD' });
    }
    switch (path) {
      case '/healthz':
        return json(res, 200, { status: 'ok' });
      case '/readyz':
        return ready() ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'draining' });
      case '/routes':
        return json(res, 200, {
          routes: routes.routes.map((r) => ({ prefix: r.prefix, destination: r.destination, target: `${r.target.protocol}//${r.target.target}`, timeoutMs: r.timeoutMs })),
        });
      case '/metrics':
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) });
            res.end(text);
          },
          (err: unknown) => {
            logger.error('collecting metrics failed', { err: messageOf(err) });
            json(res, 500, { error: { code: 'INTERNAL', message: 'collecting metrics failed' } });
          },
        );
        return;
      default:
        return json(res, 404, { error: { code: 'NOT_FOUND', message: `no admin endpoint ${path}; try /metrics, /healthz, /readyz or /routes` } });
    }
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
