// Dialing into another network namespace: a debugger inside a container (the Node inspector, debugpy's
// adapter, a JDWP agent) listens on the container's own 127.0.0.1, which the host cannot reach. Node
// cannot setns(2) itself, so one helper process per target is started with
// `nsenter --net=/proc/PID/ns/net -- node netns-forwarder.js SOCKET`: it runs in the target's network
// namespace but keeps our mount namespace, listens on a filesystem Unix socket in a private (0700) temp
// dir, and connects each connection to the TCP port it is asked for. It never listens on TCP, and it
// dies with us (stdin lifeline) or on close().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoopError, messageOf } from '../../core/errors.js';
import { tcpDialer, type Dialer } from './tcp-relay.js';

/** A dialer that owns resources (a helper process): close it when done. */
export type NetnsDialer = Dialer & {
  /** False when the target shares our network namespace (then this is a plain TCP dialer). */
  readonly crossesNamespace: boolean;
  readonly helperPid: number | undefined;
  /** Stops the helper; connections made through it end. Idempotent. */
  close(): Promise<void>;
};

/** One helper in a target's network namespace, able to dial any port there. */
export interface NetnsForwarder {
  readonly crossesNamespace: boolean;
  /** The helper's PID (host view), when one runs. */
  readonly helperPid: number | undefined;
  /** A dialer for host:port as the target sees them (host defaults to 127.0.0.1). */
  dialer(port: number, host?: string): Dialer;
  /** Stops the helper. Idempotent. */
  close(): Promise<void>;
}

/**
 * How a debugger that listens inside a target's network namespace is reached. 'auto': through an nsenter
 * forwarder when the target is in another namespace (needs CAP_SYS_ADMIN). 'off': never enter it; the
 * debugger reports where it listens in the target's namespace (endpoint `namespace: 'target'`), for a
 * plank in a Kubernetes pod whose caller port-forwards to the target pod instead.
 */
export type NetnsRelayMode = 'auto' | 'off';
export const NETNS_RELAY_MODES: readonly NetnsRelayMode[] = ['auto', 'off'];

export interface NetnsOptions {
  /** Default 'auto'. */
  relay?: NetnsRelayMode;
  procRoot?: string;
  /** The nsenter binary (util-linux); default `nsenter` on PATH. */
  nsenter?: string;
  /** The forwarder script; default the compiled netns-forwarder.js beside this module. */
  helperScript?: string;
  /** Helper start and per-connection connect budget; default 5000 ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Exists and is not a zombie: a zombie has no namespaces left to enter (nor to compare). */
async function isRunning(pid: number, procRoot: string): Promise<boolean> {
  const stat = await readFile(join(procRoot, String(pid), 'stat'), 'utf8').catch(() => '');
  return stat !== '' && !/\) [ZX] /.test(stat);
}

/** The network-namespace inode of a process, or undefined when /proc does not show it. */
async function netnsInode(pidOrSelf: number | 'self', procRoot: string): Promise<string | undefined> {
  return readlink(join(procRoot, String(pidOrSelf), 'ns', 'net')).catch(() => undefined);
}

/** True when `pid` lives in a network namespace other than ours (false when it cannot be told). */
export async function inOtherNetns(pid: number, procRoot = '/proc'): Promise<boolean> {
  const [ours, theirs] = await Promise.all([netnsInode('self', '/proc'), netnsInode(pid, procRoot)]);
  return ours !== undefined && theirs !== undefined && ours !== theirs;
}

/**
 * A dialer for host:port inside the network namespace of `pid`; a plain TCP dialer when that is ours.
 *
 * @example
 * const dial = await netnsDialer(containerPid, 9229);
 * const relay = await openRelay({ dial }); // the inspector inside the container, on a host loopback port
 * // … later: await relay.close(); await dial.close();
 */
export async function netnsDialer(pid: number, port: number, host = '127.0.0.1', options: NetnsOptions = {}): Promise<NetnsDialer> {
  const forwarder = await openNetnsForwarder(pid, options);
  return Object.assign(forwarder.dialer(port, host), {
    crossesNamespace: forwarder.crossesNamespace,
    helperPid: forwarder.helperPid,
    close: () => forwarder.close(),
  });
}

/** Starts (when needed) the helper for `pid`'s network namespace and waits until it accepts connections. */
export async function openNetnsForwarder(pid: number, options: NetnsOptions = {}): Promise<NetnsForwarder> {
  const procRoot = options.procRoot ?? '/proc';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(await isRunning(pid, procRoot))) throw new LoopError('TARGET_NOT_FOUND', `process ${pid} does not exist (or has exited)`, { details: { pid } });
  if (!(await inOtherNetns(pid, procRoot))) {
    return { crossesNamespace: false, helperPid: undefined, dialer: (port, host = '127.0.0.1') => tcpDialer(host, port, timeoutMs), close: async () => undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), 'squash-netns-'));
  const socketPath = join(dir, 'forward.sock');
  let helper: ChildProcess | undefined;
  try {
    const script = options.helperScript ?? (await forwarderScript(dir));
    helper = await startHelper(pid, procRoot, options.nsenter ?? 'nsenter', script, socketPath, timeoutMs);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const child = helper;
  const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  let closing: Promise<void> | undefined;
  return {
    crossesNamespace: true,
    helperPid: child.pid,
    dialer: (port, host = '127.0.0.1') => () => dialThrough(socketPath, host, port, timeoutMs),
    close: () =>
      (closing ??= (async () => {
        child.stdin?.end(); // the lifeline: the helper exits on EOF
        const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
        await exited;
        clearTimeout(timer);
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

/**
 * The compiled forwarder beside this module (dist/). Running from the TypeScript sources (tests), there is
 * none: the source is transpiled (it imports node: modules only) into the helper's private dir.
 */
async function forwarderScript(dir: string): Promise<string> {
  const compiled = fileURLToPath(new URL('./netns-forwarder.js', import.meta.url));
  if (existsSync(compiled)) return compiled;
  const source = fileURLToPath(new URL('./netns-forwarder.ts', import.meta.url));
  if (!existsSync(source)) throw new LoopError('INTERNAL', `the netns forwarder script is missing (looked for ${compiled})`);
  const ts = (await import('typescript')).default;
  const { outputText } = ts.transpileModule(await readFile(source, 'utf8'), {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  const out = join(dir, 'netns-forwarder.mjs');
  await writeFile(out, outputText);
  return out;
}

function startHelper(pid: number, procRoot: string, nsenter: string, script: string, socketPath: string, timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(nsenter, [`--net=${join(procRoot, String(pid), 'ns', 'net')}`, '--', process.execPath, script, socketPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      if (err) {
        child.kill('SIGKILL');
        reject(err);
        return;
      }
      // Our event loop must not wait for the helper; the lifeline ends it when we exit.
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref();
      resolve(child);
    };
    const timer = setTimeout(() => finish(new LoopError('DEBUGGER_TIMEOUT', `the forwarder into the network namespace of process ${pid} did not start within ${timeoutMs} ms`, { details: { pid, output } })), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes('ready\n')) finish();
    });
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.stdin.on('error', () => undefined); // EPIPE when the helper is already gone
    child.once('error', (err: NodeJS.ErrnoException) =>
      finish(
        err.code === 'ENOENT'
          ? new LoopError('DEBUGGER_NOT_INSTALLED', `${nsenter} is not installed (needed to reach a debugger inside another network namespace)`, { cause: err, hint: 'install the Debian package util-linux', details: { package: 'util-linux' } })
          : err,
      ),
    );
    child.once('exit', (code, signal) => finish(helperFailed(pid, output, code, signal)));
  });
}

function helperFailed(pid: number, output: string, code: number | null, signal: NodeJS.Signals | null): LoopError {
  const text = output.trim();
  if (/Operation not permitted|Permission denied/i.test(text)) {
    return new LoopError('PERMISSION_DENIED', `not allowed to enter the network namespace of process ${pid}: ${text}`, {
      hint: 'run as root (entering a namespace needs CAP_SYS_ADMIN), or pass --netns-relay off and reach the debugger from inside the target\'s network namespace',
      details: { pid },
    });
  }
  if (/No such file|No such process/i.test(text)) return new LoopError('TARGET_EXITED', `process ${pid} is gone (its network namespace cannot be entered)`, { details: { pid, output: text } });
  return new LoopError('DEBUGGER_ATTACH_FAILED', `the forwarder into the network namespace of process ${pid} exited (${signal ?? code}): ${text}`, { details: { pid } });
}

/** One connection through the helper: the `HOST PORT` line, then its `OK`/`ERR CODE` answer. */
function dialThrough(socketPath: string, host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath, allowHalfOpen: true });
    let answer = Buffer.alloc(0);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`connect to ${host}:${port} in the target's network namespace timed out after ${timeoutMs} ms`)));
    // Read the answer with 'readable'/read() rather than 'data': once that listener is removed the socket
    // is back in its initial mode, so the caller may pipe it or attach 'data' like any fresh socket.
    const onReadable = (): void => {
      let chunk: Buffer | null;
      let nl = -1;
      while (nl < 0 && (chunk = socket.read() as Buffer | null) !== null) {
        answer = Buffer.concat([answer, chunk]);
        nl = answer.indexOf(0x0a);
      }
      if (nl < 0) return;
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      const line = answer.subarray(0, nl).toString('latin1');
      if (line !== 'OK') {
        const code = line.replace(/^ERR /, '');
        return fail(Object.assign(new Error(`connect to ${host}:${port} in the target's network namespace failed: ${code}`), { code }));
      }
      socket.setTimeout(0);
      const rest = answer.subarray(nl + 1);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const onEnd = (): void => fail(new Error(`the netns forwarder closed the connection to ${host}:${port}`));
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('error', (err) => fail(new Error(`the netns forwarder is not reachable: ${messageOf(err)}`, { cause: err })));
    socket.once('connect', () => socket.write(`${host} ${port}\n`));
  });
}
