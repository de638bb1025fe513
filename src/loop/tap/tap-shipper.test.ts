// The shipper against a real loop server (SQLite in a temp dir) on loopback: batching, the server down and
// back on the same port, the queue bound, rejected batches, close.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { CAPTURE_BATCH_MEDIA_TYPE } from '../../capture/capture-binary.js';
import { listen } from '../../core/listen.js';
import { recordingLogger, startLoopServer, type LoopServerFixture } from './loop-server-fixture.test-helper.js';
import { createTapMetrics, type TapMetrics } from './tap-metrics.js';
import { createTapShipper, type TapShipper, type TapShipperOptions } from './tap-shipper.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tap-shipper-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const db = (): string => path.join(dir, `${Date.now()}-${Math.random()}.db`);
const capture = (p: string, capturedAt = '2026-11-26T08:00:00.000Z'): CaptureInput => ({
  capturedAt,
  tapConfig: 'default/errors',
  source: 'gw',
  destination: 'web:9090',
  durationMs: 3,
  request: { headers: [[':method', 'GET'], [':path', p], [':authority', 'web'], [':scheme', 'http']], trailers: [] },
  response: { headers: [[':status', '500']], body: { bytes: Buffer.from([0xff, 0x00, 0x41]), truncated: false }, trailers: [] },
});

async function server(port = 0): Promise<LoopServerFixture> {
  const s = await startLoopServer(db(), port);
  cleanups.push(() => s.close());
  return s;
}

function shipper(url: string, extra: Partial<TapShipperOptions> = {}): { s: TapShipper; metrics: TapMetrics; value: (name: keyof TapMetrics, labels?: Record<string, string>) => Promise<number> } {
  const metrics = createTapMetrics(new Registry());
  const s = createTapShipper({ server: url, flushIntervalMs: 5, initialRetryMs: 10, maxRetryMs: 50, metrics, ...extra });
  cleanups.push(() => s.close(300));
  const value = async (name: keyof TapMetrics, labels: Record<string, string> = {}) => {
    const m = (await (metrics[name] as { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }).get()).values;
    return m.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((n, v) => n + v.value, 0);
  };
  return { s, metrics, value };
}

const storedPaths = async (loop: LoopServerFixture): Promise<string[]> => {
  const page = await loop.store.list({ limit: 1000 });
  return page.items.map((i) => i.path).reverse();
};

describe('createTapShipper', () => {
  it('delivers captures in batches, in order, as binary capture batches (binary bodies survive)', async () => {
    const loop = await server();
    const types: string[] = [];
    const counting = await listen(
      http.createServer((req, res) => {
        types.push(req.headers['content-type'] ?? '');
        loop.server.handler(req, res);
      }),
      { host: '127.0.0.1', port: 0 },
    );
    cleanups.push(() => counting.close());
    const { s, value } = shipper(counting.url, { batchSize: 4, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) s.enqueue(capture(`/${i}`));
    expect(await s.flush(5_000)).toBe(true);
    expect(types).toEqual(Array(3).fill(CAPTURE_BATCH_MEDIA_TYPE));
    expect(await storedPaths(loop)).toEqual(['/0', '/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8', '/9']);
    expect((await loop.store.get(1))!.response.body!.bytes).toEqual(Buffer.from([0xff, 0x00, 0x41]));
    expect(await value('shipped')).toBe(10);
    expect(await value('queueDepth')).toBe(0);
    expect(s.depth()).toBe(0);
  });

  it('switches to the JSON form, losing nothing, when the loop server predates binary batches (415)', async () => {
    const loop = await server();
    const types: string[] = [];
    const old = await listen(
      http.createServer((req, res) => {
        const type = req.headers['content-type'] ?? '';
        types.push(type);
        if (type === CAPTURE_BATCH_MEDIA_TYPE) {
          req.resume();
          res.writeHead(415, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: `content-type "${type}" is not accepted on /v1/taps` } }));
          return;
        }
        loop.server.handler(req, res);
      }),
      { host: '127.0.0.1', port: 0 },
    );
    cleanups.push(() => old.close());
    const logger = recordingLogger();
    const { s, value } = shipper(old.url, { batchSize: 2, flushIntervalMs: 60_000, logger });
    for (let i = 0; i < 3; i++) s.enqueue(capture(`/${i}`));
    expect(await s.flush(5_000)).toBe(true);
    expect(await storedPaths(loop)).toEqual(['/0', '/1', '/2']);
    expect((await loop.store.get(1))!.response.body!.bytes).toEqual(Buffer.from([0xff, 0x00, 0x41]));
    expect(types).toEqual([CAPTURE_BATCH_MEDIA_TYPE, 'application/vnd.loop.captures+json', 'application/vnd.loop.captures+json']);
    expect(await value('dropped')).toBe(0);
    expect(logger.records.some((r) => r.msg.includes('shipping JSON'))).toBe(true);
  });

  it('drops (counted) a capture that cannot be encoded, and ships the rest', async () => {
    const loop = await server();
    const { s, value } = shipper(loop.url, { flushIntervalMs: 60_000 });
    const bad = capture('/bad');
    bad.request.headers.push(['x-nul', 'a\0b']);
    s.enqueue(capture('/a'));
    expect(() => s.enqueue(bad)).not.toThrow();
    s.enqueue(capture('/b'));
    expect(await s.flush(5_000)).toBe(true);
    expect(await storedPaths(loop)).toEqual(['/a', '/b']);
    expect(await value('dropped', { reason: 'rejected' })).toBe(1);
  });

  it('keeps captures queued while the loop server is down and delivers them, oldest first, when it is back', async () => {
    const first = await startLoopServer(db());
    const port = first.port;
    await first.close();
    const { s, value } = shipper(`http://127.0.0.1:${port}`);
    for (let i = 0; i < 5; i++) expect(() => s.enqueue(capture(`/down-${i}`))).not.toThrow();
    expect(await s.flush(300)).toBe(false);
    expect(s.depth()).toBe(5);
    expect(await value('shipErrors')).toBeGreaterThan(0);
    s.enqueue(capture('/down-5'));
    const loop = await server(port);
    expect(await s.flush(5_000)).toBe(true);
    expect(await storedPaths(loop)).toEqual(['/down-0', '/down-1', '/down-2', '/down-3', '/down-4', '/down-5']);
    expect(await value('dropped')).toBe(0);
  });

  it('drops what does not fit in the queue, counting exactly, without throwing', async () => {
    const gone = await startLoopServer(db());
    await gone.close();
    const { s, value } = shipper(gone.url, { queueCapacity: 5 });
    for (let i = 0; i < 8; i++) expect(() => s.enqueue(capture(`/${i}`))).not.toThrow();
    expect(s.depth()).toBe(5);
    expect(await value('dropped', { reason: 'queue_full' })).toBe(3);
    expect(await value('queueDepth')).toBe(5);
  });

  it('drops a batch the server rejects (4xx), logs the reason, and goes on with the next', async () => {
    const loop = await server();
    const logger = recordingLogger();
    const { s, value } = shipper(loop.url, { batchSize: 2, logger, flushIntervalMs: 60_000 });
    s.enqueue(capture('/a'));
    s.enqueue(capture('/poison', 'yesterday'));
    s.enqueue(capture('/b'));
    expect(await s.flush(5_000)).toBe(true);
    expect(await storedPaths(loop)).toEqual(['/b']);
    expect(await value('dropped', { reason: 'rejected' })).toBe(2);
    expect(await value('shipped')).toBe(1);
    const warn = logger.records.find((r) => r.msg.includes('rejected'));
    expect(warn?.fields).toMatchObject({ status: 400, captures: 2 });
    expect(String(warn?.fields?.message)).toMatch(/captures\[1\]\.capturedAt/);
  });

  it('retries a batch that times out', async () => {
    let calls = 0;
    const loop = await server();
    const slow = await listen(
      http.createServer((req, res) => {
        if (++calls === 1) return; // never answers the first POST
        loop.server.handler(req, res);
      }),
      { host: '127.0.0.1', port: 0 },
    );
    cleanups.push(() => slow.close());
    const { s, value } = shipper(slow.url, { requestTimeoutMs: 100 });
    s.enqueue(capture('/slow'));
    expect(await s.flush(5_000)).toBe(true);
    expect(await value('shipErrors')).toBe(1);
    expect(await storedPaths(loop)).toEqual(['/slow']);
  });

  it('close() ships what is queued, then drops (counted) anything enqueued after', async () => {
    const loop = await server();
    const { s, value } = shipper(loop.url, { flushIntervalMs: 60_000 });
    s.enqueue(capture('/1'));
    s.enqueue(capture('/2'));
    await s.close(5_000);
    expect(await storedPaths(loop)).toEqual(['/1', '/2']);
    s.enqueue(capture('/late'));
    expect(await value('dropped', { reason: 'closed' })).toBe(1);
  });

  it('close() bounded by its timeout drops what it could not ship and counts it', async () => {
    const gone = await startLoopServer(db());
    await gone.close();
    const { s, value } = shipper(gone.url);
    s.enqueue(capture('/1'));
    await s.close(100);
    expect(await value('dropped', { reason: 'shutdown' })).toBe(1);
    expect(s.depth()).toBe(0);
  });
});
