// The processes the gateway benchmark measures and the ones behind them: the upstream, the bare node:http
// proxy, `loop gateway` (tap off, or on and following a loop server) and `loop serve`, each in its own
// process. Also the small HTTP helpers the suite uses to check them and read their /metrics.
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopError } from '../core/errors.js';
import { spawnServer, type SpawnedServer } from '../core/spawn-server.js';

const DIST = path.resolve(import.meta.dirname, '..');
const LOOP_BIN = path.join(DIST, 'cli/loop/main.js');

export interface RunningTarget {
  url: string;
  /** The process to pin (its descendants too). */
  pid: number;
  /** The gateway's admin address (for /metrics); only gateways have one. */
  adminUrl?: string;
  stop(): Promise<void>;
}

const asTarget = (server: SpawnedServer): RunningTarget => ({ url: server.url, pid: server.child.pid!, stop: () => server.stop().then(() => undefined) });

export async function startUpstream(): Promise<RunningTarget> {
  return asTarget(await spawnServer([path.join(DIST, 'bench/bench-upstream.js')], { name: 'bench upstream' }));
}

export async function startBareNodeProxy(upstream: string): Promise<RunningTarget> {
  return asTarget(await spawnServer([path.join(DIST, 'bench/bare-node-proxy.js'), upstream], { name: 'bare node proxy' }));
}

/** `loop serve` with its own SQLite file under `dir`, retention off so every capture stays countable. */
export async function startLoopServer(dir: string): Promise<RunningTarget> {
  const args = ['serve', '--listen', '127.0.0.1:0', '--store', `sqlite://${path.join(dir, 'loop.db')}`, '--log-level', 'warn', '--retention-max-count', '0'];
  return asTarget(await spawnServer([LOOP_BIN, ...args], { name: 'loop serve' }));
}

/** Creates or replaces TapConfig `bench/<name>` on the loop server. */
export async function putTapConfig(loopServer: string, name: string, match: string): Promise<void> {
  const config = { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'bench', name }, spec: { match } };
  const answer = await request(new URL(`/v1/tapconfigs/bench/${name}`, loopServer), 'PUT', Buffer.from(JSON.stringify(config)));
  if (answer.status !== 200 && answer.status !== 201) throw new LoopError('INTERNAL', `PUT TapConfig bench/${name} answered ${answer.status}: ${answer.body.toString()}`);
}

/**
 * `loop gateway` routing `/` to `upstream`. With `loopServer` the tap is on; resolves once the tap follows
 * the loop server's TapConfigs (`tapConfigs` of them), so the first measured request is already tapped.
 */
export async function startGateway(upstream: string, loopServer?: string, tapConfigs = 0, extraArgs: readonly string[] = []): Promise<RunningTarget> {
  const args = ['gateway', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--route', `/=${upstream}`, '--source', 'bench', ...extraArgs];
  args.push('--tap', loopServer ? 'on' : 'off', '--log-level', 'info');
  if (loopServer) args.push('--loop-server', loopServer);
  const server = await spawnServer([LOOP_BIN, ...args], { name: 'loop gateway' });
  try {
    const adminUrl = await adminUrlOf(server);
    if (loopServer) {
      await waitFor(async () => {
        const text = await metricsText(adminUrl);
        return metricValue(text, 'loop_tap_connected') === 1 && metricValue(text, 'loop_tap_tapconfigs') === tapConfigs;
      }, `the gateway's tap to follow ${tapConfigs} TapConfig(s) from ${loopServer}`);
    }
    return { ...asTarget(server), adminUrl };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** The admin URL is only in the gateway's "gateway listening" log line (info level, JSON on stderr). */
async function adminUrlOf(server: SpawnedServer): Promise<string> {
  let url: string | undefined;
  await waitFor(() => {
    for (const line of server.stderr().split('\n')) {
      if (!line.includes('"gateway listening"')) continue;
      const admin = (JSON.parse(line) as { admin?: unknown }).admin;
      if (typeof admin === 'string') url = admin;
    }
    return Promise.resolve(url !== undefined);
  }, 'the gateway to log its admin address');
  return url!;
}

export async function waitFor(ready: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new LoopError('INTERNAL', `timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface Answer {
  status: number;
  body: Buffer;
}

export function request(url: URL, method: string, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'content-type': 'application/json', 'content-length': body.length } : {};
    const req = http.request(url, { method, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function metricsText(baseUrl: string): Promise<string> {
  const answer = await request(new URL('/metrics', baseUrl), 'GET');
  if (answer.status !== 200) throw new LoopError('INTERNAL', `GET ${baseUrl}/metrics answered ${answer.status}`);
  return answer.body.toString();
}

/**
 * The sum of the samples of `name` in Prometheus text whose labels include `labels` (all of them when
 * `labels` is empty); 0 when there is none.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}
