// A small method + path router: patterns like `/v1/captures/:id`. Unknown paths are 404, a known path
// with the wrong method is 405 with an Allow header, as HTTP asks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopError } from '../../core/errors.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Finds the handler; throws NOT_FOUND, or answers 405 via the returned handler. */
  match(method: string, url: URL): { handler: RouteHandler; params: Record<string, string> } {
    const parts = url.pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params };
      allowed.push(route.method);
    }
    if (allowed.length > 0) {
      return {
        params: {},
        handler: (_req, res) => {
          res.writeHead(405, { allow: allowed.join(', '), 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}` } }));
        },
      };
    }
    throw new LoopError('NOT_FOUND', `no such endpoint: ${method} ${url.pathname}`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
    if (p.startsWith(':')) params[p.slice(1)] = part;
    else if (p !== part) return undefined;
  }
  return params;
}
