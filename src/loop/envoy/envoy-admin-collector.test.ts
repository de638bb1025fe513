// The collector against the Envoy admin stand-in and a real loop server (SQLite file) on loopback.
import type { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { startLoopServer, type LoopServerFixture } from '../tap/loop-server-fixture.test-helper.js';
import { EnvoyAdminCollector, parseEnvoyAdminUrl, type EnvoyAdminCollectorOptions } from './envoy-admin-collector.js';
import { startEnvoyAdminStandIn, type EnvoyAdminStandIn, type StandInTapRequest } from './envoy-admin-stand-in.test-helper.js';
import { buildEnvoyAdminTapRequest } from './envoy-tap-config.js';
import { createLoopServerIngest } from './loop-server-ingest.js';

// A 500 with an authorization header, as Envoy prints it (examples/envoy/trace-500.json).
const trace500 = JSON.parse(readFileSync(new URL('../../../examples/envoy/trace-500.json', import.meta.url), 'utf8')) as unknown;
const tutorialSpec = { match: 'responseHeaders[":status"] == prefix("5")' };

/** A trace of `method path` answered with `status`. */
function trace(method: string, path: string, status: string): unknown {
  const headers = (pairs: Array<[string, string]>): Array<{ key: string; value: string }> => pairs.map(([key, value]) => ({ key, value }));
  return {
    http_buffered_trace: {
      request: { headers: headers([[':method', method], [':path', path], [':authority', 'web']]), trailers: [] },
      response: { headers: headers([[':status', status]]), trailers: [] },
    },
  };
}

/** The next `event` on `emitter` whose payload passes `test` (registered now, before the action that causes it). */
function next<T>(emitter: EventEmitter, event: string, test: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const listener = (payload: T): void => {
      if (!test(payload)) return;
      emitter.off(event, listener);
      resolve(payload);
    };
    emitter.on(event, listener);
  });
}

/**
 * Resolves once `emitter` reported `n` captures ingested, over one 'ingested' event or several: a chunk the
 * stand-in wrote at once may reach the collector in two reads on a busy machine.
 */
function ingestedTotal(emitter: EventEmitter, n: number): Promise<void> {
  let seen = 0;
  return next(emitter, 'ingested', (e: { captures: unknown[] }) => (seen += e.captures.length) >= n).then(() => undefined);
}

let dir: string;
let loop: LoopServerFixture;
let envoy: EnvoyAdminStandIn;
let collector: EnvoyAdminCollector | undefined;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'loop-envoy-'));
  loop = await startLoopServer(path.join(dir, 'loop.db'));
  envoy = await startEnvoyAdminStandIn();
});

afterEach(async () => {
  await collector?.stop();
  collector = undefined;
  await envoy.close();
  await loop.close();
  rmSync(dir, { recursive: true, force: true });
});

function startCollector(overrides: Partial<EnvoyAdminCollectorOptions> = {}): EnvoyAdminCollector {
  collector = new EnvoyAdminCollector({
    envoys: [envoy.url],
    tapConfigs: loop.server.context.registry,
    ingest: createLoopServerIngest(loop.server.context),
    logger: silentLogger,
    backoff: { initialMs: 20, maxMs: 80 },
    random: () => 0.999_999,
    ...overrides,
  });
  collector.start();
  return collector;
}

async function storedPaths(): Promise<string[]> {
  return (await loop.store.list()).items.map((c) => `${c.method} ${c.path} ${c.status} ${c.tapConfig}`).sort();
}

describe('EnvoyAdminCollector', () => {
  it('attaches with the compiled tap request, stores traces redacted and attributed to their TapConfig', async () => {
    await loop.put('gloo-system', 'gloo', tutorialSpec);
    const attached = next(envoy, 'attach');
    const c = startCollector();
    const ours = next(c, 'attached');
    const request = await attached;
    await ours;
    expect(request).toEqual(buildEnvoyAdminTapRequest(loop.server.context.registry.list()));
    expect(c.status()).toEqual([{ envoy: envoy.url, state: 'attached', failures: 0 }]);

    const ingested = next(c, 'ingested');
    await envoy.sendTrace(trace500);
    await ingested;
    const [summary] = (await loop.store.list()).items;
    const stored = await loop.store.get(summary!.id);
    expect(stored).toMatchObject({ tapConfig: 'gloo-system/gloo', source: envoy.url });
    expect(stored!.request.headers).toContainEqual(['authorization', '[REDACTED]']);
    expect(stored!.response.body?.bytes.toString()).toBe('{"error":"payment timed out"}');
  });

  it('reassembles a trace split across chunks, and several traces in one chunk', async () => {
    await loop.put('default', 'all', { match: 'true' });
    const attached = next(envoy, 'attach');
    const c = startCollector();
    await attached;
    const text = envoy.traceText(trace('GET', '/split', '503'));
    const firstHalf = next(c, 'chunk');
    await envoy.write(text.slice(0, 40));
    await firstHalf;
    expect(await loop.store.count()).toBe(0);
    let ingested = next(c, 'ingested');
    await envoy.write(text.slice(40));
    await ingested;
    expect(await storedPaths()).toEqual(['GET /split 503 default/all']);

    ingested = ingestedTotal(c, 2);
    await envoy.write(envoy.traceText(trace('GET', '/a', '200')) + envoy.traceText(trace('POST', '/b', '201')));
    await ingested;
    expect(await storedPaths()).toEqual(['GET /a 200 default/all', 'GET /split 503 default/all', 'POST /b 201 default/all']);
  });

  it('skips a trace without a request (:method, :path) and stores the others of its chunk', async () => {
    await loop.put('default', 'all', { match: 'true' });
    const attached = next(envoy, 'attach');
    const c = startCollector();
    await attached;
    const ingested = ingestedTotal(c, 2);
    await envoy.write(envoy.traceText(trace('GET', '/a', '500')) + envoy.traceText({ http_buffered_trace: {} }) + envoy.traceText(trace('GET', '/b', '500')));
    await ingested;
    expect(await storedPaths()).toEqual(['GET /a 500 default/all', 'GET /b 500 default/all']);
  });

  it('redacts a trace no TapConfig claims with the rules of them all (Envoy matched a body past the bytes it kept)', async () => {
    await loop.put('shop', 'boom', { match: 'responseBody == contains("boom")', redact: { headers: ['x-api-key'], jsonFields: ['password'] } });
    await loop.put('shop', 'slow', { match: 'requestHeaders["x-debug"] == "1"', redact: { patterns: ['tok_[a-z0-9]{8}'] } });
    const attached = next(envoy, 'attach');
    const c = startCollector();
    await attached;
    const t = trace('POST', '/pay', '200') as { http_buffered_trace: { request: Record<string, unknown>; response: Record<string, unknown> } };
    (t.http_buffered_trace.request.headers as unknown[]).push({ key: 'x-api-key', value: 'k-secret' }, { key: 'x-token', value: 'tok_abcdefgh' });
    t.http_buffered_trace.request.body = { truncated: false, as_bytes: Buffer.from('{"password":"pw-secret"}').toString('base64') };
    // "boom" came after the 4 bytes Envoy kept: Envoy's body match saw it, ours cannot.
    t.http_buffered_trace.response.body = { truncated: true, as_bytes: Buffer.from('{"st').toString('base64') };
    const ingested = next(c, 'ingested');
    await envoy.sendTrace(t);
    await ingested;
    const [summary] = (await loop.store.list()).items;
    const stored = (await loop.store.get(summary!.id))!;
    expect(stored.tapConfig).toBe('');
    expect(stored.request.headers).toContainEqual(['x-api-key', '[REDACTED]']);
    expect(stored.request.headers).toContainEqual(['x-token', '[REDACTED]']);
    expect(JSON.parse(stored.request.body!.bytes.toString())).toEqual({ password: '[REDACTED]' });
  });

  it('reconnects after the Envoy restarts, with growing capped backoff while it is down', async () => {
    await loop.put('gloo-system', 'gloo', tutorialSpec);
    let attached = next(envoy, 'attach');
    const c = startCollector();
    await attached;

    const port = envoy.port;
    const retries: number[] = [];
    const fourRetries = new Promise<void>((resolve) => {
      c.on('retry', function onRetry(e) {
        retries.push(e.delayMs);
        expect(e.reason === 'disconnected' || e.reason === 'unreachable').toBe(true);
        if (retries.length === 4) {
          c.off('retry', onRetry);
          resolve();
        }
      });
    });
    await envoy.close();
    await fourRetries;
    // 20 · 2^n capped at 80, with the jitter at its top (random ≈ 1).
    expect(retries).toEqual([20, 40, 80, 80]);
    expect(c.status()[0]).toMatchObject({ failures: expect.any(Number) as number, lastError: { reason: expect.stringMatching(/unreachable|disconnected/) as string } });

    envoy = await startEnvoyAdminStandIn({ port });
    attached = next(envoy, 'attach');
    const c2Attached = next(c, 'attached');
    await attached;
    await c2Attached;
    expect(c.status()[0]).toEqual({ envoy: envoy.url, state: 'attached', failures: 0 });
    const ingested = next(c, 'ingested');
    await envoy.sendTrace(trace('GET', '/after-restart', '502'));
    await ingested;
    expect(await storedPaths()).toEqual(['GET /after-restart 502 gloo-system/gloo']);
  });

  it('says plainly when another admin client holds the /tap stream, and attaches once it lets go', async () => {
    await loop.put('gloo-system', 'gloo', tutorialSpec);
    const other = new AbortController();
    const otherAttached = next(envoy, 'attach');
    const res = await fetch(`${envoy.url}/tap`, {
      method: 'POST',
      body: JSON.stringify({ config_id: 'loop', tap_config: { match: { any_match: true }, output_config: { sinks: [{ streaming_admin: {} }] } } }),
      signal: other.signal,
    });
    expect(res.status).toBe(200);
    await otherAttached;

    const refused = next(envoy, 'reject');
    const busy = next(collector ?? startCollector(), 'retry');
    expect(await refused).toEqual({ status: 400, body: 'An attached /tap admin stream already exists. Detach it.' });
    const retry = (await busy) as { reason: string; message: string };
    expect(retry.reason).toBe('busy');
    expect(retry.message).toBe(
      `another admin tap client holds the /tap stream on ${envoy.url} (Envoy allows one at a time, whatever the config_id; we asked for config_id "loop")`,
    );
    expect(await collector!.metricsRegistry.metrics()).toContain(`loop_envoy_admin_tap_failures_total{envoy="${envoy.url}",reason="busy"} 1`);

    const ours = next(collector!, 'attached');
    other.abort();
    await ours;
    expect(envoy.attached()?.tap_config.match).toEqual(buildEnvoyAdminTapRequest(loop.server.context.registry.list()).tap_config.match);
  });

  it('names the missing tap filter when Envoy knows no such config_id', async () => {
    await loop.put('gloo-system', 'gloo', tutorialSpec);
    const retry = next(startCollector({ configId: 'edge' }), 'retry');
    expect(await retry).toMatchObject({
      reason: 'no_tap_filter',
      message: expect.stringContaining(`has no tap filter with admin_config.config_id "edge"`) as string,
    });
    expect((await retry as { message: string }).message).toContain(`Unknown config id 'edge'. No extension has registered with this id.`);
  });

  it('stays idle without TapConfigs, then restarts the stream whenever the TapConfig set changes', async () => {
    const c = startCollector();
    expect(c.status()[0]!.state).toBe('idle');
    expect(envoy.attached()).toBeUndefined();

    let attached = next<StandInTapRequest>(envoy, 'attach');
    await loop.put('default', 'errors', tutorialSpec);
    expect((await attached).tap_config.match).toEqual({ http_response_headers_match: { headers: [{ name: ':status', string_match: { prefix: '5' } }] } });

    const detached = next(envoy, 'detach');
    attached = next<StandInTapRequest>(envoy, 'attach');
    await loop.put('default', 'posts', { match: 'requestHeaders[":method"] == "POST"' });
    await detached;
    const second = await attached;
    expect(second.tap_config.match).toEqual({
      or_match: {
        rules: [
          { http_response_headers_match: { headers: [{ name: ':status', string_match: { prefix: '5' } }] } },
          { http_request_headers_match: { headers: [{ name: ':method', string_match: { exact: 'POST' } }] } },
        ],
      },
    });

    const ingested = ingestedTotal(c, 2);
    await envoy.write(envoy.traceText(trace('POST', '/pay', '200')) + envoy.traceText(trace('GET', '/', '500')));
    await ingested;
    expect(await storedPaths()).toEqual(['GET / 500 default/errors', 'POST /pay 200 default/posts']);

    const gone = next(envoy, 'detach');
    await loop.remove('default', 'errors');
    await loop.remove('default', 'posts');
    await gone;
    await new Promise<void>((resolve) => {
      const check = (): void => (c.status()[0]!.state === 'idle' ? resolve() : void setImmediate(check));
      check();
    });
    expect(envoy.attached()).toBeUndefined();
  });

  it('stop detaches from Envoy, and also ends a long backoff wait at once', async () => {
    await loop.put('gloo-system', 'gloo', tutorialSpec);
    const attached = next(envoy, 'attach');
    const c = startCollector();
    await attached;
    const detached = next(envoy, 'detach');
    await c.stop();
    await detached;
    expect(c.status()[0]!.state).toBe('stopped');
    expect(envoy.attached()).toBeUndefined();

    // Waiting a minute between attempts: stop must not wait for the timer.
    const waiting = startCollector({ configId: 'nobody', backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await next(waiting, 'retry');
    const started = Date.now();
    await waiting.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(waiting.status()[0]!.state).toBe('stopped');
  });
});

describe('parseEnvoyAdminUrl', () => {
  it.each([
    ['http://127.0.0.1:9901', 'http://127.0.0.1:9901'],
    ['http://127.0.0.1:9901/', 'http://127.0.0.1:9901'],
    ['https://envoy.internal:9901', 'https://envoy.internal:9901'],
    ['http://[::1]:9901', 'http://[::1]:9901'],
  ])('%s → %s', (input, origin) => {
    expect(parseEnvoyAdminUrl(input)).toBe(origin);
  });
  it.each(['127.0.0.1:9901', 'http://127.0.0.1:9901/tap', 'ftp://x:1', 'http://h:1/?a=b', ''])('refuses %j', (input) => {
    expect(() => parseEnvoyAdminUrl(input)).toThrow(/is not an Envoy admin address; expected http:\/\/host:port/);
  });
});
