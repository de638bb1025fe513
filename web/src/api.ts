// Calls to the loop server API (same origin: the server that serves the UI). Errors carry the API's
// message, which already names the field and what was expected.
import type { ApiErrorBody, CaptureJson, CaptureSummary, Page, ReplayRecord, TapConfig, TapConfigEvent } from './logic/api-types.js';

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
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'SERVER_UNREACHABLE', `cannot reach the loop server: ${(err as Error).message}`);
  }
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
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
    const res = await fetch(`/v1/captures/${id}/export?format=curl`);
    if (!res.ok) throw new ApiError(res.status, 'HTTP_ERROR', `curl export failed: ${res.status}`);
    return (await res.text()).trimEnd();
  },
  harUrl: (id: number) => `/v1/captures/${id}/export?format=har`,
  listReplays: (id: number) => request<{ items: ReplayRecord[] }>(`/v1/captures/${id}/replays`),
  async replay(id: number, body: { destination: string; headers?: Record<string, string> }): Promise<ReplayRecord> {
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

/** Follows the TapConfig watch (NDJSON) until `signal` aborts; calls `onEvent` per event. */
export async function watchTapConfigs(onEvent: (e: TapConfigEvent) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch('/v1/tapconfigs?watch=true', { signal });
  if (!res.ok || !res.body) throw new ApiError(res.status, 'HTTP_ERROR', `TapConfig watch failed: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) onEvent(JSON.parse(line) as TapConfigEvent);
    }
  }
}
