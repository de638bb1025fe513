// startDemoWorld's start-up failures: a port in use is named by the demo's own flag, and nothing is left behind.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopError, type LoopError } from '../core/errors.js';
import { listen, type Listening } from '../core/listen.js';
import { freePort, holdPort } from '../core/ports.test-helper.js';
import { startDemoWorld, type DemoWorldOptions } from './demo-world.js';

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
