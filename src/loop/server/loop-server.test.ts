// The loop server's API over real HTTP on loopback, with a real SQLite file behind it.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { CAPTURE_BATCH_MEDIA_TYPE, encodeCaptureBatch } from '../../capture/capture-binary.js';
import { captureToJson } from '../../capture/capture-json.js';
import { encodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { encodeTapRequest } from '../../capture/tap-request-proto.js';
import { LoopError } from '../../core/errors.js';
import { listen, type Listening } from '../../core/listen.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { createSqliteCaptureStore } from '../../store/sqlite-capture-store.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { createLoopServer, listenLoopServer, type LoopServer } from './loop-server.js';
import { serverOptionsSchema } from './server-options.js';

let dir: string;
let store: CaptureStore;
let server: LoopServer;
let api: Listening;

const capture = (status: number, path = '/', extra: Partial<CaptureInput> = {}): CaptureInput => ({
  capturedAt: '2026-11-26T08:00:00.000Z',
  tapConfig: '',
  source: 'test',
  destination: '',
  durationMs: 5,
  request: { headers: [[':method', 'GET'], [':path', path], [':authority', 'shop:8081'], ['cookie', 'session=abc']], trailers: [] },
  response: { headers: [[':status', String(status)], ['content-type', 'application/json']], body: { bytes: Buffer.from('{"password":"hunter2","ok":false}'), truncated: false }, trailers: [] },
  ...extra,
});

const envoyJson = (c: CaptureInput): string => JSON.stringify(encodeEnvoyTrace(c), null, 1);

async function post(pathname: string, body: string | Buffer, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(api.url + pathname, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const listIds = async (query = ''): Promise<number[]> => {
  const res = await fetch(`${api.url}/v1/captures${query}`);
  return ((await res.json()) as { items: Array<{ id: number }> }).items.map((i) => i.id);
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loop-server-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  store = createSqliteCaptureStore({ path: path.join(dir, `${Date.now()}-${Math.random()}.db`) });
  await store.init();
  const options = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { maxIngestBytes: 64 * 1024, redactJsonFields: ['password'], tapConfigPollInterval: 60_000 } }]);
  server = createLoopServer({ store, logger: silentLogger, options });
  await server.start();
  api = await listen(http.createServer(server.handler), { host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  server.stop();
  await api.close();
  await store.close();
});

describe('POST /v1/taps', () => {
  it('accepts one Envoy trace, a JSON array, NDJSON and the concatenated admin stream', async () => {
    expect((await post('/v1/taps', envoyJson(capture(500)))).body).toEqual({ stored: 1, ids: [1] });
    expect((await post('/v1/taps', `[${envoyJson(capture(501))},${envoyJson(capture(502))}]`)).body.ids).toEqual([2, 3]);
    const ndjson = [capture(503), capture(504)].map((c) => JSON.stringify(encodeEnvoyTrace(c))).join('\n') + '\n';
    expect((await post('/v1/taps', ndjson, 'application/x-ndjson')).body.ids).toEqual([4, 5]);
    // Envoy's admin /tap stream: pretty-printed objects back to back, no delimiter.
    expect((await post('/v1/taps', envoyJson(capture(505)) + envoyJson(capture(506)))).body.ids).toEqual([6, 7]);
    expect(await listIds()).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('accepts a binary protobuf TapRequest as Gloo\'s HTTP tap sink sends it', async () => {
    const res = await post('/v1/taps?tapConfig=gloo-system/gloo', encodeTapRequest(capture(503)), 'application/x-protobuf');
    expect(res).toEqual({ status: 200, body: { stored: 1, ids: [1] } });
    const got = (await (await fetch(`${api.url}/v1/captures/1`)).json()) as { tapConfig: string; source: string };
    expect(got).toMatchObject({ tapConfig: 'gloo-system/gloo', source: 'gloo' });
  });

  it("dates an Envoy or Gloo trace by its headers_received_time (last week's tap files are last week's captures), else by the clock", async () => {
    const timed = (c: CaptureInput): CaptureInput => ({
      ...c,
      request: { ...c.request, headersReceivedAt: '2026-11-20T10:00:00.100Z' },
      response: { ...c.response, headersReceivedAt: '2026-11-20T10:00:00.350Z' },
    });
    expect((await post('/v1/taps', envoyJson(timed(capture(500))))).body.ids).toEqual([1]);
    expect((await post('/v1/taps', encodeTapRequest(timed(capture(502))), 'application/x-protobuf')).body.ids).toEqual([2]);
    const before = Date.now();
    expect((await post('/v1/taps', envoyJson(capture(503)))).body.ids).toEqual([3]);
    const stored = await Promise.all([1, 2, 3].map((id) => store.get(id)));
    expect(stored.slice(0, 2).map((c) => [c?.capturedAt, c?.durationMs])).toEqual([
      ['2026-11-20T10:00:00.350Z', 250],
      ['2026-11-20T10:00:00.350Z', 250],
    ]);
    expect(Date.parse(stored[2]!.capturedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(await listIds('?since=2026-11-20T00:00:00Z&until=2026-11-21T00:00:00Z')).toEqual([2, 1]);
  });

  it('accepts a binary capture batch as gateways send it, redacted, and names a bad capture', async () => {
    const batch = [capture(500, '/a', { tapConfig: 'default/errors', source: 'gw' }), capture(200, '/b', { source: 'gw' })];
    expect((await post('/v1/taps', encodeCaptureBatch(batch), CAPTURE_BATCH_MEDIA_TYPE)).body).toEqual({ stored: 2, ids: [1, 2] });
    const stored = await store.get(1);
    expect(stored).toMatchObject({ tapConfig: 'default/errors', source: 'gw', durationMs: 5 });
    expect(stored!.request.headers).toContainEqual(['cookie', '[REDACTED]']);
    expect(JSON.parse(stored!.response.body!.bytes.toString())).toEqual({ password: '[REDACTED]', ok: false });
    const bad = await post('/v1/taps', encodeCaptureBatch([capture(500), capture(500, '/x', { capturedAt: 'yesterday' })]), CAPTURE_BATCH_MEDIA_TYPE);
    expect(bad.status).toBe(400);
    expect((bad.body.error as { message: string }).message).toMatch(/captures\[1\]\.capturedAt/);
    const garbled = await post('/v1/taps', Buffer.from('LCAP\x01\x00\x00\x00'), CAPTURE_BATCH_MEDIA_TYPE);
    expect(garbled).toMatchObject({ status: 400, body: { error: { code: 'INGEST_INVALID' } } });
    expect(await store.count()).toBe(2);
  });

  it('redacts secret headers and configured JSON fields before storing', async () => {
    await post('/v1/taps', envoyJson(capture(500)));
    const stored = await store.get(1);
    expect(stored!.request.headers).toContainEqual(['cookie', '[REDACTED]']);
    expect(JSON.parse(stored!.response.body!.bytes.toString())).toEqual({ password: '[REDACTED]', ok: false });
  });

  it('stores nothing of a batch with one bad trace, and names the bad one', async () => {
    const bad = JSON.stringify({ http_buffered_trace: { request: { headers: [{ key: ':path', value: 7 }] } } });
    const res = await post('/v1/taps', `${envoyJson(capture(500))}\n${bad}\n${envoyJson(capture(500))}`, 'application/x-ndjson');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'INGEST_INVALID' } });
    expect((res.body.error as { message: string }).message).toMatch(/^trace 2 of 3: .*headers\[0\]\.value/);
    expect(await store.count()).toBe(0);
  });

  it('refuses a trace without the request\'s :method and :path (an empty trace) in every format, naming it; a missing response is fine', async () => {
    const errorOf = (r: { body: Record<string, unknown> }): { code: string; message: string; hint?: string } => r.body.error as { code: string; message: string; hint?: string };
    const empty = await post('/v1/taps', '{"http_buffered_trace":{}}');
    expect(empty.status).toBe(400);
    expect(errorOf(empty)).toMatchObject({ code: 'INGEST_INVALID', message: 'http_buffered_trace.request has no headers (no :method, no :path): nothing to list, export or replay' });
    expect(errorOf(empty).hint).toMatch(/request headers/);
    const noPath = JSON.stringify({ http_buffered_trace: { request: { headers: [{ key: ':method', value: 'GET' }] }, response: { headers: [{ key: ':status', value: '500' }] } } });
    const batch = await post('/v1/taps', `${envoyJson(capture(500))}\n${noPath}\n${envoyJson(capture(500))}`, 'application/x-ndjson');
    expect(batch.status).toBe(400);
    expect(errorOf(batch).message).toBe('trace 2 of 3: http_buffered_trace.request has no :path header (method GET): nothing to list, export or replay');
    const responseOnly = capture(503, '/', { request: { headers: [], trailers: [] } });
    const pb = await post('/v1/taps', encodeTapRequest(responseOnly), 'application/x-protobuf');
    expect(errorOf(pb)).toMatchObject({ code: 'INGEST_INVALID', message: expect.stringMatching(/^trace_data\.http_buffered_trace\.request has no headers/) as unknown });
    const noMethod = capture(500, '/', { request: { headers: [[':path', '/x']], trailers: [] } });
    const bin = await post('/v1/taps', encodeCaptureBatch([capture(500), noMethod]), CAPTURE_BATCH_MEDIA_TYPE);
    expect(errorOf(bin).message).toMatch(/^captures\[1\]\.request has no :method header/);
    const json = await post('/v1/taps', JSON.stringify({ captures: [captureToJson(capture(500, '/', { request: { headers: [], trailers: [] } }))] }), 'application/vnd.loop.captures+json');
    expect(errorOf(json).message).toMatch(/^captures\[0\]\.request has no headers/);
    expect(await store.count()).toBe(0);
    // Envoy traces a request the upstream never answered without a response: that is a capture.
    const requestOnly = JSON.stringify({ http_buffered_trace: { request: { headers: [{ key: ':method', value: 'GET' }, { key: ':path', value: '/slow' }] } } });
    expect(await post('/v1/taps', requestOnly)).toEqual({ status: 200, body: { stored: 1, ids: [1] } });
    // CONNECT has no :path.
    const connect = JSON.stringify({ http_buffered_trace: { request: { headers: [{ key: ':method', value: 'CONNECT' }, { key: ':authority', value: 'db:5432' }] } } });
    expect((await post('/v1/taps', connect)).status).toBe(200);
  });

  it('answers 413 over the size limit and 415 for unknown media types, storing nothing', async () => {
    const huge = JSON.stringify(Array.from({ length: 40 }, () => encodeEnvoyTrace(capture(500, '/' + 'x'.repeat(2000)))));
    const res = await post('/v1/taps', huge);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'INGEST_TOO_LARGE', hint: 'send smaller batches, or raise --max-ingest-bytes' } });
    expect((await post('/v1/taps', 'hello', 'text/html')).status).toBe(415);
    expect((await post('/v1/taps', '{"nope": 1}')).status).toBe(400);
    expect((await post('/v1/taps', '')).status).toBe(400);
    expect(await store.count()).toBe(0);
  });
});

// The TapConfig limit is fixed (1MiB): its 413 told loopctl apply users to raise --max-ingest-bytes,
// which has nothing to do with it.
describe('POST /v1/tapconfigs over its size limit', () => {
  it('answers 413 with a hint about TapConfigs, not --max-ingest-bytes', async () => {
    const res = await post('/v1/tapconfigs', `# ${'x'.repeat(1024 * 1024)}\n`, 'application/yaml');
    expect(res).toEqual({ status: 413, body: { error: expect.objectContaining({ code: 'INGEST_TOO_LARGE', hint: 'TapConfigs are applied at most 1MiB at a time: split the file' }) } });
  });
});

describe('GET /v1/captures', () => {
  it('refuses a filter given twice (status=4xx&status=5xx kept only 4xx), naming it', async () => {
    await store.insertBatch([capture(404, '/a'), capture(500, '/b')]);
    for (const [query, key] of [['status=4xx&status=5xx', 'status'], ['method=GET&method=POST', 'method'], ['path=/a&limit=5&path=/b', 'path']] as const) {
      const res = await fetch(`${api.url}/v1/captures?${query}`);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string; hint: string } };
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(new RegExp(`^query parameter "${key}" is given 2 times .*; each filter takes one value$`));
      expect(error.hint).toBeTruthy();
    }
    expect(await listIds('?status=4xx')).toEqual([1]);
  });


  it('filters by status class, exact status, method and path prefix, and pages with a cursor', async () => {
    const batch = [capture(200, '/a'), capture(500, '/api/x'), capture(503, '/api/y'), capture(404, '/b'), capture(500, '/c')];
    await store.insertBatch(batch);
    expect(await listIds('?status=5xx')).toEqual([5, 3, 2]);
    expect(await listIds('?status=500')).toEqual([5, 2]);
    expect(await listIds('?path=/api/')).toEqual([3, 2]);
    expect(await listIds('?method=get&status=4xx')).toEqual([4]);
    const first = (await (await fetch(`${api.url}/v1/captures?limit=2`)).json()) as { items: Array<{ id: number }>; nextCursor: string };
    expect(first.items.map((i) => i.id)).toEqual([5, 4]);
    expect(await listIds(`?limit=2&cursor=${first.nextCursor}`)).toEqual([3, 2]);
  });

  it('names the bad parameter', async () => {
    for (const [query, message] of [
      ['?status=6xx', 'status "6xx" is not a status'],
      ['?limit=abc', 'limit "abc" is not a number'],
      ['?since=yesterday', 'since "yesterday" is not a time'],
      ['?colour=red', 'unknown query parameter "colour"'],
      ['?since=1h&until=2h', 'since "1h" (20'],
      ['?since=2026-11-27T10:00:00Z&until=2026-11-27T10:00:00Z', 'is not before until "2026-11-27T10:00:00Z"'],
    ]) {
      const res = await fetch(`${api.url}/v1/captures${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(message);
    }
  });

  it('gets, exports and deletes one capture', async () => {
    await store.insertBatch([capture(500)]);
    const got = (await (await fetch(`${api.url}/v1/captures/1`)).json()) as { id: number; response: { body: { encoding: string; data: string } } };
    expect(got.id).toBe(1);
    expect(got.response.body).toMatchObject({ encoding: 'utf8', data: '{"password":"hunter2","ok":false}' });
    const envoy = (await (await fetch(`${api.url}/v1/captures/1/export?format=envoy`)).json()) as { http_buffered_trace: unknown };
    expect(envoy.http_buffered_trace).toBeDefined();
    expect((await fetch(`${api.url}/v1/captures/1/export?format=zip`)).status).toBe(400);
    expect((await fetch(`${api.url}/v1/captures/1`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${api.url}/v1/captures/1`)).status).toBe(404);
    expect((await fetch(`${api.url}/v1/captures/abc`)).status).toBe(400);
  });
});

type WatchEvent = { type: string; object: { metadata: { name?: string; resourceVersion: string } } };

describe('TapConfigs', () => {
  const yaml = (name: string, match: string): string => `apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata:\n  name: ${name}\n  namespace: gloo-system\nspec:\n  match: '${match}'\n`;

  it('streams ADDED, BOOKMARK, MODIFIED and DELETED events to a watcher', async () => {
    await post('/v1/tapconfigs', yaml('gloo', 'responseHeaders[":status"] == prefix("5")'), 'application/yaml');
    const controller = new AbortController();
    const res = await fetch(`${api.url}/v1/tapconfigs?watch=true`, { signal: controller.signal });
    const reader = res.body!.getReader();
    let buffered = '';
    const next = async (): Promise<WatchEvent> => {
      while (!buffered.includes('\n')) buffered += new TextDecoder().decode((await reader.read()).value);
      const i = buffered.indexOf('\n');
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      return JSON.parse(line) as WatchEvent;
    };
    expect(await next()).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'gloo' } } });
    expect((await next()).type).toBe('BOOKMARK');
    await post('/v1/tapconfigs', yaml('gloo', 'responseHeaders[":status"] == "503"'), 'application/yaml');
    expect(await next()).toMatchObject({ type: 'MODIFIED', object: { spec: { match: 'responseHeaders[":status"] == "503"' } } });
    await fetch(`${api.url}/v1/tapconfigs/gloo-system/gloo`, { method: 'DELETE' });
    expect(await next()).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'gloo' } } });
    controller.abort();
  });

  it('reports created, configured and unchanged on apply', async () => {
    const a = await post('/v1/tapconfigs', yaml('a', 'true'), 'application/yaml');
    expect(a.body).toEqual({ items: [{ key: 'gloo-system/a', action: 'created' }] });
    const b = await post('/v1/tapconfigs', yaml('a', 'true') + '---\n' + yaml('b', 'true'), 'application/yaml');
    expect(b.body).toEqual({ items: [{ key: 'gloo-system/a', action: 'unchanged' }, { key: 'gloo-system/b', action: 'created' }] });
  });

  it('rejects a file with one bad document whole', async () => {
    const res = await post('/v1/tapconfigs', yaml('good', 'true') + '---\n' + yaml('bad', 'requestHeaders["x"] =='), 'application/yaml');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'TAPCONFIG_INVALID' } });
    expect(((await (await fetch(`${api.url}/v1/tapconfigs`)).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it('refuses an unknown ingest parameter (a misspelt tapConfig would label nothing) and stores nothing', async () => {
    const res = await post('/v1/taps?tapconfig=default/x', envoyJson(capture(500)));
    expect(res.status).toBe(400);
    expect((res.body as { error: { message: string } }).error.message).toBe('unknown query parameter "tapconfig" (did you mean "tapConfig"?); expected one of source, tapConfig, destination');
    expect(await listIds()).toEqual([]);
  });

  it('names the body after ?source= in its problems, and refuses a source that is not one printable line', async () => {
    const bad = yaml('bad', 'requestHeaders["x"] ==');
    const named = await post('/v1/tapconfigs?source=tap.yaml', bad, 'application/yaml');
    expect(named.status).toBe(400);
    expect((named.body as { error: { message: string } }).error.message).toMatch(/^tap\.yaml document 1 \(gloo-system\/bad\): spec\.match/);
    const unnamed = await post('/v1/tapconfigs', bad, 'application/yaml');
    expect((unnamed.body as { error: { message: string } }).error.message).toMatch(/^request body document 1 /);
    const escaped = await post(`/v1/tapconfigs?source=${encodeURIComponent('a\x1b[2Jb')}`, bad, 'application/yaml');
    expect(escaped.status).toBe(400);
    expect((escaped.body as { error: { message: string } }).error.message).toContain('source must be one line of printable text');
  });
});

describe('shutdown', () => {
  it('answers a batch being stored before it closes, and does not wait for watch streams', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserting: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (inserting = resolve));
    const insertBatch: CaptureStore['insertBatch'] = async (captures) => {
      inserting();
      await gate;
      return store.insertBatch(captures);
    };
    const slow = createLoopServer({ store: { ...store, insertBatch }, logger: silentLogger, options: server.context.options, processMetrics: false });
    // A drain timeout longer than the test's: waiting for the watch stream would time the test out.
    const listening = await listenLoopServer(slow, '127.0.0.1:0', undefined, { drainTimeoutMs: 60_000 });
    const watch = await fetch(`${listening.url}/v1/captures/watch`);
    expect(watch.status).toBe(200);
    const ingest = fetch(`${listening.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envoyJson(capture(500)) });
    await started;
    const closed = listening.close();
    release();
    // Was "fetch failed" (ECONNRESET) with the capture stored anyway: the gateway sent it again.
    const res = await ingest;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stored: 1, ids: [1] });
    await closed;
    await expect(fetch(`${listening.url}/healthz`)).rejects.toThrow();
  });
});

describe('retention', () => {
  it('does not start a run while the last one is still running', async () => {
    vi.useFakeTimers();
    let calls = 0;
    let finish: (deleted: number) => void = () => undefined;
    const applyRetention: CaptureStore['applyRetention'] = () => {
      calls++;
      return new Promise((resolve) => (finish = resolve));
    };
    const options = { ...server.context.options, retentionInterval: 1000 };
    const slow = createLoopServer({ store: { ...store, applyRetention }, logger: silentLogger, options, processMetrics: false });
    try {
      await slow.start();
      await vi.advanceTimersByTimeAsync(10_000);
      // Was 11: a run every interval on top of the one still deleting.
      expect(calls).toBe(1);
      finish(300_000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(calls).toBe(2);
    } finally {
      slow.stop();
      vi.useRealTimers();
    }
  });
});

describe('a store that refuses batches', () => {
  it('is logged when it starts and when a batch is stored again, not once per batch', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    let full = true;
    const insertBatch: CaptureStore['insertBatch'] = (captures) =>
      full ? Promise.reject(new LoopError('STORE_UNAVAILABLE', 'SQLite store /data/loop.db: insert failed: database or disk is full')) : store.insertBatch(captures);
    const flaky = createLoopServer({ store: { ...store, insertBatch }, logger, options: server.context.options, processMetrics: false });
    const flakyApi = await listen(http.createServer(flaky.handler), { host: '127.0.0.1', port: 0 });
    const ingest = async (): Promise<number> =>
      (await fetch(`${flakyApi.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envoyJson(capture(500)) })).status;
    try {
      expect([await ingest(), await ingest(), await ingest()]).toEqual([503, 503, 503]);
      full = false;
      expect([await ingest(), await ingest()]).toEqual([200, 200]);
      // Nothing was logged at all: an operator saw every ingest refused only from the clients' side.
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        ['warn', 'the store refused a batch of captures; more refusals are counted, not logged, until one is stored'],
        ['info', 'captures are stored again'],
      ]);
      expect(lines[0]).toMatchObject({ code: 'STORE_UNAVAILABLE', error: expect.stringContaining('disk is full') });
      expect(lines[1]).toMatchObject({ failedBatches: 3 });
    } finally {
      await flakyApi.close();
    }
  });
});

describe('health and metrics', () => {
  it('answers healthz, readyz, metrics and 405/404 properly', async () => {
    expect(await (await fetch(`${api.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${api.url}/readyz`)).json()).toEqual({ status: 'ready', store: 'sqlite' });
    await post('/v1/taps', envoyJson(capture(500)));
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toContain('loop_captures_ingested_total{format="envoy-json"} 1');
    expect(metrics).toContain('loop_captures_stored 1');
    const wrong = await fetch(`${api.url}/v1/taps`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await fetch(`${api.url}/v2/nothing`)).status).toBe(404);
  });

  it('answers metrics while the store is away, saying so', async () => {
    const away = (): Promise<never> => Promise.reject(new LoopError('STORE_UNAVAILABLE', 'PostgreSQL store db:5432/loop is unavailable (count): connect ECONNREFUSED'));
    const down = createLoopServer({ store: { ...store, count: away, ping: away, insertBatch: away }, logger: silentLogger, options: server.context.options, processMetrics: false });
    const downApi = await listen(http.createServer(down.handler), { host: '127.0.0.1', port: 0 });
    try {
      expect((await fetch(`${downApi.url}/readyz`)).status).toBe(503);
      const refused = await fetch(`${downApi.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envoyJson(capture(500)) });
      expect(refused.status).toBe(503);
      const res = await fetch(`${downApi.url}/metrics`);
      // Was 503 with the store's error: the scrape lost every metric for as long as the outage lasted.
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('loop_store_up 0');
      expect(text).toMatch(/^loop_captures_stored nan$/im); // prom-client writes Nan; Prometheus reads it case-blind
      expect(text).toContain('loop_http_requests_total{method="GET",route="/readyz",status="503"} 1');
      // The refused batch is counted (it was not counted at all).
      expect(text).toContain('loop_ingest_batches_total{format="envoy-json",outcome="failed"} 1');
      expect(await (await fetch(`${api.url}/metrics`)).text()).toContain('loop_store_up 1');
    } finally {
      await downApi.close();
    }
  });
});
