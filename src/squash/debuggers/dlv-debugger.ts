// Delve for Go: `dlv attach PID --headless --continue` serves JSON-RPC and DAP on one loopback port.
// `--continue` (supported with attach by Delve 1.20) keeps the target running while nobody is connected;
// detach is RPCServer.Detach{Kill:false}, after which Delve exits and the target runs on untouched.
import type { AttachSession } from '../squash-types.js';
import {
  DEFAULT_ATTACH_TIMEOUT_MS,
  assertAlive,
  classifyFailure,
  executableAvailability,
  requireExecutable,
  startServer,
  stopChild,
  type AttachOptions,
  type Debugger,
} from './debugger.js';
import { connectDlvRpc } from './dlv-rpc-client.js';

export interface DlvDebuggerOptions {
  /** The dlv binary; default `dlv` on PATH. */
  command?: string;
}

const LISTENING = /API server listening at: (?:\[?[\d.:a-f]*\]?):(\d+)/;

export function createDlvDebugger(opts: DlvDebuggerOptions = {}): Debugger {
  const command = opts.command ?? 'dlv';
  return {
    name: 'dlv',
    runtimes: ['go'],
    available: () => executableAvailability(command, 'delve'),
    async attach(pid: number, options: AttachOptions = {}): Promise<AttachSession> {
      const host = options.host ?? '127.0.0.1';
      const timeoutMs = options.timeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
      const exe = await requireExecutable('dlv', command, 'delve');
      await assertAlive(pid);
      const args = ['attach', String(pid), '--headless', `--listen=${host}:${options.port ?? 0}`, '--api-version=2', '--accept-multiclient', '--continue'];
      const server = await startServer('dlv', pid, exe, args, (line) => {
        const m = LISTENING.exec(line);
        return m ? Number(m[1]) : undefined;
      }, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
      const port = server.ready;
      // Delve prints its address before the ptrace attach is done: ready is the first answered RPC.
      try {
        const rpc = await connectDlvRpc(host, port, timeoutMs);
        await withTimeout(rpc.call('RPCServer.GetVersion'), timeoutMs);
        rpc.close();
      } catch (err) {
        await stopChild(server.child, server.exited, 'SIGKILL');
        throw classifyFailure('dlv', pid, server.output(), err);
      }
      let detaching: Promise<void> | undefined;
      const detach = (): Promise<void> =>
        (detaching ??= (async () => {
          if (server.child.exitCode !== null || server.child.signalCode !== null) return;
          try {
            const rpc = await connectDlvRpc(host, port, 2000);
            // Detach needs a stopped target (Delve holds its lock while the target runs): halt a running one.
            // Only a running one: Delve's halt is a SIGTRAP sent to the process, which a stopped target (a
            // client left it at a breakpoint and went away) keeps pending, and after the detach Go's runtime
            // dies of it ("SIGTRAP: trace trap"). A stop between the State reply and the halt would still
            // do that; the relay is closed by now, so only a continue already under way can cause one.
            const state = await withTimeout(rpc.call<{ State: { Running?: boolean } }>('RPCServer.State', { NonBlocking: true }), 3000).catch(() => undefined);
            if (state?.State.Running !== false) await withTimeout(rpc.call('RPCServer.Command', { name: 'halt' }), 3000).catch(() => undefined);
            // Detach removes every breakpoint (a thread stopped at one is already moved back onto the
            // original instruction), then lets the target run on untraced.
            // Delve answers Detach and then exits; the reply may be lost when it closes first.
            await Promise.race([withTimeout(rpc.call('RPCServer.Detach', { Kill: false }), 3000).catch(() => undefined), server.exited]);
            rpc.close();
          } catch {
            // Delve no longer reachable: SIGTERM makes it detach (it never kills an attached process).
          }
          await stopChild(server.child, server.exited, 'SIGTERM');
        })());
      return {
        endpoint: { runtime: 'go', debugger: 'dlv', protocol: 'dlv', host, port, pid },
        detach,
        ended: server.exited,
      };
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
