// Responses the gateway makes up itself (no route, a transfer coding it cannot forward, upstream down,
// upstream too slow). They carry the project's error body, `{ "error": { "code", "message" } }`, and are
// tapped like upstream responses.

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
