// `loop demo --host ::1`: the world on IPv6 loopback. The demo hands its children host:port arguments
// (--listen, --admin, --alias), where an IPv6 literal needs brackets; unbracketed, loop serve refused them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld, type DemoWorld } from '../../src/demo/demo-world.js';
import { LOOP_BIN, ROOT, loopctl } from './harness.js';

let world: DemoWorld;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'loop-demo-v6-'));
  world = await startDemoWorld({
    host: '::1',
    loopPort: 0,
    gatewayPort: 0,
    adminPort: 0,
    webPort: 0,
    bluePort: 0,
    greenPort: 0,
    dataDir,
    tapFile: path.join(ROOT, 'examples/tutorial/gloo-loop/tap.yaml'),
    active: 'green',
    loopBin: LOOP_BIN,
    say: () => undefined,
  });
});

afterAll(async () => {
  await world?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('loop demo on ::1', () => {
  it('listens on [::1], captures the failure and replays it through the web.default alias', async () => {
    expect(world.loop.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect(world.gateway.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await fetch(world.gateway.url)).status).toBe(500);
    for (let i = 0; i < 100; i++) {
      const list = await loopctl(world.loop.url, ['list', '-o', 'json']);
      if ((JSON.parse(list.stdout) as { items: unknown[] }).items.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await loopctl(world.loop.url, ['replay', '--id', '1', '--destination', 'web.default:9090']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^replayed capture 1 to web\\.default:9090 \\(\\[::1\\]:${world.services.web.port}\\): 500 in \\d+ ms`));
  });
});
