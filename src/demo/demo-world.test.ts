// startDemoWorld's start-up failures: a port in use is named by the demo's own flag, and nothing is left behind.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopError, type LoopError } from '../core/errors.js';
import { listen, type Listening } from '../core/listen.js';
import { freePort, holdPort } from '../core/ports.test-helper.js';
import { demoInstructions, startDemoWorld, type DemoWorld, type DemoWorldOptions } from './demo-world.js';

const open: Listening[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

async function busyPort(): Promise<number> {
  const held = await holdPort();
  open.push(held);
  return held.port;
}

function options(ports: Partial<DemoWorldOptions>, said: string[]): DemoWorldOptions {
  return {
    host: '127.0.0.1',
    loopPort: 0,
    gatewayPort: 0,
    adminPort: 0,
    webPort: 0,
    bluePort: 0,
    greenPort: 0,
    dataDir: '/nonexistent/never-used',
    tapFile: '/nonexistent/never-read.yaml',
    active: 'green',
    loopBin: '/nonexistent/never-run.js',
    say: (line) => said.push(line),
    ...ports,
  };
}

describe('startDemoWorld', () => {
  it('names the loop server port by the demo flag and starts nothing when it is in use', async () => {
    const said: string[] = [];
    const port = await busyPort();
    const err = (await startDemoWorld(options({ loopPort: port }, said)).catch((e: unknown) => e)) as LoopError;
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toBe(`--loop-port: cannot listen on 127.0.0.1:${port}: the address is already in use`);
    expect(err.hint).toBe('another `npm start` may be running: stop it, or give --loop-port another port (loop demo --help)');
    expect(said).toEqual([]);
  });

  it('checks the gateway and admin ports the same way', async () => {
    const port = await busyPort();
    const gateway = (await startDemoWorld(options({ gatewayPort: port }, [])).catch((e: unknown) => e)) as LoopError;
    expect(gateway.message).toMatch(/^--gateway-port: cannot listen on/);
    const admin = (await startDemoWorld(options({ adminPort: port }, [])).catch((e: unknown) => e)) as LoopError;
    expect(admin.message).toMatch(/^--admin-port: cannot listen on/);
  });

  it('releases the service ports it bound when a later one is in use', async () => {
    const blue = await freePort();
    const green = await busyPort();
    const err = (await startDemoWorld(options({ bluePort: blue, greenPort: green }, [])).catch((e: unknown) => e)) as LoopError;
    expect(err.message).toBe(`--green-port: cannot listen on 127.0.0.1:${green}: the address is already in use`);
    expect(err.hint).toContain('--green-port');
    const again = await listen(http.createServer(), { host: '127.0.0.1', port: blue }, '--blue-port');
    open.push(again);
    expect(again.port).toBe(blue);
  });
});

describe('demoInstructions', () => {
  const world = (loop: string, gateway: string, web: string): DemoWorld =>
    ({
      loop: { url: loop },
      gateway: { url: gateway },
      services: { web: { url: web, port: Number(new URL(web).port) }, active: () => 'green' },
    }) as unknown as DemoWorld;
  const tryLines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('  ') && !l.includes(' → '));

  it('gives the plain commands on the default ports', () => {
    const lines = tryLines(demoInstructions(world('http://127.0.0.1:5678', 'http://127.0.0.1:8081', 'http://127.0.0.1:9090')));
    expect(lines.map((l) => l.trim().split('   ')[0])).toEqual([
      'curl -v localhost:8081',
      'npx loopctl list',
      'npx loopctl replay --id 1 --destination web.default:9090',
      'npx loop demo switch blue',
      'npx loopctl replay --id 1 --destination web.default:9090',
    ]);
  });

  it('points loopctl at the loop server, curl at the gateway and switch at web when their ports are not the defaults', () => {
    const text = demoInstructions(world('http://127.0.0.1:47030', 'http://127.0.0.1:47031', 'http://127.0.0.1:47032'));
    expect(tryLines(text).map((l) => l.trim().split('   ')[0])).toEqual([
      'curl -v localhost:47031',
      'npx loopctl --server http://127.0.0.1:47030 list',
      'npx loopctl --server http://127.0.0.1:47030 replay --id 1 --destination web.default:9090',
      'npx loop demo switch blue --web http://127.0.0.1:47032',
      'npx loopctl --server http://127.0.0.1:47030 replay --id 1 --destination web.default:9090',
    ]);
  });

  it('names the loop server and web on another host even on the default ports', () => {
    const text = demoInstructions(world('http://127.0.0.2:5678', 'http://127.0.0.2:8081', 'http://127.0.0.2:9090'));
    expect(text).toContain('npx loopctl --server http://127.0.0.2:5678 list');
    expect(text).toContain('npx loop demo switch blue --web http://127.0.0.2:9090');
    expect(text).toContain('curl -v http://127.0.0.2:8081');
  });
});
