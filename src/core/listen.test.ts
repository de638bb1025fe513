// listen() and checkBindable(): what a user is told when an address cannot be bound, and that nothing is held.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopError, type LoopError } from './errors.js';
import { checkBindable, listen, type Listening } from './listen.js';
import { holdPort } from './ports.test-helper.js';

const open: Listening[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

async function taken(): Promise<Listening> {
  const held = await holdPort();
  open.push(held);
  return held;
}

describe('listen', () => {
  it('names the flag, the address and the reason when the port is in use, with the system error as cause', async () => {
    const busy = await taken();
    const err = (await listen(http.createServer(), { host: '127.0.0.1', port: busy.port }, '--listen').catch((e: unknown) => e)) as LoopError;
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toBe(`--listen: cannot listen on 127.0.0.1:${busy.port}: the address is already in use`);
    expect(err.hint).toContain(`give --listen another port`);
    expect(err.details).toEqual({ flag: '--listen', host: '127.0.0.1', port: busy.port, errno: 'EADDRINUSE' });
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });

  it('says when the host is not an address of this machine', async () => {
    // 192.0.2.0/24 is TEST-NET-1: documentation only, never assigned to an interface.
    const err = (await listen(http.createServer(), { host: '192.0.2.1', port: 0 }, '--admin').catch((e: unknown) => e)) as LoopError;
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toBe('--admin: cannot listen on 192.0.2.1:0: 192.0.2.1 is not an address of this machine');
    expect(err.hint).toContain('give --admin an address this machine has');
  });

  it('passes the system error through when no flag chose the address', async () => {
    const busy = await taken();
    const err = (await listen(http.createServer(), { host: '127.0.0.1', port: busy.port }).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(isLoopError(err)).toBe(false);
    expect(err.code).toBe('EADDRINUSE');
  });
});

describe('checkBindable', () => {
  it('resolves for a free address and does not keep it', async () => {
    const probe = await taken();
    const port = probe.port;
    await probe.close();
    open.splice(open.indexOf(probe), 1);
    await checkBindable({ host: '127.0.0.1', port }, '--listen');
    const again = await listen(http.createServer(), { host: '127.0.0.1', port }, '--listen');
    open.push(again);
    expect(again.port).toBe(port);
  });

  it('fails as listen would for an address in use', async () => {
    const busy = await taken();
    const err = (await checkBindable({ host: '127.0.0.1', port: busy.port }, '--gateway-port').catch((e: unknown) => e)) as LoopError;
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toBe(`--gateway-port: cannot listen on 127.0.0.1:${busy.port}: the address is already in use`);
  });
});
