import { createServer, connect, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openRelay, tcpDialer, type Relay } from './tcp-relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { server, port: (server.address() as { port: number }).port };
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(text));
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

async function relayTo(port: number, extra: Partial<Parameters<typeof openRelay>[0]> = {}): Promise<Relay> {
  const relay = await openRelay({ dial: tcpDialer('127.0.0.1', port), ...extra });
  cleanups.push(() => relay.close());
  return relay;
}

describe('openRelay', () => {
  it('listens on loopback and carries bytes both ways, for several connections at once', async () => {
    const { port } = await echoServer();
    const relay = await relayTo(port);
    expect(relay.host).toBe('127.0.0.1');
    expect(relay.port).not.toBe(port);
    const big = 'x'.repeat(1 << 20);
    const replies = await Promise.all([roundTrip(relay.port, 'hello'), roundTrip(relay.port, big)]);
    expect(replies[0]).toBe('hello');
    expect(replies[1]).toHaveLength(big.length);
  });

  it('closes the client connection when the dial fails, and reports why', async () => {
    const { server, port } = await echoServer();
    await new Promise<void>((r) => server.close(() => r()));
    const errors: unknown[] = [];
    const relay = await relayTo(port, { onDialError: (e) => errors.push(e) });
    expect(await roundTrip(relay.port, 'anyone?')).toBe('');
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('close() ends the relayed connections and frees the port', async () => {
    const { port } = await echoServer();
    const relay = await relayTo(port);
    const s = connect({ host: '127.0.0.1', port: relay.port });
    await new Promise((r) => s.once('connect', r));
    await expect.poll(() => relay.connections).toBe(1);
    const ended = new Promise((r) => s.once('close', r));
    await relay.close();
    await ended;
    await expect(roundTrip(relay.port, 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('names the port when the requested one is taken', async () => {
    const { port } = await echoServer();
    await expect(openRelay({ dial: tcpDialer('127.0.0.1', port), port })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(String(port)),
    });
  });
});
