// Responses the gateway makes up itself (no route, a transfer coding it cannot forward, upstream down,
// upstream too slow). They carry the project's error body, `{ "error": { "code", "message" } }`, and are
// tapped like upstream responses.
import type { Route } from './route-table.js';

/** Codes of gateway-generated responses, with their statuses. */
export const GATEWAY_ERRORS = {
  NO_ROUTE: 404,
  TRANSFER_CODING_UNSUPPORTED: 501,
  UPGRADE_WITH_BODY: 501,
  UPSTREAM_UNAVAILABLE: 502,
  UPSTREAM_TIMEOUT: 504,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export interface GeneratedResponse {
  status: number;
  /** Raw (flat) headers. */
  headers: string[];
  body: Buffer;
}

export function generatedResponse(code: GatewayErrorCode, message: string, details?: Record<string, unknown>): GeneratedResponse {
  const body = Buffer.from(JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } }));
  return {
    status: GATEWAY_ERRORS[code],
    headers: ['content-type', 'application/json; charset=utf-8', 'content-length', String(body.length)],
    body,
  };
}

/** The route's destination as messages name it, with the address dialled when an alias resolved it. */
export function describeUpstream(route: Route): string {
  return route.target.target === route.destination ? route.destination : `${route.destination} (${route.target.target})`;
}

/** The 504 for an upstream that sent no response head within the route's timeout, and its message. */
export function upstreamTimeout(route: Route): { response: GeneratedResponse; message: string } {
  const message = `upstream ${describeUpstream(route)} sent no response within ${route.timeoutMs} ms`;
  return { response: generatedResponse('UPSTREAM_TIMEOUT', message, { destination: route.destination, timeoutMs: route.timeoutMs }), message };
}

/** The 502 for an upstream that failed before responding; `cause` is the system's code, or ours. */
export function upstreamUnavailable(route: Route, message: string, cause: string): GeneratedResponse {
  return generatedResponse('UPSTREAM_UNAVAILABLE', message, { destination: route.destination, cause });
}
