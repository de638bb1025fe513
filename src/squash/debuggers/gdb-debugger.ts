// gdbserver for C (and anything with DWARF), attached lazily: gdbserver stops its tracee from the moment
// it attaches until a client continues it, so attaching at `squashctl --pid` time would stop a service
// for as long as nobody connects (up to the plank's TTL). Instead the endpoint is our own loopback
// listener; the target runs untouched until a client connects. Each connection (one at a time) starts
// `gdbserver --once --attach 127.0.0.1:0 PID` (a private port), relays the client to it, and when the
// client goes the session is ended here: gdbserver detaches, the target runs on, and the endpoint waits
// for the next client.
//
// Ending a session ourselves, not leaving it to gdbserver: a client that vanishes while the target runs
// (an IDE closed or killed after "continue") leaves gdbserver waiting for the target with its breakpoints
// written in the target's code, and the target dies of SIGTRAP when it reaches one. So the relay watches
// which side holds the target (a resume packet from the client: running; any reply but console output
// from gdbserver: stopped) and, when the client is gone, stops a running target with SIGINT (gdb does not
// pass SIGINT on: the target never sees it), then sends `D` (breakpoints removed, target resumed,
// detached; with --once gdbserver exits). When that does not work out in time, SIGTERM: the kernel
// detaches a tracee when its tracer dies.
// A client's kill request (an IDE's Stop) never reaches gdbserver: it is answered as done and the target is
// detached like above (killFilter).
// Known limit: the IDE's "pause" (gdb interrupt) makes gdbserver signal the target's process group, which
// fails when the target does not lead its group (a worker forked by a service, a process started from a
// shell pipeline); gdbserver then logs "Sending SIGINT to process group … failed" and nothing stops.
// Breakpoints are unaffected; `kill -INT PID` pauses such a target by hand. Containers' main processes
// lead their own group.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { LoopError, messageOf } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { AttachSession } from '../squash-types.js';
import { assertTraceable } from '../targets/tracer.js';
import {
  DEFAULT_ATTACH_TIMEOUT_MS,
  assertAlive,
  executableAvailability,
  requireExecutable,
  sleep,
  startServer,
  stopChild,
  type AttachOptions,
  type Debugger,
  type StartedServer,
} from './debugger.js';
import { gdbPacket } from './gdb-remote-client.js';

export interface GdbDebuggerOptions {
  /** The gdbserver binary; default `gdbserver` on PATH. */
  command?: string;
  /** How long ending a session may take (interrupt, `D`, gdbserver's exit) before SIGTERM. Default 3 s. */
  detachMs?: number;
}

const LISTENING = /Listening on port (\d+)/;

export function createGdbDebugger(opts: GdbDebuggerOptions = {}): Debugger {
  const command = opts.command ?? 'gdbserver';
  return {
    name: 'gdb',
    runtimes: ['c'],
    available: () => executableAvailability(command, 'gdbserver'),
    async attach(pid: number, options: AttachOptions = {}): Promise<AttachSession> {
      const host = options.host ?? '127.0.0.1';
      const exe = await requireExecutable('gdb', command, 'gdbserver');
      await assertAlive(pid);
      assertTraceable('gdb', pid);
      return listenForClients({
        pid,
        host,
        port: options.port ?? 0,
        exe,
        timeoutMs: options.timeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS,
        detachMs: opts.detachMs ?? 3000,
        logger: options.logger ?? silentLogger,
      });
    },
  };
}

interface ListenOptions {
  pid: number;
  host: '127.0.0.1';
  port: number;
  exe: string;
  timeoutMs: number;
  detachMs: number;
  logger: Logger;
}

async function listenForClients(o: ListenOptions): Promise<AttachSession> {
  let active: { client: Socket; done: Promise<void> } | undefined;
  let closing = false;
  const stopping = new AbortController();
  const server: Server = createServer((client) => {
    client.on('error', () => client.destroy());
    if (closing) return void client.destroy();
    if (active) {
      o.logger.warn('refused a second debugger client: gdbserver serves one client at a time', { pid: o.pid });
      return void client.destroy();
    }
    const session = { client, done: serveClient(client, o, stopping.signal) };
    active = session;
    void session.done.finally(() => {
      if (active === session) active = undefined;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const ended = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let detaching: Promise<void> | undefined;
  const detach = (): Promise<void> =>
    (detaching ??= (async () => {
      closing = true;
      stopping.abort(new Error('the plank is letting go'));
      server.close();
      if (active) {
        // The client is dropped; serveClient then ends its gdbserver session (interrupt, D, or SIGTERM).
        active.client.destroy();
        await active.done;
      }
      await ended;
    })());
  return {
    endpoint: { runtime: 'c', debugger: 'gdb', protocol: 'gdb-remote', host: o.host, port, pid: o.pid },
    detach,
    ended,
  };
}

/** Where the target is, as far as the remote protocol tells: resumed by the client, or stopped. */
export interface ProtocolState {
  running: boolean;
  nonStop: boolean;
  /** `type,addr,kind` of each breakpoint or watchpoint the client inserted (Z) and did not remove (z). */
  breakpoints: Set<string>;
}

/**
 * Calls `onPacket` with the first bytes of each `$…#` (or `%…#` notification) packet in a remote protocol
 * stream. `$` and `#` never occur inside a packet (binary data escapes them), so no checksum is needed.
 */
export function packetScanner(onPacket: (head: string) => void): (chunk: Buffer) => void {
  let inPacket = false;
  let head = '';
  return (chunk) => {
    for (const byte of chunk) {
      if (!inPacket) {
        if (byte === 0x24 || byte === 0x25) {
          inPacket = true;
          head = '';
        }
      } else if (byte === 0x23) {
        inPacket = false;
        onPacket(head);
      } else if (head.length < 64) head += String.fromCharCode(byte);
    }
  };
}

/**
 * The client's bytes as they go on to gdbserver, minus kill requests. An IDE's Stop asks gdbserver to kill
 * the target (cpptools does on its `launch` configuration, the one for an already-running gdbserver; so
 * does gdb's `kill`), and a plank never ends its target: `vKill;pid` and `k` are answered here as done
 * (gdb then takes the process for gone and hangs up) and never reach gdbserver; the client's leaving then
 * detaches the target as for any client. Whole packets are held until their checksum, everything else
 * (acks, the interrupt byte) passes at once.
 */
export function killFilter(forward: (bytes: Buffer) => void, answer: (reply: string) => void): (chunk: Buffer) => void {
  let packet: number[] | undefined; // from '$' on
  let checksumLeft = 0;
  return (chunk) => {
    const out: number[] = [];
    for (const byte of chunk) {
      if (packet === undefined) {
        if (byte === 0x24) packet = [byte];
        else out.push(byte);
        continue;
      }
      packet.push(byte);
      if (checksumLeft === 0) {
        if (byte === 0x23) checksumLeft = 2;
        continue;
      }
      if (--checksumLeft > 0) continue;
      const body = Buffer.from(packet.slice(1, -3)).toString('latin1');
      // `k` has no reply; vKill's is OK. The + acknowledges the packet (ignored in no-ack mode).
      if (body === 'k' || body.startsWith('vKill;')) answer(body === 'k' ? '+' : `+${gdbPacket('OK')}`);
      else for (const b of packet) out.push(b);
      packet = undefined;
    }
    if (out.length > 0) forward(Buffer.from(out));
  };
}

/** Continue, step, reverse continue/step (all-stop): the target runs until a stop reply. */
const RESUME = /^(?:[cCsS]|vCont;[cCsS]|b[cs])/;
/** Inserting (Z) or removing (z) a breakpoint or watchpoint: `Z0,addr,kind` (conditions after `;`). */
const BREAKPOINT = /^([Zz])([0-4],[0-9a-fA-F]+,[0-9a-fA-F]+)/;
/** Console output gdbserver sends while the target runs: `O` and hex digits ("OK" is a reply). */
const CONSOLE_OUTPUT = /^O[0-9a-fA-F]+$/;

/**
 * Follows a session from the heads of the packets each side sends (packetScanner): whether the client has
 * resumed the target (until gdbserver's next reply other than console output), all-stop or non-stop, and
 * the breakpoints the client inserted and has not removed.
 */
export function protocolTracker(): { state: ProtocolState; fromClient(head: string): void; fromServer(head: string): void } {
  const state: ProtocolState = { running: false, nonStop: false, breakpoints: new Set() };
  return {
    state,
    fromClient(head) {
      if (RESUME.test(head)) state.running = true;
      if (head.startsWith('QNonStop:')) state.nonStop = head === 'QNonStop:1';
      const point = BREAKPOINT.exec(head);
      if (point) state.breakpoints[point[1] === 'Z' ? 'add' : 'delete'](point[2]!);
    },
    fromServer(head) {
      if (!CONSOLE_OUTPUT.test(head)) state.running = false;
    },
  };
}

/** Relays one client to a gdbserver attached for it; resolves once the target is detached again. */
async function serveClient(client: Socket, o: ListenOptions, stopping: AbortSignal): Promise<void> {
  client.pause();
  const log = o.logger.child({ pid: o.pid });
  log.info('debugger client connected: attaching gdbserver', { client: `${client.remoteAddress}:${client.remotePort}` });
  let server: StartedServer<number> | undefined;
  let upstream: Socket;
  try {
    assertTraceable('gdb', o.pid);
    server = await startServer('gdb', o.pid, o.exe, ['--once', '--attach', '127.0.0.1:0', String(o.pid)], (line) => {
      const m = LISTENING.exec(line);
      return m ? Number(m[1]) : undefined;
    }, { timeoutMs: o.timeoutMs, signal: stopping });
    upstream = await connectTo(server.ready, o.timeoutMs);
  } catch (err) {
    const message = messageOf(err);
    const hint = err instanceof LoopError ? err.hint : undefined;
    log.error('gdbserver could not attach for a debugger client', { err: err as Error, ...(hint ? { hint } : {}) });
    if (server) await stopChild(server.child, server.exited, 'SIGTERM', 1000);
    await refuseClient(client, hint ? `${message} (${hint})` : message);
    return;
  }
  const gdbserver = server;
  log.info('gdbserver attached', { gdbserverPid: gdbserver.child.pid, gdbserverPort: gdbserver.ready });

  const tracker = protocolTracker();
  const state = tracker.state;
  const replies: string[] = [];
  let replyWaiter: (() => void) | undefined;
  let clientGone = false;
  const fromClient = packetScanner(tracker.fromClient);
  const fromServer = packetScanner((head) => {
    tracker.fromServer(head);
    if (clientGone) {
      upstream.write('+'); // ours to acknowledge now (ignored in no-ack mode)
      replies.push(head);
      replyWaiter?.();
    }
  });
  const toServer = killFilter(
    (bytes) => upstream.write(bytes),
    (reply) => {
      log.info('debugger client asked to kill the target: answered as done, the target is detached instead');
      if (!clientGone) client.write(reply);
    },
  );
  client.on('data', (chunk: Buffer) => {
    fromClient(chunk);
    toServer(chunk);
  });
  upstream.on('data', (chunk: Buffer) => {
    fromServer(chunk);
    if (!clientGone) client.write(chunk);
  });
  upstream.on('error', () => upstream.destroy());
  const upstreamClosed = new Promise<void>((resolve) => upstream.once('close', () => resolve()));
  // gdbserver hung up (the client sent D or k, or the target exited): the client's session is over.
  void upstreamClosed.then(() => client.end());
  client.resume();
  await new Promise<void>((resolve) => client.once('close', () => resolve()));
  clientGone = true;

  /** Detaches through the protocol; true once gdbserver answered `D` (or was gone already). */
  const settle = async (): Promise<boolean> => {
    if (gdbserver.child.exitCode !== null || gdbserver.child.signalCode !== null || upstream.destroyed) return true;
    const reply = (ms: number): Promise<string | undefined> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          replyWaiter = undefined;
          resolve(undefined);
        }, ms);
        const take = (): void => {
          const head = replies.shift();
          if (head === undefined) return;
          clearTimeout(timer);
          replyWaiter = undefined;
          resolve(head);
        };
        replyWaiter = take;
        take();
      });
    if (state.running && !state.nonStop) {
      // All-stop gdbserver reads no packet while the target runs: stop it first (SIGINT to the process,
      // not gdbserver's interrupt, which signals the process group and fails for a non-leader).
      log.info('debugger client left with the target running: stopping it to detach');
      try {
        process.kill(o.pid, 'SIGINT');
      } catch {
        return false; // gone: gdbserver reports the exit and ends
      }
      while (state.running) if ((await reply(o.detachMs)) === undefined) return false;
    }
    // gdbserver's D leaves the client's breakpoints written in the target's code (a client removes them
    // before it detaches): remove them, or the target dies of SIGTRAP at the first one it reaches.
    for (const point of state.breakpoints) {
      replies.length = 0;
      upstream.write(gdbPacket(`z${point}`));
      if ((await reply(o.detachMs)) === undefined) return false;
    }
    replies.length = 0;
    upstream.write(gdbPacket('D'));
    return (await reply(o.detachMs)) !== undefined;
  };
  const detached = await Promise.race([settle(), sleep(o.detachMs * 2).then(() => false)]);
  // With --once, gdbserver exits once its connection closes (after D: detached already).
  upstream.destroy();
  if (detached) await Promise.race([gdbserver.exited, sleep(o.detachMs)]);
  else log.warn('gdbserver did not detach through the protocol in time: ending it (the kernel detaches the target)');
  await stopChild(gdbserver.child, gdbserver.exited, 'SIGTERM', o.detachMs);
  log.info('debugger client disconnected: gdbserver detached, the target runs on', { gdbserverExit: gdbserver.child.exitCode ?? gdbserver.child.signalCode });
}

function connectTo(port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`connect to gdbserver on 127.0.0.1:${port} timed out`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Tells a client that no gdbserver could attach: answers its first packet (gdb's qSupported) with an
 * `E.message` error, which gdb prints, then closes.
 */
async function refuseClient(client: Socket, message: string): Promise<void> {
  if (client.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, 3000);
    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      client.end(() => resolve());
      setTimeout(() => client.destroy(), 500).unref();
    }
    const scan = packetScanner(() => {
      client.off('data', scan);
      client.write(`+${gdbPacket(`E.${message.replace(/[$#}*]/g, ' ')}`)}`);
      finish();
    });
    client.on('data', scan);
    client.once('close', finish);
    client.resume();
  });
}
