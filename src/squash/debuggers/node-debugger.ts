// The Node inspector: SIGUSR1 makes a running Node process open its inspector (127.0.0.1:9229 unless it was
// started with --inspect-port). Which port it really bound is read from /proc — the listening sockets the
// target itself owns — so another Node process already holding 9229 is never mistaken for the target;
// `/json/list` on that port gives the CDP websocket URL.
// Detach closes the inspector again (`process._debugEnd()` over CDP), which also drops any IDE connected.
// A target in another network namespace (a container) has its inspector on ITS loopback: probing goes
// through a netns forwarder and the endpoint is a host loopback relay (websocketUrl rewritten to it).
// With `netns.relay: 'off'` (a plank in a Kubernetes pod, without CAP_SYS_ADMIN) nothing enters the target's
// namespace: the inspector's port is the one the target newly listens on after SIGUSR1 (from /proc alone),
// the endpoint is that in-namespace port (`namespace: 'target'`, no websocketUrl: an IDE attaching by
// address and port asks /json/list itself), and detach cannot close the inspector again: squashctl does,
// through its port-forward to the target pod (closeInspector), when the session ends.
import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { LoopError } from '../../core/errors.js';
import { formatHostPort, unbracketHost } from '../../core/host-port.js';
import { openNetnsForwarder, type NetnsForwarder, type NetnsOptions } from '../relay/netns-dialer.js';
import { openRelay, type Dialer, type Relay } from '../relay/tcp-relay.js';
import type { AttachSession } from '../squash-types.js';
import { connectCdp } from './cdp-client.js';
import { DEFAULT_ATTACH_TIMEOUT_MS, assertAlive, attachTimeout, isAlive, sleep, whileHolds, type AttachOptions, type Debugger } from './debugger.js';
import { isLoopback, namespaceListeners, ownListeners } from './proc-sockets.js';

export interface NodeDebuggerOptions {
  procRoot?: string;
  /** HTTP GET returning the parsed JSON, for `/json/list`; default node:http via fetch. */
  getJson?: (url: string, timeoutMs: number) => Promise<unknown>;
  /** How to reach a target in another network namespace (nsenter, helper script). */
  netns?: NetnsOptions;
}

interface InspectorTarget {
  id: string;
  type: string;
  webSocketDebuggerUrl?: string;
}

const SIGUSR1 = 10;
const DEFAULT_INSPECT_PORT = 9229;
/** How long a SIGUSR1 inspector may take to appear when its port is already held by another process. */
const BUSY_PORT_GRACE_MS = 1000;

/** The port SIGUSR1 opens: `--inspect-port=`/`--debug-port=`/`--inspect=` ([host:]port), else 9229. */
export function inspectPortFromArgv(argv: string[]): number {
  return inspectAddressFromArgv(argv).port;
}

/**
 * The address SIGUSR1 opens the inspector on: the last `--inspect-port=`/`--debug-port=`/`--inspect=`
 * (`port`, `host:port` or `host`) in NODE_OPTIONS and then argv (argv wins), else 127.0.0.1:9229.
 */
export function inspectAddressFromArgv(argv: string[], nodeOptions = ''): { host: string; port: number } {
  let host = '127.0.0.1';
  let port = DEFAULT_INSPECT_PORT;
  // Node's own options come before the script (argv[0] is node itself); stop at the first non-option.
  const end = argv.findIndex((arg, i) => i > 0 && (arg === '--' || !arg.startsWith('-')));
  for (const arg of [...nodeOptions.split(/\s+/), ...argv.slice(1, end < 0 ? undefined : end)]) {
    const value = /^--(?:inspect-port|debug-port|inspect|inspect-brk|inspect-wait)=(.+)$/.exec(arg)?.[1];
    if (value === undefined) continue;
    const m = /^(?:(.*):)?(\d+)$/.exec(value);
    if (m?.[1] !== undefined) host = m[1];
    else if (!m) host = value;
    if (m) port = Number(m[2]);
  }
  return { host: unbracketHost(host), port };
}

/** Where SIGUSR1 would open the target's inspector, from its command line and its NODE_OPTIONS. */
async function inspectAddressOf(pid: number, procRoot: string): Promise<{ host: string; port: number }> {
  const read = (file: string): Promise<string> => readFile(join(procRoot, String(pid), file), 'utf8').catch(() => '');
  const [cmdline, environ] = await Promise.all([read('cmdline'), read('environ')]);
  const nodeOptions = environ.split('\0').find((e) => e.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length) ?? '';
  return inspectAddressFromArgv(cmdline.split('\0'), nodeOptions);
}

/**
 * Refuses to make a target open its inspector beyond loopback: started with `--inspect-port=0.0.0.0:…`
 * (or `--inspect=…`, or NODE_OPTIONS), SIGUSR1 would open a port that runs code for whoever reaches it.
 */
function assertLoopbackInspector(pid: number, address: { host: string; port: number }): void {
  if (/^127\./.test(address.host) || address.host === 'localhost' || address.host === '::1') return;
  throw new LoopError('RUNTIME_UNSUPPORTED', `nodejs: process ${pid} would open its inspector on ${formatHostPort(address.host, address.port)}, beyond loopback (its --inspect-port or --inspect, or NODE_OPTIONS, names that host): squashctl does not open a debugger port anyone on the network can reach`, {
    hint: 'restart the target with --inspect-port=127.0.0.1:<port> (or a port alone), or start it with --inspect on an address you chose, which squashctl then attaches to',
    details: { pid, host: address.host, port: address.port },
  });
}

async function defaultGetJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

/** True when the process has a handler for `signal` (SigCgt in /proc/PID/status). */
export async function catchesSignal(pid: number, signal: number, procRoot = '/proc'): Promise<boolean> {
  const status = await readFile(join(procRoot, String(pid), 'status'), 'utf8').catch(() => '');
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
  return m ? (BigInt(`0x${m[1]}`) & (1n << BigInt(signal - 1))) !== 0n : false;
}

export function createNodeDebugger(opts: NodeDebuggerOptions = {}): Debugger {
  const procRoot = opts.procRoot ?? '/proc';
  const getJson = opts.getJson ?? defaultGetJson;

  async function inspectorOn(port: number, forwarder?: NetnsForwarder, host = '127.0.0.1'): Promise<string | undefined> {
    try {
      const url = `http://${formatHostPort(host, port)}/json/list`;
      const list = (await (forwarder?.crossesNamespace ? getJsonVia(forwarder.dialer(port, host), url, 500) : getJson(url, 500))) as InspectorTarget[];
      if (!Array.isArray(list)) return undefined;
      return (list.find((t) => t.type === 'node') ?? list[0])?.webSocketDebuggerUrl;
    } catch {
      return undefined;
    }
  }

  /** The inspector's port, from /proc only: argv's port when the target already listens there, else the one SIGUSR1 opens. */
  async function inspectorPortInNamespace(pid: number, options: AttachOptions, deadline: number, timeoutMs: number): Promise<number> {
    const address = await inspectAddressOf(pid, procRoot);
    const inspectPort = address.port;
    const own = await ownListeners(pid, procRoot);
    if (own.some((s) => s.port === inspectPort && isLoopback(s.address))) return inspectPort;
    const before = new Set(own.map((s) => s.port));
    assertLoopbackInspector(pid, address);
    signalInspector(pid);
    const heldByOther = (await namespaceListeners(pid, procRoot)).some((s) => s.port === inspectPort && !before.has(s.port));
    const busyDeadline = Date.now() + BUSY_PORT_GRACE_MS;
    while (Date.now() < deadline) {
      if (heldByOther && Date.now() > busyDeadline) throw inspectorPortBusy(pid, inspectPort);
      if (options.signal?.aborted) throw new LoopError('DEBUGGER_ATTACH_FAILED', 'nodejs: attach aborted', { cause: options.signal.reason });
      if (!isAlive(pid)) throw new LoopError('TARGET_EXITED', `process ${pid} exited during attach`);
      const fresh = (await ownListeners(pid, procRoot)).filter((s) => !before.has(s.port) && isLoopback(s.address));
      // The inspector binds the port argv names; any other new listener is the application's own.
      const inspector = fresh.find((s) => s.port === inspectPort) ?? (fresh.length === 1 ? fresh[0] : undefined);
      if (inspector) return inspector.port;
      await sleep(20);
    }
    // SIGUSR1 opens nothing when the inspector is open already: on a port argv does not name (NODE_OPTIONS,
    // --inspect-port=0), left by a session that could not close it (squashctl killed, its pod's deadline).
    const listening = [...before].sort((a, b) => a - b);
    if (listening.length === 0) throw attachTimeout('nodejs', pid, timeoutMs, 'the inspector did not open');
    throw new LoopError('DEBUGGER_TIMEOUT', `nodejs: SIGUSR1 opened no new port in process ${pid} within ${timeoutMs} ms: its inspector may be open already, on one of the ports it listens on (${listening.join(', ')}), or the process is stopped or too busy to open it`, {
      hint: 'an earlier session that did not end in order (squashctl killed, the plank pod stopped at its deadline) leaves it open: connect to it there (kubectl port-forward to the pod), or restart the process to debug it again',
      details: { debugger: 'nodejs', pid, timeoutMs, ports: listening },
    });
  }

  async function openInNamespace(pid: number, options: AttachOptions, deadline: number, timeoutMs: number): Promise<AttachSession> {
    const port = await inspectorPortInNamespace(pid, options, deadline, timeoutMs);
    let stopped = false;
    const ended = whileHolds(() => !stopped && isAlive(pid));
    return {
      endpoint: { runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', port, pid, namespace: 'target' },
      // Closing the inspector takes a CDP connection, which only the target's namespace can make.
      detach: async () => void (stopped = true),
      ended,
    };
  }

  async function openInspector(pid: number, options: AttachOptions, forwarder: NetnsForwarder, deadline: number, timeoutMs: number): Promise<AttachSession> {
    const listening = await ownListeners(pid, procRoot);
    const before = new Set(listening.map((s) => s.port));
    // Already open (started with --inspect, or attached before)?
    let port: number | undefined;
    let host = '127.0.0.1';
    let url: string | undefined;
    for (const s of listening) {
      url = await inspectorOn(s.port, forwarder, reachHost(s.address));
      if (url) {
        port = s.port;
        host = reachHost(s.address);
        break;
      }
    }
    if (!url) {
      const address = await inspectAddressOf(pid, procRoot);
      assertLoopbackInspector(pid, address);
      signalInspector(pid);
      const inspectPort = address.port;
      const heldByOther = (await namespaceListeners(pid, procRoot)).some((s) => s.port === inspectPort && !before.has(s.port));
      const busyDeadline = Date.now() + BUSY_PORT_GRACE_MS;
      const probed = new Set<number>();
      while (!url && Date.now() < deadline) {
        // Node then only logs "address already in use" on the target's stderr: fail fast with the reason.
        if (heldByOther && Date.now() > busyDeadline) throw inspectorPortBusy(pid, inspectPort);
        if (options.signal?.aborted) throw new LoopError('DEBUGGER_ATTACH_FAILED', 'nodejs: attach aborted', { cause: options.signal.reason });
        if (!isAlive(pid)) throw new LoopError('TARGET_EXITED', `process ${pid} exited during attach`);
        for (const s of await ownListeners(pid, procRoot)) {
          if (before.has(s.port) || probed.has(s.port) || !isLoopback(s.address)) continue;
          url = await inspectorOn(s.port, forwarder, reachHost(s.address));
          if (url) {
            port = s.port;
            host = reachHost(s.address);
          } else probed.add(s.port);
        }
        if (!url) await sleep(20);
      }
    }
    if (!url || port === undefined) {
      throw attachTimeout('nodejs', pid, timeoutMs, 'the inspector did not open');
    }
    const inspectorPort = port;
    // Across network namespaces the IDE gets a host loopback relay to the inspector, and the CDP URL names it.
    const relay = forwarder.crossesNamespace ? await openRelay({ dial: forwarder.dialer(inspectorPort, host) }) : undefined;
    const wsUrl = relay ? rewriteWebsocketUrl(url, relay) : url;
    let stopped = false;
    const ended = whileHolds(() => !stopped && isAlive(pid));
    let detaching: Promise<void> | undefined;
    const detach = (): Promise<void> =>
      (detaching ??= (async () => {
        stopped = true;
        if (isAlive(pid)) await closeInspector(wsUrl, async () => !(await ownListeners(pid, procRoot)).some((s) => s.port === inspectorPort));
        await relay?.close();
        await forwarder.close();
      })());
    return {
      endpoint: { runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: relay ? '127.0.0.1' : host, port: relay?.port ?? inspectorPort, pid, websocketUrl: wsUrl },
      detach,
      ended,
    };
  }

  return {
    name: 'nodejs',
    runtimes: ['node'],
    async available() {
      return { ok: true }; // the inspector is built into Node
    },
    async attach(pid: number, options: AttachOptions = {}): Promise<AttachSession> {
      const timeoutMs = options.timeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
      const deadline = Date.now() + timeoutMs;
      await assertAlive(pid, procRoot);
      // A process without a SIGUSR1 handler would be killed by it: refuse rather than harm the target.
      if (!(await catchesSignal(pid, SIGUSR1, procRoot))) {
        throw new LoopError('RUNTIME_UNSUPPORTED', `nodejs: process ${pid} does not handle SIGUSR1, so it is not a Node process with the inspector available`, {
          hint: 'attach to a Node.js process (not started with --disable-sigusr1), or pick another debugger',
          details: { pid },
        });
      }
      if (opts.netns?.relay === 'off') return openInNamespace(pid, options, deadline, timeoutMs);
      const forwarder = await openNetnsForwarder(pid, { procRoot, ...opts.netns });
      try {
        return await openInspector(pid, options, forwarder, deadline, timeoutMs);
      } catch (err) {
        await forwarder.close();
        throw err;
      }
    },
  };
}

/** How long closing an inspector may take before it is left as it is. */
const CLOSE_INSPECTOR_MS = 2000;

/**
 * Closes a Node inspector again (`process._debugEnd()` over CDP), which also drops any IDE connected to it,
 * and waits up to 2 s until `gone` says it has closed (its port left the target's sockets; through a
 * port-forward, its HTTP side stops answering: _debugEnd leaves open CDP connections be). False when it
 * could not be asked (one IDE holds it, or it is closed already): it is left as it is, the target unharmed.
 */
export async function closeInspector(websocketUrl: string, gone: () => Promise<boolean>): Promise<boolean> {
  let cdp;
  try {
    cdp = await connectCdp(websocketUrl, CLOSE_INSPECTOR_MS);
  } catch {
    return false;
  }
  try {
    cdp.post('Runtime.evaluate', { expression: 'process._debugEnd()' });
    const until = Date.now() + CLOSE_INSPECTOR_MS;
    while (Date.now() < until && !(await gone())) await sleep(20);
    return true;
  } catch {
    return false;
  } finally {
    cdp.close();
  }
}

/** The inspector's `ws://127.0.0.1:9229/<id>` as seen through the relay. */
export function rewriteWebsocketUrl(url: string, relay: Pick<Relay, 'host' | 'port'>): string {
  const u = new URL(url);
  u.hostname = relay.host;
  u.port = String(relay.port);
  return u.toString();
}

/** GET a JSON document over a connection from `dial` (the inspector's HTTP side, in another namespace). */
async function getJsonVia(dial: Dialer, url: string, timeoutMs: number): Promise<unknown> {
  const socket = await dial();
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, createConnection: () => socket as Socket, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.once('end', () => {
        socket.destroy();
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
    req.end();
    socket.resume();
  });
}

/** The address to reach a listener at: IPv6 loopback (`--inspect-port=[::1]:…`) as ::1, else 127.0.0.1. */
function reachHost(address: string): string {
  return address.includes(':') ? '::1' : '127.0.0.1';
}

/** SIGUSR1: a Node process opens its inspector. */
function signalInspector(pid: number): void {
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') {
      throw new LoopError('PERMISSION_DENIED', `nodejs: not allowed to signal process ${pid}`, { cause: err, hint: 'run as the same user as the target, or as root' });
    }
    throw new LoopError('TARGET_EXITED', `process ${pid} exited during attach`, { cause: err });
  }
}

function inspectorPortBusy(pid: number, port: number): LoopError {
  return new LoopError('DEBUGGER_ATTACH_FAILED', `nodejs: process ${pid} could not open its inspector: port ${port} is held by another process`, {
    hint: 'start the target with --inspect-port=<free port> (SIGUSR1 then opens that one), or end the other debugger',
    details: { pid, port },
  });
}
