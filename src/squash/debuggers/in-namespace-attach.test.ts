// The nodejs, python and java debuggers with the netns relay off — as a plank in a Kubernetes pod runs them,
// without CAP_SYS_ADMIN — on processes in real runc containers: nothing enters the container's network
// namespace (nsenter is pointed at a path that does not exist), and the endpoint is the debugger's port
// inside it. The check from inside that namespace stands in for the kubelet's port-forward to the pod.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachSession } from '../squash-types.js';
import { EXAMPLES } from '../samples/sample-targets.js';
import { canRunContainers, processesInNetnsOf, startSampleContainer, type RuncContainer, type RuncContainerOptions } from '../targets/runc-container.test-helper.js';
import { isAlive } from './debugger.js';
import { createJavaDebugger } from './java-debugger.js';
import { createNodeDebugger } from './node-debugger.js';
import { createPythonDebugger } from './python-debugger.js';
import { ownListeners } from './proc-sockets.js';

const containers = canRunContainers();
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
/** Any use of nsenter fails: the relay-off path must not need it. */
const netns = { relay: 'off', nsenter: '/nonexistent/nsenter' } as const;

/** Runs a Node ES module one-liner inside the network namespace of `pid` (our mount namespace: our node_modules). */
function inNetns(pid: number, script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, '--', process.execPath, '--input-type=module', '-e', script], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`in-netns script exited ${code}: ${err}`))));
  });
}

const CDP_EVALUATE = `
import WebSocket from 'ws';
const list = await (await fetch('http://127.0.0.1:' + process.env.PORT + '/json/list')).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: '1 + 1' } })));
ws.on('message', (m) => {
  const r = JSON.parse(m);
  if (r.id !== 1) return;
  console.log(JSON.stringify(r.result.result.value));
  ws.close();
});`;

const DAP_INITIALIZE = `
import { connect } from 'node:net';
const s = connect(Number(process.env.PORT), '127.0.0.1');
const body = JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'squash', clientID: 'squash-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' } });
s.on('connect', () => s.write('Content-Length: ' + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body));
let buf = Buffer.alloc(0);
s.on('data', (c) => {
  buf = Buffer.concat([buf, c]);
  for (;;) {
    const end = buf.indexOf('\\r\\n\\r\\n');
    if (end < 0) return;
    const len = Number(/Content-Length: (\\d+)/i.exec(buf.subarray(0, end).toString())[1]);
    if (buf.length < end + 4 + len) return;
    const msg = JSON.parse(buf.subarray(end + 4, end + 4 + len).toString());
    buf = buf.subarray(end + 4 + len);
    if (msg.type === 'response' && msg.command === 'initialize') {
      console.log(JSON.stringify({ success: msg.success, supportsConfigurationDoneRequest: msg.body.supportsConfigurationDoneRequest }));
      s.destroy();
      return;
    }
  }
});`;

const JDWP_HANDSHAKE = `
import { connect } from 'node:net';
const s = connect(Number(process.env.PORT), '127.0.0.1', () => s.write('JDWP-Handshake'));
let got = '';
s.setEncoding('latin1');
s.on('data', (c) => {
  got += c;
  if (got.length >= 14) {
    console.log(got.slice(0, 14));
    s.destroy();
  }
});`;

describe.skipIf(!containers)('debuggers with the netns relay off (in-pod mode) on processes in a runc container', () => {
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

  it("nodejs: finds the port SIGUSR1 opened from /proc and reports it inside the container's namespace", async () => {
    const { container, port } = await sample({
      args: [process.execPath, 'server.js', '0'],
      cwd: '/app',
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'node-service') }],
    });
    session = await createNodeDebugger({ netns }).attach(container.pid);
    const { endpoint } = session;
    expect(endpoint).toEqual({ runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', port: endpoint.port, pid: container.pid, namespace: 'target' });
    const containerPorts = (await ownListeners(container.pid)).map((s) => s.port);
    expect(containerPorts.filter((p) => p !== port)).toEqual([endpoint.port]);
    expect((await ownListeners(process.pid)).map((s) => s.port)).not.toContain(endpoint.port);
    expect(await processesInNetnsOf(container.pid)).toEqual([container.pid]);

    expect(await inNetns(container.pid, CDP_EVALUATE, { PORT: String(endpoint.port) })).toBe('2');
    await session.detach();
    expect(isAlive(container.pid)).toBe(true);
  });

  it("python: injects debugpy by ptrace and reports its adapter's port inside the container's namespace", async () => {
    const { container } = await sample({
      args: ['/usr/bin/python3', 'app.py', '0'],
      cwd: '/app',
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'python-service') }],
    });
    session = await createPythonDebugger({ netns }).attach(container.pid, { timeoutMs: 30_000 });
    const { endpoint } = session;
    expect(endpoint).toMatchObject({ runtime: 'python', debugger: 'python', protocol: 'dap', host: '127.0.0.1', pid: container.pid, namespace: 'target' });
    const adapters = (await processesInNetnsOf(container.pid)).filter((p) => p !== container.pid);
    expect(adapters).toHaveLength(1); // debugpy's adapter, started by the target inside its namespaces
    expect((await ownListeners(adapters[0]!)).map((s) => s.port)).toContain(endpoint.port);

    const answer = JSON.parse(await inNetns(container.pid, DAP_INITIALIZE, { PORT: String(endpoint.port) })) as unknown;
    expect(answer).toEqual({ success: true, supportsConfigurationDoneRequest: true });
    await session.detach();
    expect(isAlive(container.pid)).toBe(true);
    expect(await processesInNetnsOf(container.pid)).toEqual([container.pid]); // the adapter ended
  }, 60_000);

  it("java: reports the JDWP port from the cmdline inside the container's namespace", async () => {
    const { container } = await sample({
      args: ['/usr/bin/java', '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005', 'PaymentService.java', '0'],
      cwd: '/app',
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'java-service') }],
    });
    session = await createJavaDebugger({ netns }).attach(container.pid);
    expect(session.endpoint).toEqual({ runtime: 'java', debugger: 'java', protocol: 'jdwp', host: '127.0.0.1', port: 5005, pid: container.pid, namespace: 'target' });
    expect(await processesInNetnsOf(container.pid)).toEqual([container.pid]);
    expect(await inNetns(container.pid, JDWP_HANDSHAKE, { PORT: '5005' })).toBe('JDWP-Handshake');
  }, 60_000);

  it('java: refuses a JVM-chosen JDWP port it cannot tell apart without entering the namespace', async () => {
    const { container } = await sample({
      args: ['/usr/bin/java', '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0', 'PaymentService.java', '0'],
      cwd: '/app',
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'java-service') }],
    });
    await expect(createJavaDebugger({ netns }).attach(container.pid)).rejects.toMatchObject({ code: 'DEBUGGER_ATTACH_FAILED', hint: expect.stringContaining('address=127.0.0.1:5005') });
  }, 60_000);
});
