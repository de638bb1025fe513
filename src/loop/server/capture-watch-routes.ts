// GET /v1/captures/watch: a server-sent event stream of new captures' summaries (what the list API returns
// per item), oldest first, each event's id the capture id. A client that reconnects with Last-Event-ID
// (browsers' EventSource does so by itself) or `?after=<id>` first gets what was stored since, from the
// store, so a dropped connection loses nothing that is still among the newest 1000. The stream's first block
// carries its starting position as the last event id (the newest capture when no position was given), so a
// client that drops before any capture arrived resumes from there too. A client whose position is past the
// newest capture stored (the store was replaced under it, ids starting over, or its newest captures were
// deleted) gets an `event: reset` instead: what it shows is not this store's; it should read the list again.
// The hub sees only this process's inserts; on a store other loop servers write too (PostgreSQL behind a
// Service), the stream also reads the newest captures every `pollMs` and sends those it has not, so a web UI
// shows every replica's captures live (up to POLL_PAGES × POLL_LIMIT new ones per poll; the list holds the rest).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CaptureSummary } from '../../capture/capture.js';
import { LoopError } from '../../core/errors.js';
import type { CaptureEventHub } from './capture-events.js';
import type { Router } from './router.js';
import type { ServerContext } from './server-context.js';

const HEARTBEAT_MS = 15_000;
const BACKFILL_LIMIT = 1000;
const POLL_LIMIT = 200;
const POLL_PAGES = 25;

/**
 * Registers the route; it must come before `/v1/captures/:id` so "watch" is not read as an id. `pollMs`: how
 * often each stream reads the store for captures other processes stored (off when only this one writes).
 */
export function registerCaptureWatchRoute(router: Router, ctx: ServerContext, hub: CaptureEventHub, pollMs?: number): void {
  router.on('GET', '/v1/captures/watch', (req, res, _p, url) => watch(ctx, hub, req, res, resumeAfter(req, url), pollMs));
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

async function watch(ctx: ServerContext, hub: CaptureEventHub, req: IncomingMessage, res: ServerResponse, after: number | undefined, pollMs: number | undefined): Promise<void> {
  // Subscribe first and hold live events back while the backfill is read, so nothing falls in between.
  // Batches commit out of id order (PostgreSQL draws ids when a batch starts, and several run at once):
  // a live capture whose id is below one already sent is new all the same. What is skipped is what the
  // stream knows: the captures the store held when it started, and, when it polls, what it sent since
  // (pruned below the oldest capture a poll can still bring).
  let held: CaptureSummary[] | undefined = [];
  const known = new Set<number>();
  const send = (s: CaptureSummary): void => {
    if (known.has(s.id)) return;
    if (pollMs !== undefined) known.add(s.id);
    res.write(`event: capture\nid: ${s.id}\ndata: ${JSON.stringify(s)}\n\n`);
  };
  const unsubscribe = hub.subscribe((s) => (held ? held.push(s) : send(s)));
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  let polling = false;
  // Polls send only captures above the floor; the known ids below it are dropped, so the set stays small.
  let floor = 0;
  // The newest id the last poll (or the start) saw: a poll reads down past it, so the rest of its last
  // page catches batches that committed late with lower ids.
  let seenUpTo = 0;
  const poll = async (): Promise<void> => {
    if (polling || held) return;
    polling = true;
    try {
      // Newest first, page after page, until a page reaches what the last poll saw.
      const fresh: CaptureSummary[] = [];
      let cursor: string | undefined;
      let newest = seenUpTo;
      for (let pages = 0; pages < POLL_PAGES; pages++) {
        const page = await ctx.store.list({ limit: POLL_LIMIT, ...(cursor ? { cursor } : {}) });
        newest = Math.max(newest, page.items[0]?.id ?? 0);
        fresh.push(...page.items.filter((s) => s.id > floor));
        const oldest = page.items[page.items.length - 1];
        if (!page.nextCursor || !oldest || oldest.id <= seenUpTo || oldest.id <= floor) break;
        cursor = page.nextCursor;
      }
      seenUpTo = newest;
      for (const s of fresh.reverse()) send(s);
      floor = Math.max(floor, (fresh[0]?.id ?? 1) - 1);
      for (const id of known) if (id <= floor) known.delete(id);
    } catch {
      // The store is away for a moment: the next poll catches up.
    } finally {
      polling = false;
    }
  };
  const poller = pollMs !== undefined ? setInterval(() => void poll(), pollMs) : undefined;
  const end = (): void => {
    clearInterval(heartbeat);
    clearInterval(poller);
    unsubscribe();
  };
  req.on('close', end);
  res.on('close', end);
  try {
    const limit = after !== undefined ? BACKFILL_LIMIT : pollMs !== undefined ? POLL_LIMIT : 1;
    const page = (await ctx.store.list({ limit })).items;
    const newest = page[0]?.id ?? 0;
    const backfill = after === undefined ? [] : page.filter((s) => s.id > after).reverse();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    if (after !== undefined && after > newest) {
      // Not this store's position. The client reads the store's list again, which holds everything up to
      // `newest`; from here on it is at `newest`.
      res.write(`retry: 2000\n\nevent: reset\nid: ${newest}\ndata: ${JSON.stringify({ newest })}\n\n`);
    } else {
      // The position this stream starts at, as the last event id: a client that drops before any capture
      // arrives resumes from here and misses nothing stored meanwhile.
      res.write(`retry: 2000\nid: ${after ?? newest}\n\n`);
    }
    for (const s of backfill) {
      send(s);
      known.add(s.id);
    }
    for (const s of held ?? []) send(s);
    // What the store held when the stream started is the client's already (its list, or the backfill):
    // a poll must not send it again.
    if (pollMs !== undefined) {
      for (const s of page) known.add(s.id);
      floor = page.length === limit ? page[page.length - 1]!.id - 1 : 0;
      seenUpTo = newest;
    }
    held = undefined;
  } catch (err) {
    end();
    throw err;
  }
}
