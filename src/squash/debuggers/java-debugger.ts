// JDWP for Java: the agent cannot be loaded into a running JVM, so "attach" means finding the JDWP socket
// the JVM was started with (`-agentlib:jdwp=…,server=y,address=…` in its cmdline) and handing it out.
// With `onjcmd=y` the agent waits for `jcmd PID VM.start_java_debugging`, which we run. A JVM without the
// agent gets JVM_NOT_DEBUGGABLE and the flag to restart it with. Detach has nothing to undo: JDWP stays.
// A JVM in another network namespace (a container) is reached through a netns forwarder, and the endpoint
// is a host loopback relay to its JDWP port (closed, with the forwarder, on detach). With `netns.relay:
// 'off'` (a plank in a Kubernetes pod) the endpoint is the JDWP port inside the target's namespace
// (`namespace: 'target'`), proven from /proc; a JVM-chosen port (address=…:0) is then only found when the
// JVM has exactly one listener, since telling JDWP apart takes a handshake from inside that namespace.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LoopError } from '../../core/errors.js';
import type { AttachSession } from '../squash-types.js';
import type { Duplex } from 'node:stream';
import { openNetnsForwarder, type NetnsForwarder, type NetnsOptions } from '../relay/netns-dialer.js';
import { openRelay, tcpDialer, type Dialer } from '../relay/tcp-relay.js';
import { ownListeners } from './proc-sockets.js';
import { DEFAULT_ATTACH_TIMEOUT_MS, assertAlive, attachTimeout, findExecutable, isAlive, sleep, whileHolds, type AttachOptions, type Debugger } from './debugger.js';

export interface JdwpAgent {
  transport: string;
  server: boolean;
  /** Host part of `address=` ('' for a bare port, '*' for all interfaces). */
  host: string;
  /** 0 when the JVM picked the port itself; it is then found among the JVM's listening sockets. */
  port: number;
  onjcmd: boolean;
}

export const JDWP_HINT = 'start the JVM with -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005';

/** Parses the JDWP agent options from a JVM's argv (`-agentlib:jdwp=` or the old `-Xrunjdwp:`). */
export function parseJdwpAgent(argv: string[]): JdwpAgent | undefined {
  for (const arg of argv) {
    const m = /^(?:-agentlib:jdwp=|-Xrunjdwp:)(.*)$/.exec(arg);
    if (!m) continue;
    const opts = new Map((m[1] ?? '').split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [i < 0 ? kv : kv.slice(0, i), i < 0 ? '' : kv.slice(i + 1)] as [string, string];
    }));
    const address = opts.get('address') ?? '';
    const colon = address.lastIndexOf(':');
    const host = colon < 0 ? '' : address.slice(0, colon);
    const port = Number(colon < 0 ? address : address.slice(colon + 1));
    if (!Number.isInteger(port) || port < 0 || address === '') continue;
    return { transport: opts.get('transport') ?? '', server: opts.get('server') === 'y', host, port, onjcmd: opts.get('onjcmd') === 'y' };
  }
  return undefined;
}

/** True when a JDWP address reaches beyond loopback (a JDWP port is remote code execution). */
export function bindsBeyondLoopback(agent: JdwpAgent): boolean {
  return !(agent.host === '' || agent.host === 'localhost' || agent.host.startsWith('127.') || agent.host === '[::1]' || agent.host === '::1');
}

export interface JavaDebuggerOptions {
  procRoot?: string;
  /** Where warnings go (e.g. a JDWP port open to the network). */
  warn?: (message: string) => void;
  jcmd?: string;
  /** How to reach a JVM in another network namespace (nsenter, helper script). */
  netns?: NetnsOptions;
}

export function createJavaDebugger(opts: JavaDebuggerOptions = {}): Debugger {
  const procRoot = opts.procRoot ?? '/proc';
  const warn = opts.warn ?? (() => undefined);
  const jcmd = opts.jcmd ?? 'jcmd';
  return {
    name: 'java',
    runtimes: ['java'],
    async available() {
      return { ok: true }; // JDWP is part of every JDK/JRE; jcmd is only needed for onjcmd=y
    },
    async attach(pid: number, options: AttachOptions = {}): Promise<AttachSession> {
      const timeoutMs = options.timeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
      await assertAlive(pid, procRoot);
      const argv = (await readFile(join(procRoot, String(pid), 'cmdline'), 'utf8').catch(() => '')).split('\0');
      const agent = parseJdwpAgent(argv);
      if (!agent || !agent.server || agent.transport !== 'dt_socket') {
        throw new LoopError('JVM_NOT_DEBUGGABLE', `java: process ${pid} was not started with a JDWP server socket, and JDWP cannot be loaded into a running JVM`, {
          hint: `${JDWP_HINT} (or add onjcmd=y to enable it later with: jcmd ${pid} VM.start_java_debugging)`,
          details: { pid, agent: agent ?? null },
        });
      }
      if (bindsBeyondLoopback(agent)) {
        warn(`java: process ${pid} listens for JDWP on ${agent.host}:${agent.port}, beyond loopback: anyone who reaches it can run code in the JVM`);
      }
      if (agent.onjcmd) {
        const exe = await findExecutable(jcmd);
        if (!exe) throw new LoopError('DEBUGGER_NOT_INSTALLED', 'java: jcmd is needed to start JDWP (onjcmd=y) but is not installed', { hint: 'install the JDK (Debian: openjdk-17-jdk-headless)', details: { package: 'openjdk-17-jdk-headless' } });
        await promisify(execFile)(exe, [String(pid), 'VM.start_java_debugging'], { timeout: timeoutMs }).catch((err: unknown) => {
          throw new LoopError('DEBUGGER_ATTACH_FAILED', `java: jcmd ${pid} VM.start_java_debugging failed`, { cause: err });
        });
      }
      const deadline = Date.now() + timeoutMs;
      if (opts.netns?.relay === 'off') return inNamespace(pid, agent, deadline, timeoutMs, options.signal);
      const forwarder = await openNetnsForwarder(pid, { procRoot, ...opts.netns });
      try {
        return await endpointFor(pid, agent, forwarder, deadline, timeoutMs, options.signal);
      } catch (err) {
        await forwarder.close();
        throw err;
      }
    },
  };

  async function inNamespace(pid: number, agent: JdwpAgent, deadline: number, timeoutMs: number, signal?: AbortSignal): Promise<AttachSession> {
    let port = agent.port;
    if (port === 0) {
      const own = await ownListeners(pid, procRoot);
      if (own.length !== 1) {
        throw new LoopError('DEBUGGER_ATTACH_FAILED', `java: process ${pid} has a JDWP agent on a JVM-chosen port and ${own.length} listening sockets; without entering its network namespace the JDWP one cannot be told apart`, {
          hint: `${JDWP_HINT} (a fixed port)`,
          details: { pid, ports: own.map((s) => s.port) },
        });
      }
      port = own[0]!.port;
    }
    if (!(await listensOn(pid, port, procRoot, deadline, signal))) {
      if (!isAlive(pid)) throw new LoopError('TARGET_EXITED', `process ${pid} exited during attach`);
      throw attachTimeout('java', pid, timeoutMs, `the JDWP port ${port} did not accept connections`);
    }
    let detached = false;
    const ended = whileHolds(() => !detached && isAlive(pid));
    return {
      endpoint: { runtime: 'java', debugger: 'java', protocol: 'jdwp', host: agentHostOf(agent), port, pid, namespace: 'target' },
      detach: async () => void (detached = true),
      ended,
    };
  }

  async function endpointFor(pid: number, agent: JdwpAgent, forwarder: NetnsForwarder, deadline: number, timeoutMs: number, signal?: AbortSignal): Promise<AttachSession> {
    const host = '127.0.0.1';
    // Inside the target's namespace the agent is reached where it binds (its loopback unless it names an address).
    const agentHost = agentHostOf(agent);
    const dialer = (port: number): Dialer => (forwarder.crossesNamespace ? forwarder.dialer(port, agentHost) : tcpDialer(host, port));
    const port = agent.port !== 0 ? agent.port : await findJdwpListener(pid, procRoot, deadline, dialer);
    if (port === undefined) throw new LoopError('DEBUGGER_ATTACH_FAILED', `java: process ${pid} has a JDWP agent on a JVM-chosen port, but none of its sockets answers the JDWP handshake`, { details: { pid } });
    // Ready when the JVM itself listens there (from /proc: a probing connection would be taken by the agent
    // as a debugger session).
    if (!(await listensOn(pid, port, procRoot, deadline, signal))) {
      if (!isAlive(pid)) throw new LoopError('TARGET_EXITED', `process ${pid} exited during attach`);
      throw attachTimeout('java', pid, timeoutMs, `the JDWP port ${port} did not accept connections`);
    }
    const relay = forwarder.crossesNamespace ? await openRelay({ dial: dialer(port) }) : undefined;
    let detached = false;
    const ended = whileHolds(() => !detached && isAlive(pid));
    let detaching: Promise<void> | undefined;
    return {
      endpoint: { runtime: 'java', debugger: 'java', protocol: 'jdwp', host, port: relay?.port ?? port, pid },
      detach: () =>
        (detaching ??= (async () => {
          detached = true;
          await relay?.close();
          await forwarder.close();
        })()),
      ended,
    };
  }
}

/** Where the agent is reached inside the JVM's namespace: its loopback unless it names an address. */
function agentHostOf(agent: JdwpAgent): string {
  return ['', '*', 'localhost', '0.0.0.0', '::', '[::]'].includes(agent.host) ? '127.0.0.1' : agent.host.replace(/^\[(.*)\]$/, '$1');
}

/**
 * With `address=…:0` the JVM chose the port, and /proc cannot tell which of its listeners is JDWP. The one
 * that echoes the JDWP handshake is; but after that probe session the agent listens again on a NEW
 * ephemeral port (verified with JDK 17), so the endpoint is the listener that appears after the probe.
 */
async function findJdwpListener(pid: number, procRoot: string, deadline: number, dialer: (port: number) => Dialer): Promise<number | undefined> {
  const before = await ownListeners(pid, procRoot);
  const known = new Set(before.map((s) => s.port));
  for (const s of before) {
    if (!(await answersJdwpHandshake(dialer(s.port)))) continue;
    while (Date.now() < deadline) {
      const now = await ownListeners(pid, procRoot);
      const fresh = now.find((l) => !known.has(l.port));
      if (fresh) return fresh.port;
      await sleep(20);
    }
    return undefined;
  }
  return undefined;
}

function answersJdwpHandshake(dial: Dialer): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: Duplex | undefined;
    let got = '';
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    dial().then(
      (s) => {
        socket = s;
        if (settled) return void s.destroy();
        s.setEncoding('latin1');
        s.on('data', (c: string) => {
          got += c;
          if (got.length >= 14) done(got.startsWith('JDWP-Handshake'));
        });
        s.once('error', () => done(false));
        s.write('JDWP-Handshake');
      },
      () => done(false),
    );
  });
}

async function listensOn(pid: number, port: number, procRoot: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
  while (Date.now() < deadline && !signal?.aborted && isAlive(pid)) {
    if ((await ownListeners(pid, procRoot)).some((s) => s.port === port)) return true;
    await sleep(25);
  }
  return false;
}
