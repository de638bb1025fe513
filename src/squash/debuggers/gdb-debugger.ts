// gdbserver for C (and anything with DWARF): `gdbserver --attach 127.0.0.1:0 PID` binds a free port and
// prints "Listening on port N". Note: gdbserver holds the target stopped until a gdb client connects and
// continues it — that is gdbserver's model, the IDE's attach resumes it.
// Known limit: the IDE's "pause" (gdb interrupt) makes gdbserver signal the target's process group, which
// fails when the target does not lead its group (a worker forked by a service, a process started from a
// shell pipeline); gdbserver then logs "Sending SIGINT to process group … failed" and nothing stops.
// Breakpoints are unaffected; `kill -INT PID` pauses such a target by hand. Containers' main processes
// lead their own group.
// Detach sends the remote `D` packet (breakpoints removed, target resumed, gdbserver exits); when a client
// holds gdbserver's only connection, SIGTERM instead: the kernel detaches a tracee when its tracer dies.
import type { AttachSession } from '../squash-types.js';
import {
  DEFAULT_ATTACH_TIMEOUT_MS,
  assertAlive,
  executableAvailability,
  requireExecutable,
  startServer,
  stopChild,
  type AttachOptions,
  type Debugger,
} from './debugger.js';
import { connectGdbRemote } from './gdb-remote-client.js';

export interface GdbDebuggerOptions {
  /** The gdbserver binary; default `gdbserver` on PATH. */
  command?: string;
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
      const timeoutMs = options.timeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
      const exe = await requireExecutable('gdb', command, 'gdbserver');
      await assertAlive(pid);
      const server = await startServer('gdb', pid, exe, ['--attach', `${host}:${options.port ?? 0}`, String(pid)], (line) => {
        const m = LISTENING.exec(line);
        return m ? Number(m[1]) : undefined;
      }, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
      const port = server.ready;
      let detaching: Promise<void> | undefined;
      const detach = (): Promise<void> =>
        (detaching ??= (async () => {
          if (server.child.exitCode !== null || server.child.signalCode !== null) return;
          try {
            const client = await connectGdbRemote(host, port, 1000);
            await client.request('D', 2000).catch(() => undefined);
            client.close();
          } catch {
            // busy with the IDE's connection: fall through to SIGTERM
          }
          await stopChild(server.child, server.exited, 'SIGTERM', 2000);
        })());
      return {
        endpoint: { runtime: 'c', debugger: 'gdb', protocol: 'gdb-remote', host, port, pid },
        detach,
        ended: server.exited,
      };
    },
  };
}
