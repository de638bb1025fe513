// The tap: deciding at request headers, recording, deciding at the end, caps, sampling, redaction before
// shipping — checked on what a recording sink received and on what a real loop server stored.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInput, HeaderList } from '../../capture/capture.js';
import type { TapConfigSpec } from '../../tapconfig/tapconfig.js';
import { startLoopServer, recordingLogger } from './loop-server-fixture.test-helper.js';
import { compileTapConfig } from './compiled-tapconfig.js';
import { createTap, type TapOptions } from './tap.js';
import { createTapMetrics } from './tap-metrics.js';
import { createTapShipper, type CaptureSink } from './tap-shipper.js';
import type { TapRequestInfo } from './tap-types.js';
import { staticTapConfigs } from './tapconfig-follower.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tap-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const configs = (...specs: Array<[string, TapConfigSpec]>) =>
  staticTapConfigs(specs.map(([key, spec]) => ({ apiVersion: 'loop.solo.io/v1' as const, kind: 'TapConfig' as const, metadata: { namespace: key.split('/')[0]!, name: key.split('/')[1]! }, spec })));

function sink(): CaptureSink & { got: CaptureInput[] } {
  const got: CaptureInput[] = [];
  return { got, enqueue: (c) => void got.push(c), flush: () => Promise.resolve(true), close: () => Promise.resolve() };
}

/** The tap finishes ended exchanges together, once the event loop turns: what it ships is seen after this. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const request = (p = '/api/pay', headers: HeaderList = [['host', 'shop:8081']]): TapRequestInfo => ({ method: 'POST', path: p, authority: 'shop:8081', scheme: 'http', headers, destination: 'payment:9091' });

function setup(specs: Array<[string, TapConfigSpec]>, extra: Partial<TapOptions> = {}) {
  const registry = new Registry();
  const metrics = createTapMetrics(registry);
  const shipper = sink();
  let now = 1_790_000_000_000;
  const tap = createTap({ source: 'test-gw', configs: configs(...specs), shipper, metrics, clock: () => now, ...extra });
  const outcome = async (o: string) => (await metrics.exchanges.get()).values.find((v) => v.labels.outcome === o)?.value ?? 0;
  return { tap, shipper, metrics, registry, outcome, advance: (ms: number) => (now += ms) };
}

/** Runs one exchange through the contract's calls. */
function exchange(tap: ReturnType<typeof createTap>, info: TapRequestInfo, status: number, reqBody: string[], resBody: string[], resHeaders: string[] = ['content-type', 'text/plain']): boolean {
  const x = tap.begin(info);
  if (!x) return false;
  for (const c of reqBody) x.requestData(Buffer.from(c));
  x.requestEnd();
  x.response(status, resHeaders);
  for (const c of resBody) x.responseData(Buffer.from(c));
  x.end();
  return true;
}

describe('createTap', () => {
  it('decides at request headers: nothing is copied when no config can match', async () => {
    const { tap, outcome, shipper } = setup([['shop/api', { match: 'requestHeaders[":path"] == prefix("/api") && requestHeaders["x-debug"] == present()' }]]);
    expect(tap.begin(request('/other'))).toBeUndefined();
    expect(tap.begin(request('/api/x'))).toBeUndefined(); // no x-debug header
    const x = tap.begin(request('/api/x', [['X-Debug', '1']]));
    expect(x).toBeDefined();
    x!.response(200, []);
    x!.end();
    expect(shipper.got).toEqual([]); // finished once the event loop turns
    await settled();
    expect(await outcome('skipped')).toBe(2);
    expect(shipper.got.map((c) => c.tapConfig)).toEqual(['shop/api']);
    expect(setup([]).tap.begin(request())).toBeUndefined();
  });

  it('decides constant configs once per set: one that never matches is left out, one that always does is kept', async () => {
    const never = setup([['default/never', { match: '!true' }]]);
    expect(never.tap.begin(request())).toBeUndefined();
    expect(await never.outcome('skipped')).toBe(1);
    // Beside the tutorial's status match, `!true` changes nothing: the exchange is recorded and decided at the response.
    const beside = setup([
      ['a/never', { match: '!true' }],
      ['b/errors', { match: 'responseHeaders[":status"] == prefix("5")' }],
    ]);
    expect(exchange(beside.tap, request(), 500, [], ['boom'])).toBe(true);
    expect(exchange(beside.tap, request(), 200, [], ['ok'])).toBe(true);
    await settled();
    expect(beside.shipper.got.map((c) => c.tapConfig)).toEqual(['b/errors']);
    expect([await beside.outcome('matched'), await beside.outcome('recorded')]).toEqual([1, 1]);
    // `true` keeps every exchange, first in the set's order, whatever a request-header config says.
    const always = setup([
      ['b/all', { match: 'true' }],
      ['a/debug', { match: 'requestHeaders["x-debug"] == present()' }],
    ]);
    expect(exchange(always.tap, request(), 200, [], ['ok'])).toBe(true);
    expect(exchange(always.tap, request('/api/pay', [['x-debug', '1']]), 200, [], ['ok'])).toBe(true);
    await settled();
    expect(always.shipper.got.map((c) => c.tapConfig)).toEqual(['b/all', 'a/debug']);
  });

  it('captures the tutorial expression on a 500, not on a 200, and records the whole exchange', async () => {
    const { tap, shipper, outcome, advance } = setup([['default/errors', { match: 'responseHeaders[":status"] == prefix("5")' }]]);
    const x = tap.begin(request('/api/pay?x=1', [['host', 'shop:8081'], ['accept', '*/*']]));
    x!.requestData(Buffer.from('{"amount":'));
    x!.requestData(Buffer.from('5}'));
    x!.requestEnd([['x-checksum', 'abc']]);
    advance(12.5);
    x!.response(500, ['content-type', 'text/plain']);
    x!.responseData(Buffer.from('boom'));
    x!.end({ trailers: [['grpc-status', '13']], upstream: { remote: { address: '10.0.0.2', port: 9091 } } });
    expect(exchange(tap, request(), 200, [], ['ok'])).toBe(true);
    await settled();
    expect(shipper.got).toHaveLength(1);
    const c = shipper.got[0]!;
    expect(c).toMatchObject({ tapConfig: 'default/errors', source: 'test-gw', destination: 'payment:9091', durationMs: 12.5, capturedAt: '2026-09-21T14:13:20.000Z' });
    expect(c.request.headers).toEqual([[':method', 'POST'], [':path', '/api/pay?x=1'], [':authority', 'shop:8081'], [':scheme', 'http'], ['host', 'shop:8081'], ['accept', '*/*']]);
    expect(c.request.body).toEqual({ bytes: Buffer.from('{"amount":5}'), truncated: false });
    expect(c.request.trailers).toEqual([['x-checksum', 'abc']]);
    expect(c.response.headers).toEqual([[':status', '500'], ['content-type', 'text/plain']]);
    expect(c.response.body).toEqual({ bytes: Buffer.from('boom'), truncated: false });
    expect(c.response.trailers).toEqual([['grpc-status', '13']]);
    expect(c.upstream).toEqual({ remote: { address: '10.0.0.2', port: 9091 } });
    expect([await outcome('matched'), await outcome('recorded'), await outcome('skipped')]).toEqual([1, 1, 0]);
  });

  it('decides at the response head when the heads alone rule every config out, and stops recording', async () => {
    const { tap, shipper, outcome } = setup([
      ['default/errors', { match: 'responseHeaders[":status"] == prefix("5")' }],
      ['default/slow-pay', { match: 'requestHeaders[":path"] == prefix("/api") && responseHeaders[":status"] == "504"' }],
    ]);
    const x = tap.begin(request('/api/pay'))!;
    x.requestData(Buffer.from('{"amount":5}'));
    x.response(200, ['content-type', 'text/plain']);
    expect(await outcome('recorded')).toBe(1); // decided now, not at the end
    x.responseData(Buffer.from('ok'));
    x.end();
    expect(await outcome('recorded')).toBe(1);
    expect(shipper.got).toEqual([]);
    // A config that also reads the body cannot be decided on the heads: the exchange is still recorded to the end.
    const withBody = setup([['default/oom', { match: 'responseHeaders[":status"] == "200" && responseBody == contains("OOM")' }]]);
    const y = withBody.tap.begin(request())!;
    y.response(200, []);
    expect(await withBody.outcome('recorded')).toBe(0);
    y.responseData(Buffer.from('OOM killed'));
    y.end();
    await settled();
    expect(withBody.shipper.got.map((c) => c.response.body?.bytes.toString())).toEqual(['OOM killed']);
    // Heads that leave a config in play (a 504 on /api) are captured whole.
    expect(exchange(tap, request('/api/pay'), 504, ['{"amount":5}'], ['timeout'])).toBe(true);
    await settled();
    expect(shipper.got.map((c) => [c.tapConfig, c.request.body?.bytes.toString()])).toEqual([['default/errors', '{"amount":5}']]);
  });

  it('follows a changed set of configs: what it worked out about the old set is not reused', async () => {
    const compiled = (name: string, match: string) => compileTapConfig({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'default', name }, spec: { match } });
    let inForce = [compiled('errors', 'responseHeaders[":status"] == prefix("5")')];
    const shipper = sink();
    const tap = createTap({ source: 'test-gw', configs: () => inForce, shipper });
    expect(exchange(tap, request('/web'), 500, [], [])).toBe(true);
    // A set whose config reads the request: ruled out at the request head from now on.
    inForce = [compiled('pay', 'requestHeaders[":path"] == prefix("/api")')];
    expect(exchange(tap, request('/web'), 500, [], [])).toBe(false);
    expect(exchange(tap, request('/api/pay'), 200, [], [])).toBe(true);
    // Two configs, one ruled out at the request: the rest decides at the response, and names the capture.
    inForce = [compiled('errors', 'responseHeaders[":status"] == prefix("5")'), compiled('pay', 'requestHeaders[":path"] == prefix("/api")')];
    expect(exchange(tap, request('/web'), 200, [], [])).toBe(true);
    expect(exchange(tap, request('/web'), 502, [], [])).toBe(true);
    await settled();
    expect(shipper.got.map((c) => [c.tapConfig, c.request.headers.find(([n]) => n === ':path')?.[1], c.response.headers[0]?.[1]])).toEqual([
      ['default/errors', '/web', '500'],
      ['default/pay', '/api/pay', '200'],
      ['default/errors', '/web', '502'],
    ]);
  });

  it('keeps interleaved exchanges apart: each capture has its own request and response heads', async () => {
    const { tap, shipper } = setup([['default/user-errors', { match: 'requestHeaders["x-user"] == present() && responseHeaders[":status"] == "500"' }]]);
    const a = tap.begin(request('/a', [['x-user', 'ann']]))!;
    const b = tap.begin(request('/b', [['x-user', 'bob'], ['x-extra', '1']]))!;
    const c = tap.begin(request('/c', [['x-user', 'cy']]))!;
    b.response(500, ['x-from', 'b']);
    a.response(200, ['x-from', 'a']); // decided: not captured
    c.response(500, ['x-from', 'c']);
    for (const x of [c, a, b]) x.end();
    await settled();
    expect(shipper.got.map((x) => [x.request.headers.slice(1, 2), x.request.headers.slice(4), x.response.headers])).toEqual([
      [[[':path', '/c']], [['x-user', 'cy']], [[':status', '500'], ['x-from', 'c']]],
      [[[':path', '/b']], [['x-user', 'bob'], ['x-extra', '1']], [[':status', '500'], ['x-from', 'b']]],
    ]);
  });

  it('copies bodies up to the cap (the largest among the configs still in play) and marks them truncated', async () => {
    const { tap, shipper } = setup(
      [
        ['a/small', { match: 'responseHeaders[":status"] == "500"', maxBodyBytes: 4 }],
        ['b/large', { match: 'responseHeaders[":status"] == "501"', maxBodyBytes: 8 }],
        ['c/default', { match: 'responseHeaders[":status"] == "502"' }],
      ],
      { maxBodyBytes: 6 },
    );
    exchange(tap, request(), 500, ['0123', '456789'], ['abcdefghij']);
    exchange(tap, request(), 501, ['0123', '456789'], ['abc']);
    exchange(tap, request(), 502, ['0123456789'], ['']);
    await settled();
    expect(shipper.got.map((c) => [c.tapConfig, c.request.body?.bytes.toString(), c.request.body?.truncated, c.response.body?.bytes.toString(), c.response.body?.truncated])).toEqual([
      ['a/small', '0123', true, 'abcd', true],
      ['b/large', '01234567', true, 'abc', false],
      ['c/default', '01234567', true, undefined, undefined], // capped at 8 (max in play), an empty chunk is no body
    ]);
  });

  it('samples: a config with a small sampling fraction drops what the random draw puts above it, and counts it', async () => {
    let draw = 0.9;
    const { tap, shipper, outcome } = setup([['default/some', { match: 'true', sampling: 0.25 }]], { random: () => draw });
    for (let i = 0; i < 5; i++) exchange(tap, request(), 500, [], []);
    await settled();
    expect(shipper.got).toHaveLength(0);
    expect(await outcome('sampled_out')).toBe(5);
    draw = 0.1;
    exchange(tap, request(), 500, [], []);
    await settled();
    expect(shipper.got).toHaveLength(1);
  });

  it('names the first matching config in namespace/name order', async () => {
    const { tap, shipper } = setup([
      ['zeta/all', { match: 'true' }],
      ['alpha/errors', { match: 'responseHeaders[":status"] == prefix("5")' }],
    ]);
    exchange(tap, request(), 503, [], []);
    exchange(tap, request(), 200, [], []);
    await settled();
    expect(shipper.got.map((c) => c.tapConfig)).toEqual(['alpha/errors', 'zeta/all']);
  });

  it('records a gateway-generated failure, and a failure without any response', async () => {
    const { tap, shipper } = setup([['default/all', { match: 'true' }]]);
    const x = tap.begin(request())!;
    x.end({ error: 'upstream connect refused' });
    await settled();
    expect(shipper.got[0]!.response).toEqual({ headers: [], trailers: [] });
    x.end(); // a second end is ignored
    await settled();
    expect(shipper.got).toHaveLength(1);
  });

  it('ships an exchange that ended just before close: close finishes it first, nothing is lost', async () => {
    const { tap, shipper } = setup([['default/all', { match: 'true' }]]);
    exchange(tap, request('/last'), 500, [], ['bye']);
    expect(shipper.got).toEqual([]);
    await tap.close();
    expect(shipper.got.map((c) => c.request.headers[1])).toEqual([[':path', '/last']]);
  });

  it('never throws into the caller: failures in config lookup, matching or shipping are counted', async () => {
    const logger = recordingLogger();
    const metrics = createTapMetrics(new Registry());
    const errors = async () => (await metrics.errors.get()).values.reduce((n, v) => n + v.value, 0);
    const broken = createTap({ source: 's', configs: () => { throw new Error('no configs'); }, shipper: sink(), metrics, logger });
    expect(broken.begin(request())).toBeUndefined();
    const throwing: CaptureSink = { enqueue: () => { throw new Error('full of surprises'); }, flush: () => Promise.resolve(true), close: () => Promise.reject(new Error('nope')) };
    const tap = createTap({ source: 's', configs: configs(['default/all', { match: 'true' }]), shipper: throwing, metrics, logger });
    const x = tap.begin(request())!;
    x.requestData(null as unknown as Buffer); // a tap point passing garbage
    x.responseData(Buffer.from('x'));
    x.end();
    const y = tap.begin(request())!;
    y.response(200, []);
    expect(() => y.end()).not.toThrow();
    await expect(tap.close()).resolves.toBeUndefined();
    expect(await errors()).toBe(4);
    // Rate-limited: one record per tap for its first failure, the rest only counted.
    expect(logger.records.filter((r) => r.level === 'error').map((r) => r.fields?.where)).toEqual(['begin', 'exchange']);
  });

  it('redacts secret headers and configured JSON fields before the capture leaves the tap', async () => {
    // The loop server here knows no TapConfig, so it cannot redact the config's JSON field on ingest:
    // what it stores shows what the tap shipped.
    const loop = await startLoopServer(path.join(dir, 'redact.db'));
    cleanups.push(() => loop.close());
    const seen: CaptureInput[] = [];
    const shipper = createTapShipper({ server: loop.url, flushIntervalMs: 5 });
    const recording: CaptureSink = { enqueue: (c) => (seen.push(c), shipper.enqueue(c)), flush: (t) => shipper.flush(t), close: (t) => shipper.close(t) };
    const tap = createTap({
      source: 'gw',
      configs: configs(['default/errors', { match: 'responseHeaders[":status"] == prefix("5")', redact: { headers: ['x-api-key'], jsonFields: ['card.number'] } }]),
      shipper: recording,
    });
    cleanups.push(() => tap.close(1_000));
    const x = tap.begin(request('/pay', [['Authorization', 'Bearer s3cret'], ['Cookie', 'sid=1'], ['X-Api-Key', 'k'], ['accept', '*/*']]))!;
    x.requestData(Buffer.from('{"card":{"number":"4111111111111111","exp":"12/30"}}'));
    x.response(500, ['Set-Cookie', 'sid=2', 'content-type', 'application/json']);
    x.responseData(Buffer.from('{"error":"declined"}'));
    x.end();
    await settled();
    expect(seen[0]!.request.headers.slice(4)).toEqual([['Authorization', '[REDACTED]'], ['Cookie', '[REDACTED]'], ['X-Api-Key', '[REDACTED]'], ['accept', '*/*']]);
    expect(seen[0]!.response.headers[1]).toEqual(['Set-Cookie', '[REDACTED]']);
    expect(await shipper.flush(5_000)).toBe(true);
    const stored = await loop.store.get(1);
    expect(JSON.parse(stored!.request.body!.bytes.toString())).toEqual({ card: { number: '[REDACTED]', exp: '12/30' } });
    expect(stored!.request.headers).toContainEqual(['X-Api-Key', '[REDACTED]']);
    expect(stored!.tapConfig).toBe('default/errors');
  });

  it('cuts a truncated JSON body before a configured field rather than ship it unredacted', async () => {
    const { tap, shipper } = setup([['default/all', { match: 'true', maxBodyBytes: 40, redact: { jsonFields: ['user.password'] } }]]);
    exchange(tap, request(), 500, ['{"user":{"name":"ann","password":"hunter2-and-more-and-more"}}'], ['{"ok":false}']);
    await settled();
    const body = shipper.got[0]!.request.body!;
    expect(body).toEqual({ bytes: Buffer.from('{"user":{"name":"ann",'), truncated: true });
    expect(shipper.got[0]!.response.body!.bytes.toString()).toBe('{"ok":false}');
  });
});
