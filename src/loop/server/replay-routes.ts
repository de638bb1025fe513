// Server-side replay: the loop server sends a stored request to a destination (it is where cluster names
// such as web.default:9090 resolve), stores the outcome with a diff against the original response,
// and answers with that record.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageToJson } from '../../capture/capture-json.js';
import type { HeaderList } from '../../capture/capture.js';
import { LoopError, isLoopError } from '../../core/errors.js';
import { parseDuration } from '../../core/options-schema.js';
import type { ReplayRecord } from '../../store/capture-store.js';
import { resolveDestination } from '../replay/destination.js';
import { planReplay, sendReplay } from '../replay/replayer.js';
import { diffResponses } from '../replay/response-diff.js';
import { parseJsonBody, readBody, sendJson } from './http-io.js';
import { mustGet } from './capture-routes.js';
import { parseCaptureId } from './query-params.js';
import type { Router } from './router.js';
import type { ServerContext } from './server-context.js';

export function registerReplayRoutes(router: Router, ctx: ServerContext): void {
  router.on('POST', '/v1/captures/:id/replays', (req, res, params) => replay(ctx, req, res, params.id));
  router.on('GET', '/v1/captures/:id/replays', async (_req, res, params) => {
    const capture = await mustGet(ctx, params.id);
    sendJson(res, 200, { items: (await ctx.store.listReplays(capture.id)).map(replayToJson) });
  });
  router.on('GET', '/v1/destinations', (_req, res) => {
    sendJson(res, 200, { aliases: ctx.options.alias });
  });
}

interface ReplayRequestBody {
  destination: string;
  headers: HeaderList;
  timeoutMs: number;
}

function parseReplayBody(raw: unknown, defaultTimeout: number): ReplayRequestBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LoopError('BAD_REQUEST', 'replay: expected a JSON object {"destination": "host:port"}');
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!['destination', 'headers', 'timeout'].includes(key)) throw new LoopError('BAD_REQUEST', `replay: unknown field "${key}"; expected destination, headers, timeout`);
  }
  if (typeof body.destination !== 'string' || body.destination.trim() === '') throw new LoopError('BAD_REQUEST', 'replay: destination: expected a non-empty string such as "web.default:9090"');
  const headers: HeaderList = [];
  if (body.headers !== undefined) {
    if (typeof body.headers !== 'object' || body.headers === null || Array.isArray(body.headers)) throw new LoopError('BAD_REQUEST', 'replay: headers: expected an object of header name to value');
    for (const [k, v] of Object.entries(body.headers)) {
      if (typeof v !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw new LoopError('BAD_REQUEST', `replay: headers.${k}: expected a valid header name with a string value`);
      headers.push([k, v]);
    }
  }
  let timeoutMs = defaultTimeout;
  if (body.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(body.timeout);
    } catch {
      throw new LoopError('BAD_REQUEST', `replay: timeout: ${JSON.stringify(body.timeout)} is not a duration such as 5s`);
    }
  }
  return { destination: body.destination, headers, timeoutMs };
}

async function replay(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, rawId: string | undefined): Promise<void> {
  parseCaptureId(rawId);
  const input = parseReplayBody(parseJsonBody(await readBody(req, 1024 * 1024), 'replay'), ctx.options.replayTimeout);
  const capture = await mustGet(ctx, rawId);
  const dest = resolveDestination(input.destination, ctx.options.alias);
  const plan = planReplay(capture, dest, { overrideHeaders: input.headers });
  const createdAt = ctx.clock().toISOString();
  try {
    const outcome = await sendReplay(plan, dest, { timeoutMs: input.timeoutMs, maxBodyBytes: ctx.options.maxBodyBytes });
    const diff = diffResponses(capture.response, outcome.response);
    const record = await ctx.store.insertReplay({
      captureId: capture.id,
      createdAt,
      destination: dest.requested,
      target: dest.target,
      durationMs: outcome.durationMs,
      response: outcome.response,
      diff: { ...diff, warnings: outcome.warnings },
    });
    ctx.metrics.replays.inc({ outcome: diff.identical ? 'identical' : 'different' });
    ctx.logger.info('replayed', { captureId: capture.id, destination: dest.requested, target: dest.target, status: outcome.response.headers[0]?.[1] });
    sendJson(res, 201, replayToJson(record));
  } catch (err) {
    if (!isLoopError(err, 'REPLAY_FAILED')) throw err;
    const record = await ctx.store.insertReplay({
      captureId: capture.id,
      createdAt,
      destination: dest.requested,
      target: dest.target,
      durationMs: Date.parse(ctx.clock().toISOString()) - Date.parse(createdAt),
      error: { code: err.code, message: err.message },
    });
    ctx.metrics.replays.inc({ outcome: 'failed' });
    sendJson(res, 502, { error: err.toJSON(), replay: replayToJson(record) });
  }
}

export function replayToJson(record: ReplayRecord): Record<string, unknown> {
  return { ...record, ...(record.response ? { response: messageToJson(record.response) } : {}) };
}
