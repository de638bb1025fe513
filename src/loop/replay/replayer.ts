// Sends a captured request again, to any destination, and records what came back.
// The request is rebuilt from the capture: method and path from the pseudo-headers, the original headers
// in order minus hop-by-hop ones, and the body. Redacted values are not sent (they would be a lie).
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { appendRawPairs, headerValue, isPseudoHeader, rawHeaderPairs, type Capture, type CapturedMessage, type HeaderList } from '../../capture/capture.js';
import { REDACTED } from '../../capture/redact.js';
import { percentEncodePath } from '../../capture/request-path.js';
import { LoopError } from '../../core/errors.js';
import { HTTP_TOKEN, SENDABLE_HEADER_VALUE } from '../../core/http-syntax.js';
import type { ResolvedDestination } from './destination.js';

/** Connection-level headers that must not be forwarded (RFC 9110 §7.6.1), and those recomputed per send. */
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/**
 * The body's framing, set from the captured body as sent: an override would contradict it (a Content-Length
 * the body does not have leaves the destination waiting for bytes that never come).
 */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

export interface ReplayRequestOptions {
  /** Headers to set (replacing any of the same name) on the replayed request. */
  overrideHeaders?: HeaderList;
  timeoutMs: number;
  /** Response body bytes kept. */
  maxBodyBytes: number;
  /**
   * The IP address to dial instead of resolving `dest.host` again: the one the replay policy checked, so a
   * name cannot resolve to an allowed address for the check and a denied one for the connection.
   */
  address?: string;
}

export interface ReplayOutcome {
  response: CapturedMessage;
  durationMs: number;
  /** Things the user should know about how the request differs from the original. */
  warnings: string[];
}

export interface ReplayPlan {
  method: string;
  path: string;
  headers: HeaderList;
  body: Buffer | undefined;
  warnings: string[];
}

/** Builds the request to send; refuses captures that cannot be replayed faithfully. */
export function planReplay(capture: Capture, dest: ResolvedDestination, options: Pick<ReplayRequestOptions, 'overrideHeaders'>): ReplayPlan {
  const method = headerValue(capture.request.headers, ':method');
  const path = headerValue(capture.request.headers, ':path') ?? '/';
  if (!method) throw new LoopError('REPLAY_NOT_REPLAYABLE', `capture ${capture.id} has no :method header, so it cannot be replayed`);
  if (!HTTP_TOKEN.test(method)) throw new LoopError('REPLAY_NOT_REPLAYABLE', `capture ${capture.id}'s method ${JSON.stringify(method)} is not an HTTP method (a token), so it cannot be sent`);
  if (capture.request.body?.truncated) {
    throw new LoopError('REPLAY_NOT_REPLAYABLE', `capture ${capture.id}'s request body was truncated at ${capture.request.body.bytes.length} bytes when captured`, {
      hint: 'raise the tap\'s body cap (spec.maxBodyBytes or --max-body-bytes) and capture the request again',
    });
  }
  const overrides = new Map((options.overrideHeaders ?? []).map(([k, v]) => [k.toLowerCase(), v]));
  for (const name of overrides.keys()) {
    if (FRAMING.has(name)) throw new LoopError('BAD_REQUEST', `replay: headers.${name} cannot be set: the replay frames the captured body itself`);
  }
  const warnings: string[] = [];
  // An overridden Host replaces the one derived from the destination: a request has exactly one.
  const headers: HeaderList = [['host', overrides.get('host') ?? dest.hostHeader]];
  overrides.delete('host');
  for (const [name, value] of capture.request.headers) {
    const lower = name.toLowerCase();
    if (isPseudoHeader(name) || NOT_REPLAYED.has(lower) || overrides.has(lower)) continue;
    if (value === REDACTED) {
      warnings.push(`header ${lower} was redacted at capture and is not sent`);
      continue;
    }
    if (!HTTP_TOKEN.test(name) || !SENDABLE_HEADER_VALUE.test(value)) {
      warnings.push(`header ${JSON.stringify(name)} holds characters an HTTP/1.1 header cannot carry and is not sent`);
      continue;
    }
    headers.push([name, value]);
  }
  for (const [name, value] of overrides) headers.push([name, value]);
  // A protocol switch (a WebSocket handshake) is asked for again: without its hop-by-hop Connection and
  // Upgrade the destination would answer a plain GET, and the diff would show that rather than the switch.
  const upgrade = upgradeAskedFor(capture.request.headers);
  if (upgrade !== undefined && !overrides.has('connection') && !overrides.has('upgrade')) {
    headers.push(['connection', 'Upgrade'], ['upgrade', upgrade]);
    warnings.push(`the request asks to switch protocols (Upgrade: ${upgrade}): the replay repeats the handshake and closes the connection after the answer`);
  }
  headers.push(['x-loop-replay-of', String(capture.id)]);
  const body = capture.request.body && capture.request.body.bytes.length > 0 ? capture.request.body.bytes : undefined;
  const sentPath = percentEncodePath(path.startsWith('/') ? path : `/${path}`);
  if (sentPath !== path && sentPath !== `/${path}`) warnings.push('the path holds characters a request line cannot carry (spaces, controls, non-ASCII): they are sent percent-encoded (UTF-8)');
  return { method, path: sentPath, headers, body, warnings };
}

/** The Upgrade header's value when a Connection header names `upgrade`: the request asked to switch protocols. */
function upgradeAskedFor(headers: HeaderList): string | undefined {
  let asked = false;
  const values: string[] = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === 'connection' && value.split(',').some((t) => t.trim().toLowerCase() === 'upgrade')) asked = true;
    else if (lower === 'upgrade') values.push(value);
  }
  return asked && values.length > 0 ? values.join(', ') : undefined;
}

/** Sends the plan and collects the response (body kept up to the cap). Network failures become REPLAY_FAILED. */
export function sendReplay(plan: ReplayPlan, dest: ResolvedDestination, options: ReplayRequestOptions, now: () => number = Date.now): Promise<ReplayOutcome> {
  const started = now();
  const rawHeaders: string[] = [];
  for (const [k, v] of plan.headers) rawHeaders.push(k, v);
  if (plan.body) rawHeaders.push('content-length', String(plan.body.length));
  const transport = dest.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request({
      host: options.address ?? dest.host,
      // TLS still verifies the certificate for the name asked for, not the address dialled.
      ...(dest.protocol === 'https:' && options.address && isIP(dest.host) === 0 ? { servername: dest.host } : {}),
      port: dest.port,
      method: plan.method,
      path: plan.path,
      headers: rawHeaders,
      agent: false,
      setHost: false,
    });
    const timer = setTimeout(() => {
      req.destroy(new LoopError('REPLAY_FAILED', `${dest.target} did not answer within ${options.timeoutMs} ms`, {
        hint: 'a service stopped in a debugger answers only once resumed: give the replay longer (loopctl replay --timeout 10m, up to 24h; the server waits --replay-timeout unless told)',
      }));
    }, options.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof LoopError) reject(err);
      else if (code === 'ECONNREFUSED') reject(new LoopError('REPLAY_FAILED', `connection refused by ${dest.target}`, { cause: err, hint: `is the service listening on ${dest.target}?` }));
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reject(new LoopError('REPLAY_FAILED', `cannot resolve ${dest.host}`, { cause: err, hint: 'add a destination alias (--alias name=host:port) or use an address' }));
      else reject(new LoopError('REPLAY_FAILED', `replay to ${dest.target} failed: ${err.message}`, { cause: err }));
    });
    // The destination switched protocols (a replayed WebSocket handshake): its 101 is the answer, and the
    // connection, now speaking another protocol, is closed.
    req.on('upgrade', (res, socket) => {
      clearTimeout(timer);
      socket.destroy();
      const headers = appendRawPairs([[':status', String(res.statusCode ?? 0)]], res.rawHeaders);
      resolve({ response: { headers, trailers: [] }, durationMs: now() - started, warnings: plan.warnings });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      res.on('data', (chunk: Buffer) => {
        const room = options.maxBodyBytes - kept;
        if (room <= 0) {
          truncated = true;
          return;
        }
        if (chunk.length > room) truncated = true;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(part);
        kept += part.length;
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(new LoopError('REPLAY_FAILED', `reading the response from ${dest.target} failed: ${err.message}`, { cause: err }));
      });
      res.on('end', () => {
        clearTimeout(timer);
        const headers = appendRawPairs([[':status', String(res.statusCode ?? 0)]], res.rawHeaders);
        const trailers = rawHeaderPairs(res.rawTrailers);
        const response: CapturedMessage = { headers, trailers };
        if (kept > 0 || truncated) response.body = { bytes: Buffer.concat(chunks, kept), truncated };
        resolve({ response, durationMs: now() - started, warnings: plan.warnings });
      });
    });
    req.end(plan.body);
  });
}
