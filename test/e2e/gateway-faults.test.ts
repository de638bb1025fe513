// Faults around the tap, with the real processes: the loop server dies under load (the gateway must still
// answer every request, and ship what it queued once the server is back), a bad TapConfig is rejected
// while the previous one stays in force, and TapConfigs whose regular expressions would backtrack for
// hours in JavaScript's engine, met by traffic made for them, cost the gateway nothing out of the way.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../../src/core/spawn-server.js';
import { LOOP_BIN, loopctl, startService } from './harness.js';

let dataDir: string;
let loop: SpawnedServer;
let gateway: SpawnedServer;
let upstream: Awaited<ReturnType<typeof startService>>;
let loopAddress: string;

const tapConfig = (name: string, match: string): string =>
  `apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: ${name}, namespace: default}\nspec:\n  match: '${match}'\n`;

const startLoop = (): Promise<SpawnedServer> =>
  spawnServer([LOOP_BIN, 'serve', '--listen', loopAddress, '--data-dir', dataDir, '--log-level', 'warn'], { name: 'loop serve' });

async function capturedPaths(): Promise<string[]> {
  const r = await loopctl(loop.url, ['list', '--all', '--limit', '1000', '-o', 'json']);
  return (JSON.parse(r.stdout) as { items: Array<{ path: string }> }).items.map((i) => i.path);
}

const captureCount = async (): Promise<number> => (await capturedPaths()).length;

/** Polls (bounded) until the loop server holds `n` captures. */
async function waitForCaptures(n: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < deadline) {
    count = await captureCount();
    if (count >= n) return count;
    await new Promise((r) => setTimeout(r, 200));
  }
  return count;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'loop-faults-'));
  // Odd paths fail (503), even ones succeed.
  upstream = await startService((req) => {
    const n = Number((req.url ?? '/0').slice(1));
    return n % 2 === 1 ? { status: 503, body: `{"n":${n},"error":"flaky"}` } : { status: 200, body: `{"n":${n}}` };
  });
  // Bind once on port 0 to learn a port, then restart on that same port after the kill.
  const first = await spawnServer([LOOP_BIN, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warn'], { name: 'loop serve' });
  loopAddress = first.url.replace('http://', '');
  loop = first;
  const applied = await loopctl(loop.url, ['apply', '-f', '-'], { stdin: tapConfig('failures', 'responseHeaders[":status"] == prefix("5")') });
  expect(applied.code).toBe(0);
  gateway = await spawnServer(
    [LOOP_BIN, 'gateway', '--listen', '127.0.0.1:0', '--admin', 'off', '--route', `/=${upstream.host}:${upstream.port}`, '--loop-server', loop.url, '--log-level', 'warn'],
    { name: 'loop gateway' },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await loop?.stop();
  await upstream?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function get(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('gateway faults', () => {
  it('answers every request while the loop server is killed, and ships the queued failures when it is back', async () => {
    // The tap follows the loop server's TapConfigs; wait until the gateway captures.
    expect(await get(`${gateway.url}/1`, new http.Agent())).toBe(503);
    expect(await waitForCaptures(1)).toBe(1);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const total = 2_000;
    const statuses: number[] = [];
    let next = 2;
    let killed = false;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total + 2) {
          const n = next++;
          if (!killed && n >= total / 2) {
            killed = true;
            loop.child.kill('SIGKILL');
          }
          statuses.push(await get(`${gateway.url}/${n}`, agent));
        }
      }),
    );
    agent.destroy();
    // Every request was answered with the upstream's own status: none failed because of the tap.
    expect(statuses).toHaveLength(total);
    expect(statuses.filter((s) => s === 200)).toHaveLength(total / 2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(total / 2);
    expect(upstream.requests.length).toBe(total + 1);

    // Back on the same address with the same data: the queued failures arrive. The tap's queue (10,000)
    // holds all 1,000 failures, so none may be missing. Delivery is at-least-once: a batch the server
    // stored just before it was killed, unacknowledged, is sent again, so a path may appear twice.
    loop = await startLoop();
    expect(await waitForCaptures(total / 2 + 1)).toBeGreaterThanOrEqual(total / 2 + 1);
    const odd = Array.from({ length: total / 2 }, (_, i) => `/${2 * i + 3}`);
    expect(new Set(await capturedPaths())).toEqual(new Set(['/1', ...odd]));
  });

  it('rejects a TapConfig with a bad expression and keeps the previous one in force', async () => {
    const bad = await loopctl(loop.url, ['apply', '-f', '-'], { stdin: tapConfig('failures', 'responseHeaders[":status"] == prefix("5"') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('spec.match');
    const list = await loopctl(loop.url, ['get', 'tapconfigs', '-o', 'json']);
    expect((JSON.parse(list.stdout) as { items: Array<{ spec: { match: string } }> }).items.map((c) => c.spec.match)).toEqual([
      'responseHeaders[":status"] == prefix("5")',
    ]);
    const before = await captureCount();
    const agent = new http.Agent();
    expect(await get(`${gateway.url}/3`, agent)).toBe(503);
    expect(await get(`${gateway.url}/4`, agent)).toBe(200);
    expect(await waitForCaptures(before + 1)).toBe(before + 1);
  });

  it('runs TapConfig regexes in linear time: a regex() and a redaction pattern that would stall a backtracking engine, against traffic made for them', async () => {
    // In JavaScript's engine the first is exponential in the run of a's, the second cubic in the digits:
    // hours either way, and the gateway's event loop with them.
    const hostile = [
      'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: hostile-match, namespace: default}\nspec:\n  match: \'requestHeaders[":path"] == regex("/(a+)+")\'\n',
      'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: hostile-redact, namespace: default}\nspec:\n  match: \'requestHeaders[":path"] == prefix("/redact")\'\n  redact: {patterns: ["\\\\d+\\\\d+x"]}\n',
    ].join('---\n');
    const applied = await loopctl(loop.url, ['apply', '-f', '-'], { stdin: hostile });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);

    const digits = '1'.repeat(60_000);
    const post = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request(`${gateway.url}/redact`, { method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(digits);
      });
    // The TapConfigs reach the gateway through its watch: post until the redacting one has captured.
    const deadline = Date.now() + 20_000;
    let captured: string[] = [];
    while (Date.now() < deadline) {
      expect(await post()).toBe(200);
      captured = await capturedPaths();
      if (captured.includes('/redact')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(captured).toContain('/redact');
    const id = await loopctl(loop.url, ['list', '--path', '/redact', '-o', 'json']);
    const first = (JSON.parse(id.stdout) as { items: Array<{ id: number }> }).items[0]!.id;
    const stored = JSON.parse((await loopctl(loop.url, ['get', String(first), '-o', 'json'])).stdout) as { request: { body?: { data: string; truncated: boolean } } };
    expect(stored.request.body).toMatchObject({ data: digits, truncated: false });

    const agent = new http.Agent();
    const before = await captureCount();
    expect(await get(`${gateway.url}/${'a'.repeat(10_000)}!`, agent)).toBe(200);
    expect(await get(`${gateway.url}/aaa`, agent)).toBe(200);
    expect(await waitForCaptures(before + 1)).toBe(before + 1);
    expect(await capturedPaths()).toContain('/aaa');
    expect(await get(`${gateway.url}/4`, agent)).toBe(200);
  });
});
