// The gateway's routes: longest path prefix wins, whole segments only (`/api` takes `/api` and `/api/x`, never
// `/apix`). Destinations are resolved through the aliases once, when the table is built.
import { LoopError, messageOf } from '../../core/errors.js';
import { resolveDestination, type ResolvedDestination } from '../replay/destination.js';
import { normalizePrefix, type RouteSpec } from './gateway-options.js';

export interface Route {
  prefix: string;
  /** The destination name as configured; what captures show as their destination. */
  destination: string;
  /** Where connections go. */
  target: ResolvedDestination;
  timeoutMs: number;
}

export interface RouteTable {
  /** Routes, longest prefix first. */
  readonly routes: readonly Route[];
  /** The route for a request target (`/api/x?y=1`, or absolute-form `http://host/api/x`), or undefined. */
  match(requestTarget: string): Route | undefined;
}

export function createRouteTable(specs: readonly RouteSpec[], aliases: Record<string, string>, defaultTimeoutMs: number): RouteTable {
  const routes = specs
    .map((spec): Route => {
      let target: ResolvedDestination;
      try {
        target = resolveDestination(spec.destination, aliases);
      } catch (err) {
        throw new LoopError('CONFIG_INVALID', `route ${spec.prefix}: destination "${spec.destination}" is not usable: ${messageOf(err).replace(/^.*?: /, '')}`, {
          cause: err,
          hint: 'give host:port (web:9090) or http://host:port, and aliases as name=host:port or host=address',
        });
      }
      return { prefix: normalizePrefix(spec.prefix), destination: spec.destination, target, timeoutMs: spec.timeoutMs ?? defaultTimeoutMs };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return {
    routes,
    match(requestTarget) {
      const path = pathOf(requestTarget);
      for (const route of routes) {
        if (prefixMatches(route.prefix, path)) return route;
      }
      return undefined;
    },
  };
}

export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f /* / */);
}

/**
 * The path of a request target, without query or fragment. Not percent-decoded and not dot-normalised: the
 * upstream receives the target exactly as sent, so routing looks at exactly what the upstream will see.
 */
export function pathOf(requestTarget: string): string {
  let path = requestTarget;
  if (!path.startsWith('/')) {
    // absolute-form (RFC 9112 §3.2.2): scheme://authority/path
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(path);
    path = m ? m[1] || '/' : path;
  }
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

/** Origin-form of a request target, as sent upstream: absolute-form (`http://host/x?y`) becomes `/x?y`. */
export function originForm(target: string): string {
  if (target.startsWith('/') || target === '*') return target;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(target);
  if (!m) return target;
  const rest = m[1] ?? '';
  return rest.startsWith('/') ? rest : `/${rest}`;
}
