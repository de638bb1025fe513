// GET /v1/captures/watch: a server-sent event stream of new captures' summaries (what the list API returns
// per item), oldest first, each event's id the capture id. A client that reconnects with Last-Event-ID
// (browsers' EventSource does so by itself) or `?after=<id>` first gets what was stored since, from the
// store, so a dropped connection loses nothing that is still among the newest 1000.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CaptureSummary } from '../../capture/capture.js';
import { LoopError } from '../../core/errors.js';
import type { CaptureEventHub } from './capture-events.js';
import type { Router } from './router.js';
import type { ServerContext } from './server-context.js';

const HEARTBEAT_MS = 15_000;
const BACKFILL_LIMIT = 1000;

/** Registers the route; it must come before `/v1/captures/:id` so "watch" is not read as an id. */
export function registerCaptureWatchRoute(router: Router, ctx: ServerContext, hub: CaptureEventHub): void {
  router.on('GET', '/v1/captures/watch', (req, res, _p, url) => watch(ctx, hub, req, res, resumeAfter(req, url)));
}

function resumeAfter(req: IncomingMessage, url: URL): number | undefined {
  for (const key of url.searchParams.keys()) {
    if (key !== 'after') throw new LoopError('BAD_REQUEST', `unknown query parameter "${key}"; the watch accepts only after=<capture id>`);
  }
  // A reconnecting EventSource repeats the URL it was opened with: its Last-Event-ID is the newer position.
  const raw = req.headers['last-event-id'] ?? url.searchParams.get('after') ?? undefined;
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new LoopError('BAD_REQUEST', `after "${String(raw)}" is not a capture id (a non-negative integer)`);
  return Number(raw);
}

async function watch(ctx: ServerContext, hub: CaptureEventHub, req: IncomingMessage, res: ServerResponse, after: number | undefined): Promise<void> {
  // Subscribe first and hold live events back while the backfill is read, so nothing falls in between.
  let lastSent = after ?? 0;
  let held: CaptureSummary[] | undefined = [];
  const send = (s: CaptureSummary): void => {
    if (s.id <= lastSent) return;
    lastSent = s.id;
    res.write(`event: capture\nid: ${s.id}\ndata: ${JSON.stringify(s)}\n\n`);
  };
  const unsubscribe = hub.subscribe((s) => (held ? held.push(s) : send(s)));
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const end = (): void => {
    clearInterval(heartbeat);
    unsubscribe();
  };
  req.on('close', end);
  res.on('close', end);
  try {
    const backfill = after === undefined ? [] : (await ctx.store.list({ limit: BACKFILL_LIMIT })).items.filter((s) => s.id > after).reverse();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    for (const s of backfill) send(s);
    for (const s of held ?? []) send(s);
    held = undefined;
  } catch (err) {
    end();
    throw err;
  }
}
