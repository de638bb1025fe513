// The live capture stream over real HTTP: captures stored while a client watches arrive as server-sent
// events; a client resuming from an id first gets what it missed.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { encodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { listen, type Listening } from '../../core/listen.js';
import { silentLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { createSqliteCaptureStore } from '../../store/sqlite-capture-store.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { createLoopServer } from './loop-server.js';
import { serverOptionsSchema } from './server-options.js';

let dir: string;
let store: CaptureStore;
let api: Listening;

const trace = (status: number, pathname: string): string => {
  const c: CaptureInput = {
    capturedAt: '2026-11-26T08:00:00.000Z', tapConfig: '', source: 'test', destination: '', durationMs: 3,
    request: { headers: [[':method', 'GET'], [':path', pathname], [':authority', 'shop']], trailers: [] },
    response: { headers: [[':status', String(status)]], trailers: [] },
  };
  return JSON.stringify(encodeEnvoyTrace(c));
};

const ingest = (...bodies: string[]): Promise<Response> =>
  fetch(`${api.url}/v1/taps?destination=payment:9091`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bodies.join('\n') });

/** Reads server-sent events from the stream until `count` capture events arrived. */
async function readEvents(res: Response, count: number): Promise<Array<{ id: string; data: { id: number; path: string; status: number; destination: string } }>> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Array<{ id: string; data: { id: number; path: string; status: number; destination: string } }> = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      if (fields.event === 'capture') events.push({ id: fields.id!, data: JSON.parse(fields.data!) });
    }
  }
  await reader.cancel();
  return events;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'capture-watch-test-'));
  store = createSqliteCaptureStore({ path: path.join(dir, 'loop.db') });
  await store.init();
  const options = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { tapConfigPollInterval: 60_000 } }]);
  api = await listen(http.createServer(createLoopServer({ store, logger: silentLogger, options }).handler), { host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await api.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /v1/captures/watch', () => {
  it('streams the summary of each capture stored while watching', async () => {
    await ingest(trace(500, '/before'));
    const res = await fetch(`${api.url}/v1/captures/watch`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = readEvents(res, 2);
    expect((await ingest(trace(503, '/pay'), trace(404, '/missing'))).status).toBe(200);
    expect((await events).map((e) => [e.id, e.data.path, e.data.status, e.data.destination])).toEqual([
      ['2', '/pay', 503, 'payment:9091'],
      ['3', '/missing', 404, 'payment:9091'],
    ]);
  });

  it('resumes after Last-Event-ID with the captures stored since, then goes on live', async () => {
    await ingest(trace(500, '/a'), trace(500, '/b'), trace(500, '/c'));
    const res = await fetch(`${api.url}/v1/captures/watch`, { headers: { 'last-event-id': '1' } });
    const events = readEvents(res, 3);
    await ingest(trace(502, '/d'));
    expect((await events).map((e) => e.data.path)).toEqual(['/b', '/c', '/d']);
  });

  it('says reset first to a client whose position is past the newest capture (the store was replaced), then streams from the start', async () => {
    await ingest(trace(500, '/a'), trace(500, '/b'));
    const res = await fetch(`${api.url}/v1/captures/watch`, { headers: { 'last-event-id': '40' } });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) text += (await reader.read()).value ?? '';
    };
    await until(/event: reset\n/);
    await ingest(trace(502, '/c'));
    await until(/id: 3\n/);
    await reader.cancel();
    const blocks = text.split('\n\n').filter((b) => /^event:/m.test(b));
    expect(blocks[0]).toBe('event: reset\nid: 2\ndata: {"newest":2}');
    expect(blocks.slice(1).map((b) => b.split('\n').slice(0, 2).join(' '))).toEqual(['event: capture id: 3']);
    // A position the store has reached is not reset.
    const current = await fetch(`${api.url}/v1/captures/watch`, { headers: { 'last-event-id': '3' } });
    const first = current.body!.pipeThrough(new TextDecoderStream()).getReader();
    const opening = (await first.read()).value ?? '';
    await first.cancel();
    expect(opening).toBe('retry: 2000\nid: 3\n\n');
  });

  it('starts a stream opened without a position at the newest capture, as its last event id', async () => {
    await ingest(trace(500, '/a'), trace(500, '/b'));
    const res = await fetch(`${api.url}/v1/captures/watch`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const opening = (await reader.read()).value ?? '';
    await reader.cancel();
    expect(opening).toBe('retry: 2000\nid: 2\n\n');
  });

  it('streams a capture whose batch committed after a later one (ids drawn in one order, commits in another)', async () => {
    // As PostgreSQL does with concurrent batches: /slow gets its id first but its insert returns last.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const insertBatch: CaptureStore['insertBatch'] = async (captures) => {
      const ids = await store.insertBatch(captures);
      if (captures[0]?.request.headers.some(([k, v]) => k === ':path' && v === '/slow')) await held;
      return ids;
    };
    const options = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { tapConfigPollInterval: 60_000 } }]);
    const concurrent = await listen(http.createServer(createLoopServer({ store: { ...store, insertBatch }, logger: silentLogger, options }).handler), { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${concurrent.url}/v1/captures/watch`);
      const events = readEvents(res, 2);
      const post = (body: string): Promise<Response> =>
        fetch(`${concurrent.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      const slow = post(trace(500, '/slow'));
      await expect.poll(() => store.count()).toBe(1);
      expect((await post(trace(503, '/fast'))).status).toBe(200);
      release();
      expect((await slow).status).toBe(200);
      // Was only /fast: /slow's id was below the last one sent, and the stream dropped it.
      expect((await events).map((e) => [e.id, e.data.path])).toEqual([
        ['2', '/fast'],
        ['1', '/slow'],
      ]);
    } finally {
      await concurrent.close();
    }
  });

  it('streams captures another loop server stored in the same store, when it polls (replicas on one PostgreSQL)', async () => {
    const options = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { tapConfigPollInterval: 60_000 } }]);
    await ingest(trace(500, '/before'));
    const replica = await listen(http.createServer(createLoopServer({ store, logger: silentLogger, options, captureWatchPollMs: 50 }).handler), { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${replica.url}/v1/captures/watch`);
      const events = readEvents(res, 4);
      // Stored through the other server: this one's hub never hears of them. Before, the stream stayed silent.
      expect((await ingest(trace(503, '/a'), trace(502, '/b'))).status).toBe(200);
      // And one through this server, which its hub and its polls both bring: sent once.
      const own = await fetch(`${replica.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: trace(504, '/c') });
      expect(own.status).toBe(200);
      expect((await ingest(trace(500, '/d'))).status).toBe(200);
      expect((await events).map((e) => e.data.path).sort()).toEqual(['/a', '/b', '/c', '/d']);
    } finally {
      await replica.close();
    }
  });

  it('refuses an id that is not one', async () => {
    const res = await fetch(`${api.url}/v1/captures/watch?after=abc`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('after "abc"');
  });
});
