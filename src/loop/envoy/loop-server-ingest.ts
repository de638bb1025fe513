// The collector's ingest in the loop server: captures go through the server's own POST /v1/taps (in the
// project's capture JSON), so Envoy taps get exactly the ingest path every other tap gets — the server's
// and the TapConfig's redaction, body caps, an atomic batch insert and the ingest metrics — without a
// second copy of that logic here.
import { captureToJson } from '../../capture/capture-json.js';
import { LoopError, type ErrorCode } from '../../core/errors.js';
import type { CaptureIngest } from './envoy-admin-collector.js';

/**
 * An ingest function that POSTs captures to the loop server at `serverUrl`.
 * @example createLoopServerIngest(running.url)(captures)
 */
export function createLoopServerIngest(serverUrl: string, fetchImpl: typeof fetch = fetch): CaptureIngest {
  const url = `${serverUrl.replace(/\/$/, '')}/v1/taps`;
  return async (captures) => {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.loop.captures+json' },
      body: JSON.stringify({ captures: captures.map(captureToJson) }),
    });
    const text = await res.text();
    if (res.ok) return;
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      // not the API's error shape
    }
    throw new LoopError((error?.code as ErrorCode | undefined) ?? 'STORE_FAILED', `POST /v1/taps answered ${res.status}: ${error?.message ?? text.slice(0, 200)}`);
  };
}
