// Server-side replay: the loop server sends a stored request to a destination (it is where cluster names
// such as web.default:9090 resolve), stores the outcome with a diff against the original response,
// and answers with that record. Before anything is sent the destination must pass the replay policy
// (--replay-allow) and a state-changing method needs allowUnsafe; every attempt goes to the audit log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageToJson } from '../../capture/capture-json.js';
import { headerValue, type Capture, type HeaderList } from '../../capture/capture.js';
import { LoopError, isLoopError, messageOf } from '../../core/errors.js';
import { HTTP_TOKEN, SENDABLE_HEADER_VALUE } from '../../core/http-syntax.js';
import { expectedDuration, parseDuration } from '../../core/options-schema.js';
import type { ReplayRecord } from '../../store/capture-store.js';
import { resolveDestination, type ResolvedDestination } from '../replay/destination.js';
import { checkReplayMethod } from '../replay/replay-policy.js';
import { planReplay, sendReplay, type ReplayPlan } from '../replay/replayer.js';
import { diffResponses } from '../replay/response-diff.js';
import type { ReplayAuditEntry } from './audit-log.js';
import { parseJsonBody, readBody, sendJson } from './http-io.js';
import { captureRedactor } from './ingest-routes.js';
import { mustGet } from './capture-routes.js';
import { parseCaptureId } from './query-params.js';
import type { Router } from './router.js';
import type { ServerContext } from './server-context.js';
import { TIMER_BOUNDS } from './server-options.js';

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
  allowUnsafe: boolean;
}

const REPLAY_FIELDS = ['destination', 'headers', 'timeout', 'allowUnsafe'];

/** A replay's own timeout has the bounds of --replay-timeout (99999h failed at once, 0s before anything was sent). */
const REPLAY_TIMEOUT = TIMER_BOUNDS.replayTimeout;

function parseReplayBody(raw: unknown, defaultTimeout: number): ReplayRequestBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LoopError('BAD_REQUEST', 'replay: expected a JSON object {"destination": "host:port"}');
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!REPLAY_FIELDS.includes(key)) throw new LoopError('BAD_REQUEST', `replay: unknown field "${key}"; expected ${REPLAY_FIELDS.join(', ')}`);
  }
  if (typeof body.destination !== 'string' || body.destination.trim() === '') throw new LoopError('BAD_REQUEST', 'replay: destination: expected a non-empty string such as "web.default:9090"');
  if (body.allowUnsafe !== undefined && typeof body.allowUnsafe !== 'boolean') throw new LoopError('BAD_REQUEST', `replay: allowUnsafe: expected true or false, got ${JSON.stringify(body.allowUnsafe)}`);
  const headers: HeaderList = [];
  if (body.headers !== undefined) {
    if (typeof body.headers !== 'object' || body.headers === null || Array.isArray(body.headers)) throw new LoopError('BAD_REQUEST', 'replay: headers: expected an object of header name to value');
    for (const [k, v] of Object.entries(body.headers)) {
      if (typeof v !== 'string' || !HTTP_TOKEN.test(k)) throw new LoopError('BAD_REQUEST', `replay: headers.${k}: expected a valid header name with a string value`);
      if (!SENDABLE_HEADER_VALUE.test(v)) throw new LoopError('BAD_REQUEST', `replay: headers.${k}: ${JSON.stringify(v)} holds a character an HTTP/1.1 header cannot carry; expected printable ASCII or Latin-1 text`);
      headers.push([k, v]);
    }
  }
  let timeoutMs = defaultTimeout;
  if (body.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(body.timeout, REPLAY_TIMEOUT);
    } catch {
      throw new LoopError('BAD_REQUEST', `replay: timeout: ${JSON.stringify(body.timeout)} is not ${expectedDuration(REPLAY_TIMEOUT)}`);
    }
  }
  return { destination: body.destination, headers, timeoutMs, allowUnsafe: body.allowUnsafe === true };
}

/** Audit outcome of an error that stopped a replay before anything was sent. */
function outcomeOf(err: unknown): ReplayAuditEntry['outcome'] {
  if (isLoopError(err, 'REPLAY_DESTINATION_DENIED')) return 'denied';
  if (isLoopError(err, 'REPLAY_UNSAFE_METHOD') || isLoopError(err, 'REPLAY_NOT_REPLAYABLE')) return 'refused';
  return 'invalid';
}

async function replay(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, rawId: string | undefined): Promise<void> {
  const principal = ctx.access.principalOf(req) ?? { name: 'loopback', role: 'admin' };
  // Filled in as the attempt progresses; every way out of this function writes it to the audit log.
  const entry: ReplayAuditEntry = {
    time: ctx.clock().toISOString(),
    who: { name: principal.name, role: principal.role },
    ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
    captureId: Number(rawId),
    destination: '',
    outcome: 'invalid',
  };
  const audit = async (): Promise<void> => {
    await ctx.audit?.append(entry).catch((err: unknown) => ctx.logger.error('replay audit log write failed', { err: messageOf(err), path: ctx.audit?.path }));
  };
  let capture: Capture;
  let dest: ResolvedDestination;
  let plan: ReplayPlan;
  let address: string;
  let input: ReplayRequestBody;
  try {
    parseCaptureId(rawId);
    input = parseReplayBody(parseJsonBody(await readBody(req, 1024 * 1024), 'replay'), ctx.options.replayTimeout);
    entry.destination = input.destination;
    if (input.allowUnsafe) entry.allowUnsafe = true;
    capture = await mustGet(ctx, rawId);
    entry.method = headerValue(capture.request.headers, ':method') ?? '';
    entry.path = headerValue(capture.request.headers, ':path') ?? '/';
    dest = resolveDestination(input.destination, ctx.options.alias);
    entry.target = dest.target;
    const checked = await ctx.replayPolicy.check(dest).catch((err: unknown) => err as LoopError);
    // A name that does not resolve is a failed replay, recorded like a refused connection.
    if (isLoopError(checked, 'REPLAY_FAILED')) return await failed(ctx, res, capture, dest, entry, checked, ctx.clock().toISOString(), audit);
    if (checked instanceof Error) throw checked;
    address = checked.address;
    entry.address = address;
    checkReplayMethod(entry.method, capture.id, dest.requested, input.allowUnsafe);
    plan = planReplay(capture, dest, { overrideHeaders: input.headers });
  } catch (err) {
    entry.outcome = outcomeOf(err);
    if (isLoopError(err)) entry.error = { code: err.code, message: err.message };
    await audit();
    throw err;
  }
  const createdAt = ctx.clock().toISOString();
  try {
    const outcome = await sendReplay(plan, dest, { timeoutMs: input.timeoutMs, maxBodyBytes: ctx.options.maxBodyBytes, address });
    // The answer is redacted as its capture was (set-cookie, configured headers, JSON fields, patterns)
    // before it is compared or stored: replays are read with the same role as captures.
    const response = captureRedactor(ctx, capture.tapConfig)({ ...capture, response: outcome.response }).response;
    const diff = diffResponses(capture.response, response);
    const record = await ctx.store.insertReplay({
      captureId: capture.id,
      createdAt,
      destination: dest.requested,
      target: dest.target,
      durationMs: outcome.durationMs,
      response,
      diff: { ...diff, warnings: outcome.warnings },
    });
    ctx.metrics.replays.inc({ outcome: diff.identical ? 'identical' : 'different' });
    const status = outcome.response.headers[0]?.[1];
    ctx.logger.info('replayed', { captureId: capture.id, destination: dest.requested, target: dest.target, status, by: principal.name });
    Object.assign(entry, { outcome: 'replayed', status: Number(status), replayId: record.id });
    await audit();
    sendJson(res, 201, replayToJson(record));
  } catch (err) {
    if (!isLoopError(err, 'REPLAY_FAILED')) {
      entry.outcome = 'failed';
      entry.error = { code: isLoopError(err) ? err.code : 'INTERNAL', message: messageOf(err) };
      await audit();
      throw err;
    }
    await failed(ctx, res, capture, dest, entry, err, createdAt, audit);
  }
}

async function failed(ctx: ServerContext, res: ServerResponse, capture: Capture, dest: ResolvedDestination, entry: ReplayAuditEntry, err: LoopError, createdAt: string, audit: () => Promise<void>): Promise<void> {
  const record = await ctx.store.insertReplay({
    captureId: capture.id,
    createdAt,
    destination: dest.requested,
    target: dest.target,
    durationMs: Date.parse(ctx.clock().toISOString()) - Date.parse(createdAt),
    error: { code: err.code, message: err.message },
  });
  ctx.metrics.replays.inc({ outcome: 'failed' });
  Object.assign(entry, { outcome: 'failed', replayId: record.id, error: { code: err.code, message: err.message } });
  await audit();
  sendJson(res, 502, { error: err.toJSON(), replay: replayToJson(record) });
}

export function replayToJson(record: ReplayRecord): Record<string, unknown> {
  return { ...record, ...(record.response ? { response: messageToJson(record.response) } : {}) };
}
