// The capture list's filters: what the form holds, the list API's query string, the UI's own URL query
// (so a filtered view can be bookmarked), and whether a live capture belongs in the filtered list. The
// last mirrors the server's list semantics (src/store/list-query.ts): status class or exact status,
// method exact (upper case), path by prefix, destination and tap config exact.
import type { CaptureSummary } from './api-types.js';

export interface CaptureFilters {
  /** `5xx`, `503`, or empty for any. */
  status: string;
  method: string;
  path: string;
  destination: string;
  tapConfig: string;
}

export const EMPTY_FILTERS: CaptureFilters = { status: '', method: '', path: '', destination: '', tapConfig: '' };

const KEYS = ['status', 'method', 'path', 'destination', 'tapConfig'] as const;

/** The query string for GET /v1/captures (without `?`); empty filters are left out. */
export function filtersToQuery(filters: CaptureFilters, page: { limit?: number; cursor?: string } = {}): string {
  const q = new URLSearchParams();
  for (const key of KEYS) {
    const value = filters[key].trim();
    if (value !== '') q.set(key, key === 'method' ? value.toUpperCase() : value);
  }
  if (page.limit !== undefined) q.set('limit', String(page.limit));
  if (page.cursor) q.set('cursor', page.cursor);
  return q.toString();
}

/**
 * Reads filters back from a query string (the UI's URL); unknown keys are ignored. The method is upper
 * case, as the list API compares it, so a hand-typed `?method=get` shows as GET in the form.
 */
export function filtersFromQuery(search: string): CaptureFilters {
  const q = new URLSearchParams(search);
  const out: CaptureFilters = { ...EMPTY_FILTERS };
  for (const key of KEYS) out[key] = q.get(key) ?? '';
  out.method = out.method.trim().toUpperCase();
  return out;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** The method filter's choices: the common methods, plus the one in force when it is another (PROPFIND). */
export function methodChoices(current: string): string[] {
  return current === '' || METHODS.includes(current) ? METHODS : [...METHODS, current];
}

/** Whether a status filter is one the server accepts (a class such as 5xx or a code such as 503). */
export function statusFilterError(value: string): string | undefined {
  const v = value.trim();
  if (v === '' || /^[1-5]xx$/i.test(v) || /^[1-5]\d\d$/.test(v)) return undefined;
  return `"${v}" is not a status: use a class such as 5xx or a code such as 503`;
}

/** A hint for a path prefix that cannot be meant (paths start with "/"); it still filters as typed. */
export function pathFilterHint(value: string): string | undefined {
  const v = value.trim();
  if (v === '' || v.startsWith('/') || v === '*') return undefined;
  return `paths start with "/", so "${v}" matches no ordinary request; did you mean /${v}?`;
}

export function summaryMatches(filters: CaptureFilters, s: CaptureSummary): boolean {
  const status = filters.status.trim().toLowerCase();
  if (status !== '') {
    const cls = /^([1-5])xx$/.exec(status);
    if (cls ? Math.floor(s.status / 100) !== Number(cls[1]) : s.status !== Number(status)) return false;
  }
  const method = filters.method.trim().toUpperCase();
  if (method !== '' && s.method !== method) return false;
  const path = filters.path.trim();
  if (path !== '' && !s.path.startsWith(path)) return false;
  const destination = filters.destination.trim();
  if (destination !== '' && s.destination !== destination) return false;
  const tapConfig = filters.tapConfig.trim();
  if (tapConfig !== '' && s.tapConfig !== tapConfig) return false;
  return true;
}

/**
 * Adds live captures to a list that is newest first: duplicates (an event for a row the list already
 * has) are dropped, and the result stays ordered by id, descending.
 */
export function mergeCaptures(list: readonly CaptureSummary[], incoming: readonly CaptureSummary[]): CaptureSummary[] {
  const byId = new Map<number, CaptureSummary>();
  for (const s of list) byId.set(s.id, s);
  for (const s of incoming) byId.set(s.id, s);
  return [...byId.values()].sort((a, b) => b.id - a.id);
}
