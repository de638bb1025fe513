// startGateway as `loop gateway` runs it: main and admin listeners, the readiness line, draining close, and
// the real tap wired to a real loop server (TapConfig in, capture out).
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { isLoopError } from '../../core/errors.js';
import { listen } from '../../core/listen.js';
import { silentLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { createSqliteCaptureStore } from '../../store/sqlite-capture-store.js';
import { createLoopServer } from '../server/loop-server.js';
import { serverOptionsSchema } from '../server/server-options.js';
import { deferred, recordingTap, request, startUpstream, type Upstream } from './gateway-fixtures.test-helper.js';
import { gatewayOptionsSchema } from './gateway-options.js';
import { listeningLine, startGateway, type RunningGateway } from './start-gateway.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const optionsFor = (values: Record<string, unknown>) => resolveOptions(gatewayOptionsSchema, [{ source: 'test', values: { listen: '127.0.0.1:0', admin: '127.0.0.1:0', tap: 'off', ...values } }]);

async function start(values: Record<string, unknown>, extra: Parameters<typeof startGateway>[2] = {}): Promise<RunningGateway> {
  const running = await startGateway(optionsFor(values), silentLogger, { processMetrics: false, ...extra });
  cleanups.push(() => running.close());
  return running;
}

async function upstream(handler: http.RequestListener): Promise<Upstream> {
  const up = await startUpstream(handler);
  cleanups.push(() => up.close());
  return up;
}

describe('startGateway', () => {
  it('prints the readiness line and serves /healthz, /readyz, /routes and /metrics on the admin address', async () => {
    const web = await upstream((_req, res) => res.end('hi'));
    const gw = await start({ route: ['/=web:9090', '/api=api.default:8080,timeout=5s'], alias: [`web:9090=${web.address}`, 'api.default=127.0.0.1'] });
    expect(listeningLine(gw)).toBe(`loop gateway listening on ${gw.url} (routes: /api → api.default:8080, / → web:9090)`);
    expect((await request(gw.url, { path: '/x' })).body.toString()).toBe('hi');

    const admin = gw.adminUrl!;
    expect((await request(admin, { path: '/healthz' })).status).toBe(200);
    expect(JSON.parse((await request(admin, { path: '/readyz' })).body.toString())).toEqual({ status: 'ready' });
    expect(JSON.parse((await request(admin, { path: '/routes' })).body.toString())).toEqual({
      routes: [
        { prefix: '/api', destination: 'api.default:8080', target: 'http://127.0.0.1:8080', timeoutMs: 5000 },
        { prefix: '/', destination: 'web:9090', target: `http://${web.address}`, timeoutMs: 15000 },
      ],
    });
    const metrics = (await request(admin, { path: '/metrics' })).body.toString();
    expect(metrics).toContain('loop_gateway_requests_total{route="/",status="200"} 1');
    expect((await request(admin, { path: '/nope' })).status).toBe(404);
    // As the loop server's API answers: the code names the refusal, and Allow what is allowed (RFC 9110 §15.5.6).
    const post = await request(admin, { path: '/metrics', method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(JSON.parse(post.body.toString()).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('refuses to start without routes', async () => {
    const err = await startGateway(optionsFor({}), silentLogger).catch((e: unknown) => e);
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as { hint?: string }).hint).toContain('--route');
  });

  it('says an address it cannot bind before it waits for TapConfigs, naming the flag', async () => {
    const busy = await listen(http.createServer(), { host: '127.0.0.1', port: 0 });
    cleanups.push(() => busy.close());
    const gone = await listen(http.createServer(), { host: '127.0.0.1', port: 0 });
    await gone.close(); // a loop server that refuses: the tap would wait the whole minute for it
    const wait = { route: ['/=127.0.0.1:9'], tap: 'on', loopServer: gone.url, tapStartupWait: '60s' };
    const main = await startGateway(optionsFor({ ...wait, listen: `127.0.0.1:${busy.port}` }), silentLogger, { processMetrics: false }).catch((e: unknown) => e);
    expect(isLoopError(main, 'CONFIG_INVALID')).toBe(true);
    expect((main as Error).message).toBe(`--listen: cannot listen on 127.0.0.1:${busy.port}: the address is already in use`);
    const admin = await startGateway(optionsFor({ ...wait, admin: `127.0.0.1:${busy.port}` }), silentLogger, { processMetrics: false }).catch((e: unknown) => e);
    expect((admin as Error).message).toBe(`--admin: cannot listen on 127.0.0.1:${busy.port}: the address is already in use`);
  }, 20_000);

  it('on close, stops accepting but lets in-flight requests finish, reports draining, and closes the tap', async () => {
    const arrived = deferred();
    const finish = deferred();
    const web = await upstream((_req, res) => {
      arrived.resolve();
      void finish.promise.then(() => res.end('late but whole'));
    });
    const tap = recordingTap();
    let tapClosed = false;
    tap.close = async () => void (tapClosed = true);
    const running = await startGateway(optionsFor({ route: [`/=${web.address}`], tap: 'on' }), silentLogger, { processMetrics: false, tap });
    const inFlight = request(running.url, { path: '/slow' });
    await arrived.promise;
    const closed = running.close();
    await expect.poll(async () => (await request(running.adminUrl!, { path: '/readyz' })).status).toBe(503);
    await expect(request(running.url, { path: '/new' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    finish.resolve();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('late but whole');
    expect(res.headers.connection).toBe('close');
    await closed;
    expect(tapClosed).toBe(true);
    await expect(request(running.adminUrl!, { path: '/healthz' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('waits for upgraded connections up to the drain timeout, then cuts them (node:http side too)', async () => {
    const up = await upstream((_req, res) => res.end());
    const wss = new WebSocketServer({ server: up.server });
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    for (const server of ['node', 'own']) {
      const running = await startGateway(optionsFor({ route: [`/=${up.address}`], drainTimeout: '100ms', server }), silentLogger, { processMetrics: false });
      const ws = new WebSocket(`ws://127.0.0.1:${new URL(running.url).port}/`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      await running.close();
      expect(await closed).toBe(1006);
    }
  });

  it('cuts requests still in flight after the drain timeout', async () => {
    const arrived = deferred();
    const web = await upstream(() => arrived.resolve()); // never answers
    const running = await startGateway(optionsFor({ route: [`/=${web.address}`], drainTimeout: '100ms' }), silentLogger, { processMetrics: false });
    const inFlight = request(running.url).catch((e: unknown) => e);
    await arrived.promise;
    await running.close();
    expect(await inFlight).toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('the gateway with its real tap', () => {
  it('captures a failing exchange matched by a TapConfig from the loop server', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gateway-tap-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = createSqliteCaptureStore({ path: path.join(dir, 'loop.db') });
    await store.init();
    const loop = createLoopServer({ store, logger: silentLogger, options: resolveOptions(serverOptionsSchema, [{ source: 'test', values: { tapConfigPollInterval: 60_000 } }]) });
    await loop.start();
    const api = await listen(http.createServer(loop.handler), { host: '127.0.0.1', port: 0 });
    cleanups.push(async () => {
      loop.stop();
      await api.close();
      await store.close();
    });
    const put = await fetch(`${api.url}/v1/tapconfigs/default/failures`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'default', name: 'failures' }, spec: { match: 'responseHeaders[":status"] == prefix("5")' } }),
    });
    expect(put.ok).toBe(true);

    const web = await upstream((req, res) => {
      req.resume();
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(req.url === '/fail' ? 'boom' : 'fine');
    });
    const gw = await start({ route: ['/=web:9090'], alias: [`web:9090=${web.address}`], tap: 'on', loopServer: api.url, source: 'edge' });

    // The tap follows TapConfigs asynchronously: keep failing until a capture shows up.
    const captures = async (): Promise<Array<{ path: string; status: number; destination: string; source: string }>> => {
      await request(gw.url, { path: '/ok' });
      await request(gw.url, { path: '/fail', method: 'POST', body: 'order=1' });
      const res = await fetch(`${api.url}/v1/captures`);
      return ((await res.json()) as { items: Array<{ path: string; status: number; destination: string; source: string }> }).items;
    };
    await expect.poll(captures, { timeout: 10_000, interval: 200 }).toContainEqual(expect.objectContaining({ path: '/fail', status: 500, destination: 'web:9090', source: 'edge' }));
    expect((await captures()).every((c) => c.status === 500)).toBe(true);
  });
});
