// Calls to the loop server API (same origin: the server that serves the UI). Errors carry the API's
// message, which already names the field and what was expected.
// A server started with API tokens answers 401 without one: the UI then asks for a token (TokenPrompt),
// keeps it in sessionStorage (this tab only, gone when it closes) and sends it as a bearer token on every
// call, the live capture stream included — which is why that stream is read with fetch, not EventSource
// (EventSource cannot send an Authorization header, and a cookie would open the API to cross-site requests).
import type { ApiErrorBody, CaptureJson, CaptureSummary, Page, ReplayRecord, TapConfig, TapConfigEvent } from './logic/api-types.js';
import { parseEventStream, type ServerSentEvent } from './logic/event-stream.js';

const TOKEN_KEY = 'loop.apiToken';
type TokenListener = (message: string) => void;
const tokenListeners = new Set<TokenListener>();
let lastRefusal: string | undefined;

/** The API token this tab uses, and who to tell when the server wants one. */
export const apiToken = {
  get(): string | undefined {
    try {
      return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
    } catch {
      return undefined;
    }
  },
  set(token: string | undefined): void {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // storage refused (a browser policy): nothing to keep it in, and the prompt returns after the reload
    }
  },
  /** `listener` hears the server's message each time a call is refused for want of a (valid) token. */
  onNeeded(listener: TokenListener): () => void {
    tokenListeners.add(listener);
    if (lastRefusal !== undefined) listener(lastRefusal);
    return () => tokenListeners.delete(listener);
  },
};

function withToken(headers?: HeadersInit): Headers {
  const h = new Headers(headers);
  const token = apiToken.get();
  if (token) h.set('authorization', `Bearer ${token}`);
  return h;
}

/** fetch with the tab's token; a 401 tells the token listeners (the call still answers 401). */
async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, { ...init, headers: withToken(init.headers) });
  if (res.status === 401) {
    const body = (await res.clone().json().catch(() => undefined)) as ApiErrorBody | undefined;
    lastRefusal = body?.error?.message ?? 'this loop server needs an API token';
    for (const l of tokenListeners) l(lastRefusal);
  }
  return res;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await authorizedFetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'SERVER_UNREACHABLE', `cannot reach the loop server: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not the API's JSON: a proxy in front of the server (an ingress's 502 page) or something else answered.
    if (res.ok) throw new ApiError(res.status, 'BAD_RESPONSE', `${path} did not answer JSON: is a proxy between this page and the loop server?`);
  }
  if (!res.ok) {
    const e = (body as ApiErrorBody | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? 'HTTP_ERROR', e ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : `${res.status} ${res.statusText}`, body);
  }
  return body as T;
}

export const api = {
  listCaptures: (query: string) => request<Page<CaptureSummary>>(`/v1/captures${query ? `?${query}` : ''}`),
  getCapture: (id: number) => request<CaptureJson>(`/v1/captures/${id}`),
  async curl(id: number): Promise<string> {
    const res = await authorizedFetch(`/v1/captures/${id}/export?format=curl`);
    if (!res.ok) throw new ApiError(res.status, 'HTTP_ERROR', `curl export failed: ${res.status}`);
    return (await res.text()).trimEnd();
  },
  harUrl: (id: number) => `/v1/captures/${id}/export?format=har`,
  /** The HAR export as a file to save (fetched with the token, which a plain link cannot send). */
  async har(id: number): Promise<Blob> {
    const res = await authorizedFetch(api.harUrl(id));
    if (!res.ok) throw new ApiError(res.status, 'HTTP_ERROR', `HAR export failed: ${res.status}`);
    return res.blob();
  },
  listReplays: (id: number) => request<{ items: ReplayRecord[] }>(`/v1/captures/${id}/replays`),
  async replay(id: number, body: { destination: string; headers?: Record<string, string>; allowUnsafe?: boolean }): Promise<ReplayRecord> {
    try {
      return await request<ReplayRecord>(`/v1/captures/${id}/replays`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (err) {
      // A destination that failed still leaves a stored replay record: show it like any other.
      const record = err instanceof ApiError ? (err.body as { replay?: ReplayRecord } | undefined)?.replay : undefined;
      if (record) return record;
      throw err;
    }
  },
  destinations: () => request<{ aliases: Record<string, string> }>('/v1/destinations'),
  tapConfigs: () => request<{ items: TapConfig[]; resourceVersion: string }>('/v1/tapconfigs'),
};

/**
 * Follows the TapConfig watch (NDJSON) until `signal` aborts, calling `onEvent` per event; reconnects after
 * a dropped connection (a restarted server), telling `onState` when each connection opens.
 */
export async function watchTapConfigs(onEvent: (e: TapConfigEvent) => void, onState: (s: FollowState) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await authorizedFetch('/v1/tapconfigs?watch=true', { signal });
      if (res.status === 401) return onState('needs-token');
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState('live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as TapConfigEvent);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

export type FollowState = 'live' | 'reconnecting' | 'needs-token';

/**
 * Follows GET /v1/captures/watch (server-sent events) until `signal` aborts, reconnecting after the
 * server's `retry` delay and resuming after the last event id seen, as EventSource would; `afterId` starts
 * it with what was stored after that capture. `onReset`: the server says that position is past its newest
 * capture (its store was replaced, ids starting over): what the page shows is not that store's.
 */
export async function followCaptures(
  onCapture: (s: CaptureSummary) => void,
  onState: (s: FollowState) => void,
  signal: AbortSignal,
  afterId?: number,
  onReset?: () => void,
): Promise<void> {
  let lastId = afterId === undefined ? undefined : String(afterId);
  let retryMs = 2_000;
  while (!signal.aborted) {
    try {
      const res = await authorizedFetch('/v1/captures/watch', { signal, headers: lastId ? { 'last-event-id': lastId } : {} });
      if (res.status === 401) return onState('needs-token');
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState('live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const events = parseEventStream((e: ServerSentEvent) => {
        if (e.id !== undefined) lastId = e.id;
        if (e.retry !== undefined) retryMs = e.retry;
        if (e.event === 'capture' && e.data !== '') onCapture(JSON.parse(e.data) as CaptureSummary);
        else if (e.event === 'reset') onReset?.();
      });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        events.push(value);
      }
    } catch {
      if (signal.aborted) return;
    }
    onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
