// The debuggers against processes inside real runc containers (own PID, network and mount namespaces):
// the Node inspector, debugpy and JDWP listen on the container's loopback and are relayed out; Delve and
// gdbserver attach from the host by ptrace.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachSession } from '../squash-types.js';
import { useBuiltSamples } from '../samples/built-samples-fixture.test-helper.js';
import { EXAMPLES } from '../samples/sample-targets.js';
import { canRunContainers, processesInNetnsOf, startSampleContainer, type RuncContainer, type RuncContainerOptions } from '../targets/runc-container.test-helper.js';
import { connectCdp } from './cdp-client.js';
import { connectDap } from './dap-client.js';
import { createDlvDebugger } from './dlv-debugger.js';
import { connectDlvRpc } from './dlv-rpc-client.js';
import { createGdbDebugger } from './gdb-debugger.js';
import { connectGdbRemote } from './gdb-remote-client.js';
import { isAlive } from './debugger.js';
import { createJavaDebugger } from './java-debugger.js';
import { createNodeDebugger } from './node-debugger.js';
import { createPythonDebugger } from './python-debugger.js';
import { ownListeners } from './proc-sockets.js';
import { elapsed, jdwpVersion } from './test-targets.test-helper.js';

const containers = canRunContainers();
if (!containers && process.env.CI) throw new Error('CI must be able to run runc containers (root and /usr/sbin/runc)');
if (!containers) console.warn('container attach: skipped, runc containers need root and /usr/sbin/runc');


describe.skipIf(!containers)('debuggers on processes in a runc container', () => {
  let container: RuncContainer | undefined;
  let session: AttachSession | undefined;
  afterEach(async () => {
    await session?.detach();
    await container?.remove();
    session = container = undefined;
  });

  async function sample(options: RuncContainerOptions): Promise<{ container: RuncContainer; port: number }> {
    const started = await startSampleContainer(options);
    container = started.container;
    return started;
  }

  it('nodejs: opens the inspector inside the container and relays it to a host port for CDP', async () => {
    const { container, port } = await sample({
      args: [process.execPath, 'server.js', '0'],
      cwd: '/app',
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'node-service') }],
    });
    const t0 = process.hrtime.bigint();
    session = await createNodeDebugger().attach(container.pid);
    console.log(`node inspector in a container ready in ${elapsed(t0)} ms`);
    const { endpoint } = session;
    expect(endpoint).toMatchObject({ runtime: 'node', protocol: 'cdp', host: '127.0.0.1', pid: container.pid });
    expect(endpoint.websocketUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${endpoint.port}/[0-9a-f-]+$`));
    // The inspector listens inside the container; the endpoint is a port on the host.
    const inspectorPorts = (await ownListeners(container.pid)).map((s) => s.port).filter((p) => p !== port);
    expect(inspectorPorts).toHaveLength(1);
    expect((await ownListeners(process.pid)).map((s) => s.port)).toContain(endpoint.port);

    const cdp = await connectCdp(endpoint.websocketUrl!);
    const two = await cdp.send<{ result: { value: unknown } }>('Runtime.evaluate', { expression: '1 + 1' });
    expect(two.result.value).toBe(2);
    const pid = await cdp.send<{ result: { value: unknown } }>('Runtime.evaluate', { expression: 'process.pid' });
    expect(pid.result.value).toBe(1); // PID 1: the code runs in the container's PID namespace
    cdp.close();

    await session.detach();
    expect(isAlive(container.pid)).toBe(true);
    expect((await ownListeners(container.pid)).map((s) => s.port)).toEqual([port]);
    expect((await ownListeners(process.pid)).map((s) => s.port)).not.toContain(endpoint.port);
    expect(await processesInNetnsOf(container.pid)).toEqual([container.pid]);
  });

  it('python: copies debugpy into a container that lacks it, injects it, and relays its DAP adapter', async () => {
    const dist = '/usr/lib/python3/dist-packages';
    const { container, port } = await sample({
      args: ['/usr/bin/python3', 'app.py', '0'],
      cwd: '/app',
      // The container sees the host's /usr, but not the host's debugpy (nor anything else in dist-packages).
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'python-service') }, { destination: dist, tmpfs: true }],
    });
    expect(await readdir(`/proc/${container.pid}/root${dist}`)).toEqual([]);
    const t0 = process.hrtime.bigint();
    session = await createPythonDebugger().attach(container.pid, { timeoutMs: 30_000 });
    console.log(`debugpy in a container ready in ${elapsed(t0)} ms`);
    const { endpoint } = session;
    expect(endpoint).toMatchObject({ runtime: 'python', protocol: 'dap', host: '127.0.0.1', pid: container.pid });
    // The copy the target imported debugpy from, inside the container's /tmp; the host side is gone.
    const copies = (await readdir(`/proc/${container.pid}/root/tmp`)).filter((n) => n.startsWith('.squash-debugpy-'));
    expect(copies).toHaveLength(1);
    expect(await readdir('/tmp')).not.toContain(copies[0]);
    expect((await ownListeners(process.pid)).map((s) => s.port)).toContain(endpoint.port);

    const dap = await connectDap(endpoint.host, endpoint.port);
    const capabilities = await dap.request<{ supportsConfigurationDoneRequest?: boolean }>('initialize', {
      adapterID: 'squash',
      clientID: 'squash-test',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    expect(capabilities.supportsConfigurationDoneRequest).toBe(true);
    dap.close();

    await session.detach();
    expect(isAlive(container.pid)).toBe(true);
    expect((await ownListeners(container.pid)).map((s) => s.port)).toEqual([port]);
    expect((await ownListeners(process.pid)).map((s) => s.port)).not.toContain(endpoint.port);
    expect(await processesInNetnsOf(container.pid)).toEqual([container.pid]); // adapter and forwarder gone
    // debugpy stays loaded in the target (Python cannot unload it), so its copy stays too.
    expect((await readdir(`/proc/${container.pid}/root/tmp`)).filter((n) => n.startsWith('.squash-debugpy-'))).toEqual(copies);
  }, 60_000);

  it('java: finds the JDWP port a JVM in the container chose and relays it (JDWP handshake and VM version)', async () => {
    const { container, port } = await sample({
      args: ['/usr/bin/java', '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0', 'PaymentService.java', '0'],
      cwd: '/app',
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'java-service') }],
    });
    const warnings: string[] = [];
    const t0 = process.hrtime.bigint();
    session = await createJavaDebugger({ warn: (m) => warnings.push(m) }).attach(container.pid);
    console.log(`jdwp in a container ready in ${elapsed(t0)} ms`);
    const { endpoint } = session;
    expect(endpoint).toMatchObject({ runtime: 'java', protocol: 'jdwp', host: '127.0.0.1', pid: container.pid });
    expect(warnings).toEqual([]);
    // The JVM announces (inside the container) the port it listens on after discovery; the endpoint relays it.
    const jdwpPort = Number((await container.waitForOutput(/at address: (\d+)\s[\s\S]*at address: (\d+)/))[2]);
    expect((await ownListeners(container.pid)).map((s) => s.port)).toContain(jdwpPort);
    expect((await ownListeners(process.pid)).map((s) => s.port)).toContain(endpoint.port);

    const version = await jdwpVersion(endpoint.port);
    expect(version.handshake).toBe('JDWP-Handshake');
    expect(version.errorCode).toBe(0);
    expect(version.description).toMatch(/Java|VM/i);

    await session.detach();
    expect(isAlive(container.pid)).toBe(true);
    expect(port).toBeGreaterThan(0);
    expect((await ownListeners(process.pid)).map((s) => s.port)).not.toContain(endpoint.port);
    expect(await processesInNetnsOf(container.pid)).toEqual([container.pid]);
  }, 60_000);

  describe('ptrace debuggers from the host', () => {
    const builtSamples = useBuiltSamples({ timeoutMs: 180_000 });

    /** The sample binary runs from /samples inside, a path that does not exist on the host. */
    const fromSamples = (binary: string): RuncContainerOptions => ({
      args: [`/samples/${path.basename(binary)}`, '0'],
      mounts: [{ destination: '/samples', source: path.dirname(binary) }],
    });

    it('dlv: attaches to a Go binary whose path exists only inside the container, and resolves its functions', async () => {
      const { container } = await sample(fromSamples(builtSamples.get().goBinary));
      const t0 = process.hrtime.bigint();
      session = await createDlvDebugger().attach(container.pid, { timeoutMs: 30_000 });
      console.log(`dlv on a container process ready in ${elapsed(t0)} ms`);
      expect(session.endpoint).toMatchObject({ runtime: 'go', protocol: 'dlv', host: '127.0.0.1', pid: container.pid });

      const rpc = await connectDlvRpc('127.0.0.1', session.endpoint.port);
      const state = await rpc.call<{ State: { exited: boolean } }>('RPCServer.State', { NonBlocking: true });
      expect(state.State.exited).toBe(false);
      // Delve answers symbol queries only while the target is stopped (detach resumes it).
      await rpc.call('RPCServer.Command', { name: 'halt' });
      const found = await rpc.call<{ Locations: { file: string; function: { name: string } }[] }>('RPCServer.FindLocation', { Scope: { GoroutineID: -1 }, Loc: 'main.pay' });
      // DWARF names the path the binary was built at (for the IDE's substitutePath), not a container path.
      expect(found.Locations[0]).toMatchObject({ file: path.join(EXAMPLES, 'go-service', 'main.go'), function: { name: 'main.pay' } });
      rpc.close();

      await session.detach();
      await session.ended;
      expect(isAlive(container.pid)).toBe(true);
      expect(await readFile(`/proc/${container.pid}/stat`, 'utf8')).not.toMatch(/\) t /); // not left stopped
    }, 60_000);

    it('gdb: gdbserver attaches to a C process in the container and serves its executable from the container', async () => {
      const { container } = await sample(fromSamples(builtSamples.get().cBinary));
      const t0 = process.hrtime.bigint();
      session = await createGdbDebugger().attach(container.pid);
      console.log(`gdbserver on a container process ready in ${elapsed(t0)} ms`);
      expect(session.endpoint).toMatchObject({ runtime: 'c', protocol: 'gdb-remote', host: '127.0.0.1', pid: container.pid });

      const client = await connectGdbRemote('127.0.0.1', session.endpoint.port);
      expect(await client.request('qSupported:multiprocess+;swbreak+;qXfer:exec-file:read+')).toMatch(/PacketSize=[0-9a-f]+/);
      expect(await client.request('qfThreadInfo')).toMatch(new RegExp(`^m.*${container.pid.toString(16)}`));
      // gdb asks for the executable and opens it with vFile in the target's filesystem: the container path.
      const exe = await client.request(`qXfer:exec-file:read:${container.pid.toString(16)}:0,fff`);
      expect(exe).toBe(`l/samples/${path.basename(builtSamples.get().cBinary)}`);
      expect(await client.request(`vFile:setfs:${container.pid.toString(16)}`)).toBe('F0');
      expect(await client.request(`vFile:open:${Buffer.from(exe.slice(1)).toString('hex')},0,0`)).toMatch(/^F[0-9a-f]+$/);
      client.close();

      await session.detach();
      await session.ended;
      expect(isAlive(container.pid)).toBe(true);
    }, 60_000);
  });
});
