import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { Debugger, DebuggerRegistry } from '../debuggers/index.js';
import { createDebuggerRegistry } from '../debuggers/index.js';
import { startZombie } from '../debuggers/test-targets.test-helper.js';
import type { AttachSession, DebuggerName, ProcessInfo } from '../squash-types.js';
import { chooseDebugger, relayedEndpoint, startPlank } from './plank-agent.js';
import type { AttachOptionValues } from './plank-options.js';
import type { ResolvedTarget } from './plank-target.js';

const processInfo = (pid: number): ProcessInfo => ({ pid, ppid: 1, exe: '/usr/bin/x', cmdline: ['x'], comm: 'x', uid: 0, namespaces: {} });
const target = (runtime?: 'go' | 'node' | 'python' | 'c' | 'java'): ResolvedTarget => ({
  process: processInfo(42),
  ...(runtime ? { runtime: { runtime, evidence: `test ${runtime}` } } : {}),
});

describe('chooseDebugger', () => {
  const registry = createDebuggerRegistry();
  it.each([
    ['go', undefined, 'dlv'],
    ['node', undefined, 'nodejs'],
    ['c', undefined, 'gdb'],
    ['java', 'java', 'java'],
    ['go', 'gdb', 'gdb'],
    ['python', 'gdb', 'gdb'],
    [undefined, 'python', 'python'],
  ] as const)('runtime %s, --debugger %s → %s', (runtime, requested, expected) => {
    expect(chooseDebugger(target(runtime), requested as DebuggerName | undefined, registry).name).toBe(expected);
  });

  it('refuses a debugger that does not serve the detected runtime, naming the one that does', () => {
    expect(() => chooseDebugger(target('node'), 'python', registry)).toThrow(expect.objectContaining({ code: 'RUNTIME_UNSUPPORTED', hint: expect.stringContaining('--debugger nodejs') }));
  });

  it('asks for --debugger when the runtime is unknown', () => {
    expect(() => chooseDebugger(target(), undefined, registry)).toThrow(expect.objectContaining({ code: 'RUNTIME_UNSUPPORTED', hint: expect.stringContaining('--debugger') }));
  });
});

describe('relayedEndpoint', () => {
  it('points host, port and the CDP websocket URL at the relay', () => {
    const ep = relayedEndpoint(
      { runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', port: 9229, pid: 7, websocketUrl: 'ws://127.0.0.1:9229/abc-def' },
      { host: '127.0.0.1', port: 40001 },
    );
    expect(ep).toEqual({ runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', port: 40001, pid: 7, websocketUrl: 'ws://127.0.0.1:40001/abc-def' });
  });
});

/** A debugger stand-in whose "debugger server" is a real echo server; `end()` makes it die on its own. */
function fakeDebugger(endpointExtra: Partial<AttachSession['endpoint']> = {}): { registry: DebuggerRegistry; detached: () => number; end: () => void; server: () => Server | undefined } {
  let detaches = 0;
  let endIt = (): void => {};
  let server: Server | undefined;
  const dbg: Debugger = {
    name: 'python',
    runtimes: ['python'],
    available: async () => ({ ok: true }),
    async attach(pid) {
      server = createServer((s) => s.pipe(s));
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const ended = new Promise<void>((r) => (endIt = r));
      const session: AttachSession = {
        endpoint: { runtime: 'python', debugger: 'python', protocol: 'dap', host: '127.0.0.1', port, pid, ...endpointExtra },
        detach: async () => {
          detaches++;
          server!.close();
        },
        ended,
      };
      return session;
    },
  };
  const registry: DebuggerRegistry = { all: [dbg], byName: () => dbg, debuggerFor: () => dbg };
  return { registry, detached: () => detaches, end: () => endIt(), server: () => server };
}

function echoOnce(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once('error', reject);
  });
}

describe('startPlank with a stand-in debugger and a real target process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  const sleeper = async (): Promise<ChildProcess> => {
    const child = spawn('/usr/bin/python3', ['-c', 'import time; time.sleep(600)'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => child.once('spawn', r));
    return child;
  };
  const options = (pid: number, over: Partial<AttachOptionValues> = {}): AttachOptionValues => ({ pid, container: '', debugger: undefined, ttl: 60_000, port: 0, timeout: 5_000, ...over });

  it('relays the debugger port, reports when it expires, and detaches when stopped', async () => {
    const child = await sleeper();
    const fake = fakeDebugger();
    const plank = await startPlank(options(child.pid!), { registry: fake.registry, logger: silentLogger, clock: () => new Date('2030-01-01T00:00:00Z'), selfPid: 99 });
    expect(plank.ready.plank).toEqual({ pid: 99, expiresAt: '2030-01-01T00:01:00.000Z', ttlMs: 60_000 });
    expect(plank.ready.endpoint.port).not.toBe((fake.server()!.address() as { port: number }).port);
    expect(await echoOnce(plank.ready.endpoint.port, 'hello')).toBe('hello');
    expect(await plank.stop('test')).toEqual({ reason: 'stopped', detail: 'test', exitCode: 0 });
    expect(fake.detached()).toBe(1);
    await expect(echoOnce(plank.ready.endpoint.port, 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(child.exitCode).toBeNull();
  });

  it("hands out an endpoint inside the target's network namespace as it is, opening no relay", async () => {
    const child = await sleeper();
    const fake = fakeDebugger({ namespace: 'target' });
    const plank = await startPlank(options(child.pid!), { registry: fake.registry, logger: silentLogger });
    const debuggerPort = (fake.server()!.address() as { port: number }).port;
    expect(plank.ready.endpoint).toMatchObject({ host: '127.0.0.1', port: debuggerPort, namespace: 'target' });
    await plank.stop('test');
    expect(fake.detached()).toBe(1);
  });

  it('lets go by itself when the TTL runs out', async () => {
    const child = await sleeper();
    const fake = fakeDebugger();
    const plank = await startPlank(options(child.pid!, { ttl: 200 }), { registry: fake.registry, logger: silentLogger });
    expect(await plank.ended).toMatchObject({ reason: 'ttl', exitCode: 0 });
    expect(fake.detached()).toBe(1);
  });

  it('lets go when the target exits', async () => {
    const child = await sleeper();
    const fake = fakeDebugger();
    const plank = await startPlank(options(child.pid!), { registry: fake.registry, logger: silentLogger, pollMs: 20 });
    child.kill('SIGKILL');
    expect(await plank.ended).toMatchObject({ reason: 'target-exited', exitCode: 0 });
  });

  it('fails (exit code 1) when the debugger dies under a running target', async () => {
    const child = await sleeper();
    const fake = fakeDebugger();
    const plank = await startPlank(options(child.pid!), { registry: fake.registry, logger: silentLogger });
    fake.end();
    expect(await plank.ended).toMatchObject({ reason: 'debugger-ended', exitCode: 1 });
  });

  it('says a zombie target has exited, before any debugger is chosen', async () => {
    const zombie = await startZombie();
    try {
      const fake = fakeDebugger();
      // A zombie has no executable left to detect a runtime from: this read "cannot tell which runtime".
      await expect(startPlank(options(zombie.pid), { registry: fake.registry, logger: silentLogger })).rejects.toMatchObject({ code: 'TARGET_EXITED', message: expect.stringContaining('has exited') });
      expect(fake.detached()).toBe(0);
    } finally {
      zombie.stop();
    }
  });

  it('detaches again when its relay port is taken, and reports the port', async () => {
    const child = await sleeper();
    const fake = fakeDebugger();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      await expect(startPlank(options(child.pid!, { port }), { registry: fake.registry, logger: silentLogger })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      expect(fake.detached()).toBe(1);
    } finally {
      busy.close();
    }
  });
});
