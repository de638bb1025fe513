// Loop core benchmarks: ingest over HTTP against the raw in-process insert rate of the same store, and
// the first filtered page of the list API with 1,000,000 stored captures.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeEnvoyTrace } from '../capture/envoy-trace-json.js';
import type { CaptureStore, ListOptions } from '../store/capture-store.js';
import { createCaptureStore } from '../store/index.js';
import { spawnServer } from '../core/spawn-server.js';
import { nowMs, rng, summarizeTimes, syntheticCapture, type Timing } from './bench-support.js';

const LOOP_BIN = path.resolve(import.meta.dirname, '../cli/loop/main.js');
const BATCH = 500;

export interface IngestResult {
  store: string;
  rawPerSec: number;
  httpPerSec: number;
  ratio: number;
  captures: number;
}

/** Captures/s of `insertBatch` called directly, batches of 500, 1 KiB bodies. */
export async function rawInsertRate(store: CaptureStore, total: number): Promise<number> {
  const random = rng(1);
  const batches = Array.from({ length: total / BATCH }, () => Array.from({ length: BATCH }, () => syntheticCapture(random, 1024, new Date())));
  const start = nowMs();
  for (const batch of batches) await store.insertBatch(batch);
  return (total / (nowMs() - start)) * 1000;
}

/** Captures/s through POST /v1/taps of a loop server in its own process; Envoy JSON arrays of 500 traces. */
export async function httpIngestRate(storeUrl: string, total: number, concurrency = 4): Promise<number> {
  const server = await spawnServer([LOOP_BIN, 'serve', '--listen', '127.0.0.1:0', '--store', storeUrl, '--log-level', 'warn', '--retention-max-count', '0'], { name: 'loop serve', inheritStderr: true });
  try {
    const random = rng(2);
    const body = Buffer.from(JSON.stringify(Array.from({ length: BATCH }, () => encodeEnvoyTrace(syntheticCapture(random, 1024, new Date())))));
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const target = new URL('/v1/taps?tapConfig=gloo-system/gloo&source=bench', server.url);
    const post = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ingest answered ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(body);
      });
    await post(); // warm-up
    let sent = 0;
    const start = nowMs();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < total) {
          sent += BATCH;
          await post();
        }
      }),
    );
    const rate = (sent / (nowMs() - start)) * 1000;
    agent.destroy();
    return rate;
  } finally {
    await server.stop();
  }
}

export async function ingestBench(name: string, storeUrlFor: (tag: string) => Promise<{ url: string; cleanup(): Promise<void> }>, total: number): Promise<IngestResult> {
  const raw = await storeUrlFor('raw');
  const store = await createCaptureStore(raw.url);
  let rawPerSec: number;
  try {
    await store.init();
    rawPerSec = await rawInsertRate(store, total);
  } finally {
    await store.close();
    await raw.cleanup();
  }
  const viaHttp = await storeUrlFor('http');
  let httpPerSec: number;
  try {
    httpPerSec = await httpIngestRate(viaHttp.url, total);
  } finally {
    await viaHttp.cleanup();
  }
  return { store: name, rawPerSec, httpPerSec, ratio: httpPerSec / rawPerSec, captures: total };
}

export interface PageResult {
  filter: string;
  store: Timing;
  http: Timing;
}

/** Fills a SQLite store with `rows` captures spread over 7 days, then times the first page of each filter. */
export async function firstPageBench(rows: number, log: (s: string) => void): Promise<{ rows: number; fillSeconds: number; results: PageResult[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'loop-bench-page-'));
  const url = `sqlite://${path.join(dir, 'loop.db')}`;
  try {
    const store = await createCaptureStore(url);
    await store.init();
    const random = rng(3);
    const end = Date.now();
    const span = 7 * 86_400_000;
    const fillStart = nowMs();
    for (let done = 0; done < rows; done += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) => syntheticCapture(random, 1024, new Date(end - span + ((done + i) / rows) * span)));
      await store.insertBatch(batch);
      if ((done / BATCH) % 200 === 0) log(`  filled ${done.toLocaleString('en')} / ${rows.toLocaleString('en')}`);
    }
    const fillSeconds = (nowMs() - fillStart) / 1000;
    await store.close();

    const since = new Date(end - 3_600_000).toISOString();
    const filters: Array<[string, ListOptions, string]> = [
      ['none', {}, ''],
      ['status 5xx', { statusClass: 5 }, 'status=5xx'],
      ['status 404', { status: 404 }, 'status=404'],
      ['method POST', { method: 'POST' }, 'method=POST'],
      ['path prefix /api/payments', { pathPrefix: '/api/payments' }, 'path=%2Fapi%2Fpayments'],
      ['destination svc-3', { destination: 'svc-3.default:9090' }, 'destination=svc-3.default%3A9090'],
      ['tap config default/slow', { tapConfig: 'default/slow' }, 'tapConfig=default%2Fslow'],
      ['last hour', { since }, `since=${encodeURIComponent(since)}`],
      ['5xx + POST + svc-3', { statusClass: 5, method: 'POST', destination: 'svc-3.default:9090' }, 'status=5xx&method=POST&destination=svc-3.default%3A9090'],
    ];
    const results: PageResult[] = [];
    const reopened = await createCaptureStore(url);
    await reopened.init();
    const server = await spawnServer([LOOP_BIN, 'serve', '--listen', '127.0.0.1:0', '--store', url, '--log-level', 'warn', '--retention-max-count', '0', '--retention-max-age', '0'], { name: 'loop serve', inheritStderr: true });
    try {
      for (const [name, options, query] of filters) {
        const storeTimes: number[] = [];
        const httpTimes: number[] = [];
        for (let i = 0; i < 21; i++) {
          let t = nowMs();
          await reopened.list({ ...options, limit: 50 });
          storeTimes.push(nowMs() - t);
          t = nowMs();
          const res = await fetch(`${server.url}/v1/captures?limit=50${query ? `&${query}` : ''}`);
          await res.arrayBuffer();
          httpTimes.push(nowMs() - t);
        }
        results.push({ filter: name, store: summarizeTimes(storeTimes.slice(1)), http: summarizeTimes(httpTimes.slice(1)) });
      }
    } finally {
      await server.stop();
      await reopened.close();
    }
    return { rows, fillSeconds, results };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
