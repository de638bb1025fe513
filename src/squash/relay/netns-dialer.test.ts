import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../debuggers/debugger.js';
import { ownListeners } from '../debuggers/proc-sockets.js';
import { canRunContainers, startRuncContainer, type RuncContainer } from '../targets/runc-container.test-helper.js';
import { inOtherNetns, netnsDialer, type NetnsDialer } from './netns-dialer.js';
import { openRelay, type Relay } from './tcp-relay.js';

// An echo server on the container's own loopback: reachable only from inside its network namespace.
const ECHO = `
const s = require('node:net').createServer((c) => c.pipe(c));
s.listen(0, '127.0.0.1', () => console.log('echo on ' + s.address().port));
`;

const containers = canRunContainers();
if (!containers && process.env.CI) throw new Error('CI must be able to run runc containers (root and /usr/sbin/runc)');
if (!containers) console.warn('netns dialer: skipped, runc containers need root and /usr/sbin/runc');

/** Sends `text` over `socket` and resolves with what comes back once it is as long. */
function echo(socket: NodeJS.ReadWriteStream & { destroy(): void }, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.length >= text.length) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.once('error', reject);
    socket.write(text);
  });
}

describe('netnsDialer in our own network namespace', () => {
  it('is a plain TCP dialer without a helper', async () => {
    expect(await inOtherNetns(process.pid)).toBe(false);
    const dial = await netnsDialer(process.pid, 1);
    expect(dial.crossesNamespace).toBe(false);
    expect(dial.helperPid).toBeUndefined();
    await expect(dial()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await dial.close();
  });
});

describe.skipIf(!containers)('netnsDialer into a runc container', () => {
  let container: RuncContainer | undefined;
  let dial: NetnsDialer | undefined;
  let relay: Relay | undefined;
  afterEach(async () => {
    await relay?.close();
    await dial?.close();
    await container?.remove();
    relay = dial = container = undefined;
  });

  async function echoContainer(): Promise<{ container: RuncContainer; port: number }> {
    container = await startRuncContainer({ args: [process.execPath, '-e', ECHO], pipeOutput: true });
    return { container, port: Number((await container.waitForOutput(/echo on (\d+)/))[1]) };
  }

  it('reaches a server on the container loopback that the host cannot, and relays it to a host port', async () => {
    const { container, port } = await echoContainer();
    expect(await inOtherNetns(container.pid)).toBe(true);
    // The host's own 127.0.0.1:port is not the container's (nothing listens there, or something else does).
    expect((await ownListeners(process.pid)).map((s) => s.port)).not.toContain(port);

    const t0 = Date.now();
    dial = await netnsDialer(container.pid, port);
    console.log(`netns helper ready in ${Date.now() - t0} ms`);
    expect(dial.crossesNamespace).toBe(true);
    expect(await echo(await dial(), 'hello from the host')).toBe('hello from the host');

    relay = await openRelay({ dial });
    const viaRelay = connect({ host: '127.0.0.1', port: relay.port });
    await new Promise((resolve) => viaRelay.once('connect', resolve));
    expect(await echo(viaRelay, 'x'.repeat(200_000))).toBe('x'.repeat(200_000));
  });

  it('reports a refused port inside the namespace as ECONNREFUSED', async () => {
    const { container, port } = await echoContainer();
    dial = await netnsDialer(container.pid, port === 1 ? 2 : 1);
    await expect(dial()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('runs its helper without any TCP listener, and the helper is gone after close', async () => {
    const { container, port } = await echoContainer();
    dial = await netnsDialer(container.pid, port);
    const helper = dial.helperPid!;
    expect(isAlive(helper)).toBe(true);
    expect(await inOtherNetns(helper)).toBe(true);
    expect(await ownListeners(helper)).toEqual([]);
    await dial.close();
    expect(isAlive(helper)).toBe(false);
    await expect(dial()).rejects.toThrow(/not reachable/);
  });

  it('refuses a process that is gone rather than dialing our own loopback', async () => {
    const { container } = await echoContainer();
    const pid = container.pid;
    await container.remove();
    await expect(netnsDialer(pid, 1)).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
  });
});
