import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectCdp, decodeServerFrame, encodeClientFrame } from './cdp-client.js';
import { isAlive } from './debugger.js';
import { createNodeDebugger, inspectAddressFromArgv, inspectPortFromArgv } from './node-debugger.js';
import { ownListeners } from './proc-sockets.js';
import { elapsed, httpGetText, startTarget, type Target } from './test-targets.test-helper.js';

const SERVICE = `
const http = require('node:http');
const s = http.createServer((req, res) => res.end('pong'));
s.listen(0, '127.0.0.1', () => console.log('listening ' + s.address().port));
`;

describe('websocket frames', () => {
  it('masks client frames and reads them back', () => {
    const frame = encodeClientFrame('{"id":1}', Buffer.from([1, 2, 3, 4]));
    expect(frame[0]).toBe(0x81);
    expect(frame[1]).toBe(0x80 | 8);
    const unmasked = Buffer.from(frame.subarray(6).map((b, i) => b ^ [1, 2, 3, 4][i % 4]!));
    expect(unmasked.toString()).toBe('{"id":1}');
  });

  it('decodes a 16-bit length server frame only once complete', () => {
    const payload = Buffer.alloc(300, 'a');
    const frame = Buffer.concat([Buffer.from([0x81, 126, 1, 44]), payload]);
    expect(decodeServerFrame(frame.subarray(0, 100))).toBeUndefined();
    expect(decodeServerFrame(frame)).toMatchObject({ opcode: 1, size: 304 });
  });
});

describe('inspectPortFromArgv', () => {
  it.each([
    [['node', 'server.js'], 9229],
    [['node', '--inspect-port=9333', 'server.js'], 9333],
    [['node', '--inspect-port=127.0.0.1:9444', 'server.js'], 9444],
    [['node', '--inspect=0.0.0.0:9555', 'server.js'], 9555],
    [['node', 'server.js', '--inspect-port=1'], 9229],
  ])('%j → %d', (argv, port) => {
    expect(inspectPortFromArgv(argv)).toBe(port);
  });
});

describe('inspectAddressFromArgv', () => {
  it.each([
    [['node', 'server.js'], '', { host: '127.0.0.1', port: 9229 }],
    [['node', '--inspect-port=0.0.0.0:9555', 'server.js'], '', { host: '0.0.0.0', port: 9555 }],
    [['node', '--inspect-port=0.0.0.0', 'server.js'], '', { host: '0.0.0.0', port: 9229 }],
    [['node', '--inspect=[::]:9556', 'server.js'], '', { host: '::', port: 9556 }],
    [['node', 'server.js'], '--max-old-space-size=512 --inspect-port=0.0.0.0:9557', { host: '0.0.0.0', port: 9557 }],
    [['node', '--inspect-port=127.0.0.1:9558', 'server.js'], '--inspect-port=0.0.0.0:9557', { host: '127.0.0.1', port: 9558 }],
  ])('%j with NODE_OPTIONS %j → %j', (argv, nodeOptions, address) => {
    expect(inspectAddressFromArgv(argv, nodeOptions)).toEqual(address);
  });
});

describe('nodejs debugger', () => {
  const targets: Target[] = [];
  afterEach(() => {
    for (const t of targets.splice(0)) t.stop();
  });

  async function service(extraArgs: string[] = []): Promise<{ target: Target; port: number }> {
    const target = startTarget(process.execPath, [...extraArgs, '-e', SERVICE]);
    targets.push(target);
    return { target, port: Number((await target.line(/listening (\d+)/))[1]) };
  }

  it('opens the inspector with SIGUSR1, evaluates over CDP, and closes it on detach', async () => {
    const { target, port } = await service();
    const t0 = process.hrtime.bigint();
    const session = await createNodeDebugger().attach(target.pid);
    console.log(`node inspector ready in ${elapsed(t0)} ms`);
    expect(session.endpoint).toMatchObject({ runtime: 'node', protocol: 'cdp', host: '127.0.0.1', pid: target.pid });
    expect(session.endpoint.websocketUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${session.endpoint.port}/`));

    const cdp = await connectCdp(session.endpoint.websocketUrl!);
    const result = await cdp.send<{ result: { value: unknown } }>('Runtime.evaluate', { expression: '1 + 1' });
    expect(result.result.value).toBe(2);
    const pid = await cdp.send<{ result: { value: unknown } }>('Runtime.evaluate', { expression: 'process.pid' });
    expect(pid.result.value).toBe(target.pid);
    cdp.close();

    await session.detach();
    expect((await ownListeners(target.pid)).map((s) => s.port)).not.toContain(session.endpoint.port);
    expect(isAlive(target.pid)).toBe(true);
    expect(await httpGetText(port)).toBe('pong');
  });

  it('does not take a listener of another process on the inspector port for the inspector of the target', async () => {
    // Someone else owns the port the target's SIGUSR1 inspector wants: the target must not be confused with it.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const squatted = (squatter.address() as { port: number }).port;
    try {
      const { target } = await service([`--inspect-port=127.0.0.1:${squatted}`]);
      const err = await createNodeDebugger().attach(target.pid, { timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DEBUGGER_ATTACH_FAILED', details: { port: squatted } });
      expect((err as Error).message).toContain(`port ${squatted} is held by another process`);
      expect(isAlive(target.pid)).toBe(true);
    } finally {
      squatter.close();
    }
  });

  it('in a pod (relay off), says an inspector that SIGUSR1 cannot open may be open already, and where', async () => {
    // Open from the start on a port argv does not name, as one left open by a session that did not end in order.
    const { target, port } = await service(['--inspect=127.0.0.1:0']);
    const ports = (await ownListeners(target.pid)).map((s) => s.port).sort((a, b) => a - b);
    expect(ports).toHaveLength(2);
    const err = await createNodeDebugger({ netns: { relay: 'off', nsenter: '/nonexistent/nsenter' } }).attach(target.pid, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEBUGGER_TIMEOUT', details: { ports } });
    expect((err as Error).message).toBe(`nodejs: SIGUSR1 opened no new port in process ${target.pid} within 1000 ms: its inspector may be open already, on one of the ports it listens on (${ports.join(', ')}), or the process is stopped or too busy to open it`);
    expect(ports).toContain(port);
    expect(isAlive(target.pid)).toBe(true);
  });

  it('attaches to an inspector on IPv6 loopback, and closes it on detach', async () => {
    // --inspect-port=[::1]:…: the inspector opened on [::1], was probed on 127.0.0.1 only, and the attach
    // waited out its timeout ("the inspector did not open … raise the timeout"), leaving it open.
    const { target, port } = await service(['--inspect-port=[::1]:0']);
    const session = await createNodeDebugger().attach(target.pid, { timeoutMs: 5000 });
    expect(session.endpoint).toMatchObject({ host: '::1', pid: target.pid });
    const cdp = await connectCdp(session.endpoint.websocketUrl!);
    expect((await cdp.send<{ result: { value: unknown } }>('Runtime.evaluate', { expression: 'process.pid' })).result.value).toBe(target.pid);
    cdp.close();
    await session.detach();
    expect((await ownListeners(target.pid)).map((s) => s.port)).toEqual([port]);
    expect(await httpGetText(port)).toBe('pong');
  });

  it('refuses to open an inspector beyond loopback, and opens nothing', async () => {
    // Started with --inspect-port=0.0.0.0:…, SIGUSR1 opened the inspector on every interface; squashctl then
    // waited out its timeout ("the inspector did not open") and left it open there.
    const { target, port } = await service(['--inspect-port=0.0.0.0:0']);
    const err = await createNodeDebugger().attach(target.pid, { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RUNTIME_UNSUPPORTED', details: { host: '0.0.0.0', port: 0 }, hint: expect.stringContaining('--inspect-port=127.0.0.1') });
    expect((err as Error).message).toContain('beyond loopback');
    expect((await ownListeners(target.pid)).map((s) => s.port)).toEqual([port]);
    expect(isAlive(target.pid)).toBe(true);
  });

  it('refuses a process that would die of SIGUSR1', async () => {
    const target = startTarget('/bin/sleep', ['30']);
    targets.push(target);
    await new Promise((r) => setTimeout(r, 50));
    await expect(createNodeDebugger().attach(target.pid)).rejects.toMatchObject({ code: 'RUNTIME_UNSUPPORTED' });
    expect(isAlive(target.pid)).toBe(true);
  });
});
