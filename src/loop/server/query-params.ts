// Query-string parsing for the list API, shared by the HTTP routes and loopctl's flags so both accept
// the same spellings (`5xx`, `500`, RFC 3339 times or durations like `1h` meaning "the last hour").
import { LoopError } from '../../core/errors.js';
import { parseDuration } from '../../core/options-schema.js';
import type { ListOptions } from '../../store/capture-store.js';

/** `5xx` → status class 5, `500` → exact status. */
export function parseStatusFilter(value: string): Pick<ListOptions, 'status' | 'statusClass'> {
  const v = value.trim().toLowerCase();
  let m = /^([1-5])xx$/.exec(v);
  if (m) return { statusClass: Number(m[1]) };
  m = /^([1-5]\d\d)$/.exec(v);
  if (m) return { status: Number(m[1]) };
  throw new LoopError('BAD_REQUEST', `status "${value}" is not a status: expected a class such as 5xx or a code such as 503`);
}

/** An RFC 3339 time, or a duration meaning that long before `now`. */
export function parseTimeFilter(name: string, value: string, now: Date): string {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(value.trim())) return new Date(now.getTime() - parseDuration(value)).toISOString();
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new LoopError('BAD_REQUEST', `${name} "${value}" is not a time: expected RFC 3339 (2026-11-26T08:00:00Z) or a duration ago (15m, 2h, 7d)`);
  }
  return new Date(t).toISOString();
}

const LIST_PARAMS = ['status', 'method', 'path', 'destination', 'tapConfig', 'since', 'until', 'limit', 'cursor'] as const;

export function listOptionsFromQuery(query: URLSearchParams, now: Date): ListOptions {
  for (const key of query.keys()) {
    if (!(LIST_PARAMS as readonly string[]).includes(key)) {
      throw new LoopError('BAD_REQUEST', `unknown query parameter "${key}"; expected one of ${LIST_PARAMS.join(', ')}`);
    }
    // Each filter takes one value: a second one was silently dropped, which reads as an OR that is not there.
    const values = query.getAll(key);
    if (values.length > 1) {
      throw new LoopError('BAD_REQUEST', `query parameter "${key}" is given ${values.length} times (${values.map((v) => JSON.stringify(v)).join(', ')}); each filter takes one value`, {
        hint: key === 'status' ? 'a class such as 5xx covers every code in it; list other classes with one request each' : 'filters combine with AND; make one request per value',
      });
    }
  }
  const out: ListOptions = {};
  const status = query.get('status');
  if (status) Object.assign(out, parseStatusFilter(status));
  const method = query.get('method');
  if (method) out.method = method.toUpperCase();
  const path = query.get('path');
  if (path) out.pathPrefix = path;
  const destination = query.get('destination');
  if (destination) out.destination = destination;
  const tapConfig = query.get('tapConfig');
  if (tapConfig) out.tapConfig = tapConfig;
  const since = query.get('since');
  if (since) out.since = parseTimeFilter('since', since, now);
  const until = query.get('until');
  if (until) out.until = parseTimeFilter('until', until, now);
  // `since=1h&until=2h` (an hour ago until two hours ago) holds nothing; say so rather than list nothing.
  if (out.since !== undefined && out.until !== undefined && out.since >= out.until) {
    throw new LoopError('BAD_REQUEST', `since "${since}" (${out.since}) is not before until "${until}" (${out.until}): the range holds no time`, {
      // Read by loopctl users as often as by API callers: both spellings.
      hint: 'durations count back from now: since 2h until 1h (loopctl list --since 2h --until 1h, ?since=2h&until=1h) is the hour before the last one',
    });
  }
  const limit = query.get('limit');
  if (limit !== null) {
    if (!/^\d+$/.test(limit)) throw new LoopError('BAD_REQUEST', `limit "${limit}" is not a number between 1 and 1000`);
    out.limit = Number(limit);
  }
  const cursor = query.get('cursor');
  if (cursor) out.cursor = cursor;
  return out;
}

/** Parses `/v1/captures/:id` ids. */
export function parseCaptureId(raw: string | undefined): number {
  if (!raw || !/^\d{1,15}$/.test(raw) || Number(raw) < 1) throw new LoopError('BAD_REQUEST', `capture id "${raw ?? ''}" is not a positive integer`);
  return Number(raw);
}
