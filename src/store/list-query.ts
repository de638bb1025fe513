// Validation of list options and the SQL conditions they become, shared by every SQL backend.
// Each filter maps to a condition an index can serve: statusClass and status use the status_class
// column (indexed with id), pathPrefix a range on path instead of LIKE (no wildcard escaping, no
// case-folding surprises), since/until the integer or timestamptz captured_at column.
import { LoopError } from '../core/errors.js';
import type { ListOptions } from './capture-store.js';
import { decodeCursor } from './list-cursor.js';
import { rfc3339ToMillis, statusClassOf } from './capture-row.js';

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;

/** List options after validation. */
export interface ListQuery {
  limit: number;
  /** Only ids below this (from the cursor). */
  beforeId?: number;
  statusClass?: number;
  status?: number;
  method?: string;
  pathPrefix?: string;
  destination?: string;
  tapConfig?: string;
  sinceMs?: number;
  untilMs?: number;
}

function bad(field: string, value: unknown, expected: string): LoopError {
  return new LoopError('BAD_REQUEST', `${field} ${JSON.stringify(value)} is invalid: expected ${expected}`, {
    details: { field },
  });
}

function optionalText(field: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.includes('\0')) throw bad(field, value, 'a string');
  return value;
}

export function parseListOptions(options: ListOptions = {}): ListQuery {
  const q: ListQuery = { limit: DEFAULT_LIST_LIMIT };
  if (options.limit !== undefined) {
    const l = options.limit;
    if (!Number.isInteger(l) || l < 1 || l > MAX_LIST_LIMIT) throw bad('limit', l, `an integer from 1 to ${MAX_LIST_LIMIT}`);
    q.limit = l;
  }
  if (options.cursor !== undefined && options.cursor !== '') q.beforeId = decodeCursor(options.cursor);
  if (options.statusClass !== undefined) {
    const c = options.statusClass;
    if (!Number.isInteger(c) || c < 1 || c > 5) throw bad('statusClass', c, 'an integer from 1 to 5 (5 means 500-599)');
    q.statusClass = c;
  }
  if (options.status !== undefined) {
    const s = options.status;
    if (!Number.isInteger(s) || s < 0 || s > 999) throw bad('status', s, 'an HTTP status code (0 for no response)');
    q.status = s;
  }
  q.method = optionalText('method', options.method);
  q.pathPrefix = optionalText('pathPrefix', options.pathPrefix);
  q.destination = optionalText('destination', options.destination);
  q.tapConfig = optionalText('tapConfig', options.tapConfig);
  for (const field of ['since', 'until'] as const) {
    const value = options[field];
    if (value === undefined || value === '') continue;
    const ms = typeof value === 'string' ? rfc3339ToMillis(value) : undefined;
    if (ms === undefined) throw bad(field, value, 'an RFC 3339 time such as 2026-11-26T08:00:00Z');
    if (field === 'since') q.sinceMs = ms;
    else q.untilMs = ms;
  }
  return q;
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order (which is
 * UTF-8 byte order: SQLite's BINARY collation and PostgreSQL's "C"). Undefined when no such bound exists.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = Array.from(prefix, (ch) => ch.codePointAt(0) as number);
  while (cps.length > 0) {
    let last = (cps.pop() as number) + 1;
    if (last >= 0xd800 && last <= 0xdfff) last = 0xe000; // surrogates are not characters
    if (last <= 0x10ffff) return String.fromCodePoint(...cps, last);
  }
  return undefined;
}

/** How a backend spells parameters and a few typed values. */
export interface SqlDialect {
  /** Records a parameter and returns its placeholder (`?` or `$3`). */
  bind(value: unknown): string;
  /** The expression that compares `path` bytewise. */
  pathExpr: string;
  /** The parameter value for a captured_at bound in milliseconds. */
  timeValue(ms: number): unknown;
}

/** The WHERE conditions (joined with AND by the caller) of a list query. */
export function captureConditions(q: ListQuery, sql: SqlDialect): string[] {
  const where: string[] = [];
  if (q.beforeId !== undefined) where.push(`id < ${sql.bind(q.beforeId)}`);
  // An exact status implies its class, so the (status_class, id) index serves both filters.
  const statusClass = q.status !== undefined ? statusClassOf(q.status) : q.statusClass;
  if (q.status !== undefined && q.statusClass !== undefined && statusClassOf(q.status) !== q.statusClass) {
    where.push('1 = 0');
  }
  if (statusClass !== undefined) where.push(`status_class = ${sql.bind(statusClass)}`);
  if (q.status !== undefined) where.push(`status = ${sql.bind(q.status)}`);
  if (q.method !== undefined) where.push(`method = ${sql.bind(q.method)}`);
  if (q.pathPrefix !== undefined) {
    where.push(`${sql.pathExpr} >= ${sql.bind(q.pathPrefix)}`);
    const upper = prefixUpperBound(q.pathPrefix);
    if (upper !== undefined) where.push(`${sql.pathExpr} < ${sql.bind(upper)}`);
  }
  if (q.destination !== undefined) where.push(`destination = ${sql.bind(q.destination)}`);
  if (q.tapConfig !== undefined) where.push(`tap_config = ${sql.bind(q.tapConfig)}`);
  if (q.sinceMs !== undefined) where.push(`captured_at >= ${sql.bind(sql.timeValue(q.sinceMs))}`);
  if (q.untilMs !== undefined) where.push(`captured_at < ${sql.bind(sql.timeValue(q.untilMs))}`);
  return where;
}
