// The TapConfig follower against a real loop server (SQLite in a temp dir) on loopback, including a loop
// server restart on the same port; and against hand-written watch streams for silence and bad objects.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../core/listen.js';
import { recordingLogger, startLoopServer, until, type LoopServerFixture } from './loop-server-fixture.test-helper.js';
import { createTapMetrics } from './tap-metrics.js';
import { followTapConfigs, readTapConfigFile, staticTapConfigs, type TapConfigFollower } from './tapconfig-follower.js';

let dir: string;
const cleanups: Array<() => unknown> = [];
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tapconfig-follower-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const db = (): string => path.join(dir, `${Date.now()}-${Math.random()}.db`);
const keys = (f: TapConfigFollower): string[] => f.current().map((c) => `${c.key}=${c.match.source}`);
const changed = (f: TapConfigFollower, want: string[], what: string): Promise<void> =>
  until((n) => f.onChange(n), () => JSON.stringify(keys(f)) === JSON.stringify(want), `${what}: ${JSON.stringify(want)}, have ${JSON.stringify(keys(f))}`);
const connection = (f: TapConfigFollower, up: boolean): Promise<void> => until((n) => f.onConnection(n), () => f.connected() === up, up ? 'connect' : 'disconnect');

async function server(port = 0): Promise<LoopServerFixture> {
  const s = await startLoopServer(db(), port);
  cleanups.push(() => s.close());
  return s;
}

function follow(url: string, extra: Partial<Parameters<typeof followTapConfigs>[0]> = {}): TapConfigFollower {
  const f = followTapConfigs({ server: url, initialBackoffMs: 20, maxBackoffMs: 200, ...extra });
  cleanups.push(() => f.close());
  return f;
}

describe('followTapConfigs', () => {
  it('loads the current set, then applies ADDED, MODIFIED and DELETED as they happen', async () => {
    const loop = await server();
    await loop.put('default', 'errors', { match: 'responseHeaders[":status"] == prefix("5")' });
    await loop.put('shop', 'api', { match: 'requestHeaders[":path"] == prefix("/api")', maxBodyBytes: 10 });
    const registry = new Registry();
    const metrics = createTapMetrics(registry);
    const f = follow(loop.url, { metrics });
    await f.ready(5_000);
    expect(keys(f)).toEqual(['default/errors=responseHeaders[":status"] == prefix("5")', 'shop/api=requestHeaders[":path"] == prefix("/api")']);
    expect(f.current()[1]!.maxBodyBytes).toBe(10);
    expect(f.current()[0]!.resourceVersion).not.toBe('');
    expect((await registry.getSingleMetric('loop_tap_tapconfigs')!.get()).values[0]!.value).toBe(2);
    expect((await registry.getSingleMetric('loop_tap_connected')!.get()).values[0]!.value).toBe(1);

    await loop.put('a', 'first', { match: 'true' });
    await changed(f, ['a/first=true', 'default/errors=responseHeaders[":status"] == prefix("5")', 'shop/api=requestHeaders[":path"] == prefix("/api")'], 'ADDED');
    await loop.put('default', 'errors', { match: 'responseHeaders[":status"] == "503"' });
    await changed(f, ['a/first=true', 'default/errors=responseHeaders[":status"] == "503"', 'shop/api=requestHeaders[":path"] == prefix("/api")'], 'MODIFIED');
    await loop.remove('shop', 'api');
    await changed(f, ['a/first=true', 'default/errors=responseHeaders[":status"] == "503"'], 'DELETED');
  });

  it('keeps the last set while the loop server is down and takes the new one after it restarts on the same port', async () => {
    const first = await startLoopServer(db());
    await first.put('default', 'old', { match: 'true' });
    await first.put('default', 'kept', { match: 'responseHeaders[":status"] == "500"' });
    const f = follow(first.url);
    await f.ready(5_000);
    const before = f.current();
    await first.close();
    await connection(f, false);
    expect(f.current()).toBe(before); // still in force while disconnected

    // A new server (new store) on the same port, where "old" was deleted and "kept" changed meanwhile.
    const second = await server(first.port);
    await second.put('default', 'kept', { match: 'responseHeaders[":status"] == "502"' });
    await second.put('default', 'new', { match: 'true' });
    await changed(f, ['default/kept=responseHeaders[":status"] == "502"', 'default/new=true'], 'the set after the restart');
    expect(f.connected()).toBe(true);
    await second.put('default', 'later', { match: 'true' });
    await changed(f, ['default/kept=responseHeaders[":status"] == "502"', 'default/later=true', 'default/new=true'], 'a change after the restart');
  });

  it('reconnects when the stream goes silent for longer than the idle timeout', async () => {
    let connections = 0;
    const hold: http.ServerResponse[] = [];
    const api: Listening = await listen(
      http.createServer((_req, res) => {
        connections++;
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"0"}}}\n');
        hold.push(res); // then silence, connection left open
      }),
      { host: '127.0.0.1', port: 0 },
    );
    cleanups.push(() => api.close());
    const f = follow(api.url, { idleTimeoutMs: 150 });
    await f.ready(5_000);
    await until((n) => f.onConnection(n), () => connections >= 3, 'two reconnects');
    expect(hold.length).toBeGreaterThanOrEqual(3);
  });

  it('gives up on a watch request that gets no answer at all, and reconnects', async () => {
    // Something that accepts the connection and never answers (a proxy whose backend is gone) used to hold
    // the watch for good: the idle timeout started only with the response, so no TapConfigs ever came.
    const unanswered: http.IncomingMessage[] = [];
    const api: Listening = await listen(
      http.createServer((req, res) => {
        if (unanswered.length === 0) {
          unanswered.push(req);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"type":"ADDED","object":{"apiVersion":"loop.solo.io/v1","kind":"TapConfig","metadata":{"namespace":"default","name":"all","resourceVersion":"1"},"spec":{"match":"true"}}}\n');
        res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"1"}}}\n');
      }),
      { host: '127.0.0.1', port: 0 },
    );
    cleanups.push(() => api.close());
    const f = follow(api.url, { idleTimeoutMs: 150 });
    await f.ready(5_000);
    expect(unanswered).toHaveLength(1);
    expect(keys(f)).toEqual(['default/all=true']);
  });

  it('says what to do when the loop server wants a token', async () => {
    // Logged as "HTTP 401" alone, with the gateway serving on and capturing nothing.
    const api: Listening = await listen(
      http.createServer((_req, res) => res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('{"error":{"code":"UNAUTHORIZED","message":"a bearer token is required"}}')),
      { host: '127.0.0.1', port: 0 },
    );
    cleanups.push(() => api.close());
    const logger = recordingLogger();
    follow(api.url, { logger });
    const warned = (): Record<string, unknown> | undefined => logger.records.find((r) => r.level === 'warn')?.fields;
    await expect.poll(warned).toBeDefined();
    expect(warned()).toMatchObject({ reason: 'HTTP 401', hint: expect.stringContaining('--loop-token') });
  });

  it('skips (and logs) an object that does not compile, keeping the others', async () => {
    const logger = recordingLogger();
    const api: Listening = await listen(
      http.createServer((_req, res) => {
        const tc = (name: string, match: string) => ({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'default', name, resourceVersion: '1' }, spec: { match } });
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(JSON.stringify({ type: 'ADDED', object: tc('good', 'true') }) + '\n');
        res.write(JSON.stringify({ type: 'ADDED', object: tc('bad', 'requestHeaders[') }) + '\n');
        res.write(JSON.stringify({ type: 'ADDED', object: { spec: 7 } }) + '\n');
        res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"1"}}}\n');
      }),
      { host: '127.0.0.1', port: 0 },
    );
    cleanups.push(() => api.close());
    const f = follow(api.url, { logger });
    await f.ready(5_000);
    expect(keys(f)).toEqual(['default/good=true']);
    expect(logger.records.filter((r) => r.msg.startsWith('TapConfig skipped')).map((r) => r.fields?.tapConfig)).toEqual(['default/bad', undefined]);
  });

  it('ready() rejects after its timeout when no loop server answers', async () => {
    const api: Listening = await listen(http.createServer((_req, res) => res.writeHead(503).end()), { host: '127.0.0.1', port: 0 });
    cleanups.push(() => api.close());
    const f = follow(api.url);
    await expect(f.ready(200)).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect(f.current()).toEqual([]);
  });
});

describe('static TapConfigs', () => {
  it('serves a fixed list, and a file', async () => {
    const s = staticTapConfigs([
      { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'b', name: 'x' }, spec: { match: 'true', sampling: 0.5 } },
      { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'a', name: 'y' }, spec: { match: 'requestBody == contains("x")' } },
    ]);
    await s.ready(10);
    expect(s.current().map((c) => [c.key, c.sampling])).toEqual([
      ['a/y', 1],
      ['b/x', 0.5],
    ]);
    const file = path.join(dir, 'tap.yaml');
    await writeFile(file, 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: errors}\nspec:\n  match: responseHeaders[":status"] == prefix("5")\n');
    expect((await readTapConfigFile(file)).current().map((c) => c.key)).toEqual(['default/errors']);
  });
});
