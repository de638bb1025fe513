// debugpy for Python: `python3 -m debugpy --listen 127.0.0.1:PORT --pid PID` injects debugpy through gdb;
// the debugpy adapter (a separate process) then serves DAP on PORT. debugpy cannot report a port it picked,
// so we pick one that nothing in the target's network namespace listens on and wait for the adapter.
// Detach ends the adapter, closing the port; debugpy itself stays loaded in the target (Python cannot
// unload it) and a second injection into the same process never listens: attach refuses a process whose
// maps show debugpy's libraries (debugpyLoaded), which must be restarted to be debugged again. An abort
// (Ctrl-C in squashctl) lets a running injection finish and then ends the adapter, leaving nothing listening.
// So does the attach timeout: gdb ended while it runs code in the target kills the target (it returns into
// the frame gdb built on its stack), so an injection under way at the deadline is given INJECTION_GRACE_MS more.
// In a container: debugpy is copied into the target's filesystem when it does not see the same package
// (debugpy-placement.ts), and the adapter, which runs inside the target's network namespace, is relayed
// to a host loopback port through a netns forwarder. With `netns.relay: 'off'` (a plank in a Kubernetes
// pod) nothing enters the target's namespace — injection is by ptrace and the adapter is found in /proc —
// and the endpoint is the adapter's in-namespace port (`namespace: 'target'`).
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { LoopError } from '../../core/errors.js';
import type { AttachSession } from '../squash-types.js';
import {
  DEFAULT_ATTACH_TIMEOUT_MS,
  assertAlive,
  attachTimeout,
  classifyFailure,
  findExecutable,
  isAlive,
  notInstalled,
  sleep,
  whileHolds,
  type AttachOptions,
  type Debugger,
} from './debugger.js';
import { inOtherNetns, openNetnsForwarder, type NetnsForwarder, type NetnsOptions } from '../relay/netns-dialer.js';
import { openRelay } from '../relay/tcp-relay.js';
import { LOCATE_DEBUGPY_PY, placeDebugpy, type DebugpyPlacement, type HostDebugpy } from './debugpy-placement.js';
import { namespaceListeners, ownListeners } from './proc-sockets.js';
import { readTracer } from '../targets/tracer.js';

/**
 * How long past the attach timeout an injection already under way (gdb attached to the target) may take
 * to finish. squashctl waits 15 s past its --timeout for the plank, so this stays below that.
 */
export const INJECTION_GRACE_MS = 10_000;

export interface PythonDebuggerOptions {
  /** A Python that has debugpy; default /usr/bin/python3 (Debian's python3-debugpy). */
  python?: string;
  procRoot?: string;
  /**
   * Libraries gdb loads symbols from during injection (PYDEVD_GDB_SCAN_SHARED_LIBRARIES); only `dlopen` is
   * needed. Scanning every library is what makes debugpy's attach slow. '' scans all.
   */
  scanSharedLibraries?: string;
  /** How to reach a target in another network namespace (nsenter, helper script). */
  netns?: NetnsOptions;
}

/**
 * The debugpy adapter processes serving `port` (their cmdline carries `--port N`): the daemonizing parent
 * and the adapter itself, for as long as both exist.
 */
async function findAdapters(port: number, procRoot: string, netns?: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir(procRoot).catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    // Across namespaces the port alone is ambiguous: the adapter is the one in the target's namespace.
    if (netns !== undefined && (await readlink(join(procRoot, entry, 'ns', 'net')).catch(() => undefined)) !== netns) continue;
    const argv = (await readFile(join(procRoot, entry, 'cmdline'), 'utf8').catch(() => '')).split('\0');
    if (!argv.some((a) => a.endsWith('debugpy/adapter'))) continue;
    const i = argv.indexOf('--port');
    if (i >= 0 && argv[i + 1] === String(port)) found.push(Number(entry));
  }
  return found;
}

/** SIGTERM, then SIGKILL after `ms`: ends an adapter (which closes its port; debugpy stays in the target). */
async function endProcesses(pids: number[], ms = 2000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const until = Date.now() + ms;
  while (pids.some((pid) => isAlive(pid)) && Date.now() < until) await sleep(20);
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
}

export function createPythonDebugger(opts: PythonDebuggerOptions = {}): Debugger {
  const python = opts.python ?? '/usr/bin/python3';
  const procRoot = opts.procRoot ?? '/proc';
  let hostDebugpy: Promise<HostDebugpy> | undefined;
  /** Where this Python's debugpy lives (asked once, only for targets in another mount namespace). */
  const locateDebugpy = (): Promise<HostDebugpy> =>
    (hostDebugpy ??= promisify(execFile)(python, ['-c', LOCATE_DEBUGPY_PY], { timeout: 10_000 }).then(
      ({ stdout }) => JSON.parse(stdout.trim().split('\n').pop() ?? '') as HostDebugpy,
      (err: unknown) => {
        hostDebugpy = undefined;
        throw notInstalled('python', `debugpy for ${python}`, 'python3-debugpy', err);
      },
    ));
  return {
    name: 'python',
    runtimes: ['python'],
    async available() {
      if (!(await findExecutable(python))) return { ok: false, reason: `${python} not found`, package: 'python3-debugpy' };
      const importable = await new Promise<boolean>((resolve) => {
        const child = spawn(python, ['-c', 'import debugpy'], { stdio: 'ignore', timeout: 10_000 });
        child.once('error', () => resolve(false));
        child.once('exit', (code) => resolve(code === 0));
      });
      if (!importable) return { ok: false, reason: `debugpy is not importable by ${python}`, package: 'python3-debugpy' };
      if (!(await findExecutable('gdb'))) return { ok: false, reason: 'gdb (debugpy injects itself with it) not found', package: 'gdb' };
      return { ok: true };
    },
    async attach(pid: number, options: AttachOptions = {}): Promise<AttachSession> {
      const host = options.host ?? '127.0.0.1';
      const timeoutMs = options.timeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
      const deadline = Date.now() + timeoutMs;
      await assertAlive(pid, procRoot);
      // A second injection never listens (and disturbs the first): refuse it before gdb touches the process.
      if (await debugpyLoaded(pid, procRoot)) throw debugpyAlreadyLoaded(pid);
      const inNamespace = opts.netns?.relay === 'off';
      const forwarder = inNamespace ? undefined : await openNetnsForwarder(pid, { procRoot, ...opts.netns });
      let placement: DebugpyPlacement | undefined;
      try {
        placement = await placeDebugpyFor(pid);
        let port = options.port ?? 0;
        if (port === 0) {
          const taken = new Set([...(await namespaceListeners(pid, procRoot)), ...(await namespaceListeners(process.pid, procRoot))].map((s) => s.port));
          do port = 20_000 + Math.floor(Math.random() * 30_000);
          while (taken.has(port));
        }
        const attached = await inject(pid, host, port, deadline, timeoutMs, options.signal, forwarder, placement);
        await placement?.releaseHostSide();
        if (!forwarder) return session(pid, host, port, attached.adapterPid, { placement, namespace: 'target' });
        if (!forwarder.crossesNamespace) return session(pid, host, port, attached.adapterPid, { placement });
        // The adapter listens on the target's loopback: the IDE gets a host loopback relay to it.
        const relay = await openRelay({ dial: forwarder.dialer(port, host) });
        return session(pid, host, relay.port, attached.adapterPid, { placement, close: async () => {
          await relay.close();
          await forwarder.close();
        } });
      } catch (err) {
        await forwarder?.close();
        await placement?.releaseHostSide();
        await placement?.removeIfUnused();
        throw err;
      }
    },
  };

  async function placeDebugpyFor(pid: number): Promise<DebugpyPlacement | undefined> {
    const [ours, theirs] = await Promise.all([readlink('/proc/self/ns/mnt').catch(() => ''), readlink(join(procRoot, String(pid), 'ns', 'mnt')).catch(() => '')]);
    if (!ours || !theirs || ours === theirs) return undefined;
    return placeDebugpy(pid, await locateDebugpy(), procRoot);
  }

  async function inject(
    pid: number,
    host: string,
    port: number,
    deadline: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    forwarder: NetnsForwarder | undefined,
    placement: DebugpyPlacement | undefined,
  ): Promise<{ adapterPid: number }> {
    // The injector (gdb underneath) exits once debugpy runs in the target; its output explains failures.
    // With a placement, it runs from the placed path so that every path it injects exists in the target.
    // Its own process group (detached), so that giving up ends gdb, which runs under it, as well.
    const injector = spawn(python, ['-m', 'debugpy', '--listen', `${host}:${port}`, '--pid', String(pid)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PYDEVD_GDB_SCAN_SHARED_LIBRARIES: opts.scanSharedLibraries ?? 'libc.so,libdl.so',
        ...(placement ? { PYTHONPATH: placement.path } : {}),
      },
      ...(placement ? { cwd: placement.path } : {}),
    });
    let output = '';
    let failed: LoopError | undefined;
    let injected = false;
    injector.stdout.on('data', (c: Buffer) => (output += c.toString()));
    injector.stderr.on('data', (c: Buffer) => (output += c.toString()));
    injector.once('error', (err) => (failed = notInstalled('python', python, 'python3-debugpy', err)));
    injector.once('exit', (code) => {
      injected = code === 0;
      if (code === 0) return;
      if (/No module named debugpy/.test(output)) failed = notInstalled('python', `debugpy for ${python}`, 'python3-debugpy');
      else if (/gdb.*not found|No such file.*gdb/i.test(output)) failed = notInstalled('python', 'gdb (debugpy injects itself with it)', 'gdb');
      else failed = classifyFailure('python', pid, output, new Error(`debugpy injector exited with ${code}`));
    });
    const crosses = forwarder ? forwarder.crossesNamespace : await inOtherNetns(pid, procRoot);
    const netns = crosses ? await readlink(join(procRoot, String(pid), 'ns', 'net')).catch(() => undefined) : undefined;
    // An abort (the user's Ctrl-C in squashctl) does not cut the injection short: gdb interrupted in the
    // middle of the call it makes in the target can leave it there, with a breakpoint in place of a return
    // address. The injection is let finish; then the adapter the target started for us is ended, so that
    // nothing is left serving DAP on a loopback port that no plank holds.
    let adapterPid: number;
    try {
      adapterPid = await waitForAdapter(pid, host, port, deadline, timeoutMs, procRoot, () => failed, () => injected, netns);
    } catch (err) {
      // Failed or out of time: the injector's group goes, gdb with it even when the injector is already
      // gone (a last resort: gdb stuck past the attach budget), and any adapter the target started.
      try {
        if (injector.pid !== undefined) process.kill(-injector.pid, 'SIGKILL');
      } catch {
        // gone in between
      }
      await endProcesses(await findAdapters(port, procRoot, netns));
      throw signal?.aborted ? aborted(signal) : err;
    }
    if (signal?.aborted) {
      await endProcesses([adapterPid, ...(await findAdapters(port, procRoot, netns))]);
      throw aborted(signal);
    }
    return { adapterPid };
  }
}

function aborted(signal: AbortSignal): LoopError {
  return new LoopError('DEBUGGER_ATTACH_FAILED', 'python: attach aborted', { cause: signal.reason });
}

async function waitForAdapter(
  pid: number,
  host: string,
  port: number,
  deadline: number,
  timeoutMs: number,
  procRoot: string,
  injectorFailure: () => LoopError | undefined,
  injectorDone: () => boolean,
  netns: string | undefined,
): Promise<number> {
  // Past the deadline, an injection that has reached the target is let finish: gdb was seen in it (it traces
  // the target, or did and the injector is exiting) or the injector is done and the adapter is coming up.
  // One that has not reached it yet is ended there: gdb not attached leaves nothing behind.
  let reached = false;
  const underWay = (): boolean => (reached ||= readTracer(pid, procRoot) !== undefined) || injectorDone();
  while (underWay() ? Date.now() < deadline + INJECTION_GRACE_MS : Date.now() < deadline) {
    const failure = injectorFailure();
    if (failure) throw failure;
    if (!isAlive(pid)) throw new LoopError('TARGET_EXITED', `process ${pid} exited during attach`);
    // Not cached: the adapter daemonizes, so the first process with its cmdline may be a short-lived parent.
    // Ready when gdb has let go of the target and the adapter itself listens on the port; read from /proc,
    // since a probing connection would count as the one DAP client the adapter serves.
    if (injectorDone()) {
      for (const adapter of await findAdapters(port, procRoot, netns)) if ((await ownListeners(adapter, procRoot)).some((s) => s.port === port)) return adapter;
    }
    await sleep(25);
  }
  const timeout = attachTimeout('python', pid, timeoutMs, `debugpy did not listen on ${host}:${port}`);
  if (reached && !injectorDone()) {
    throw new LoopError('DEBUGGER_TIMEOUT', `${timeout.message}, nor in the ${INJECTION_GRACE_MS} ms more the injection under way was given`, {
      hint: `the injection (gdb) was ended unfinished: process ${pid} may be left stopped or crash; restart it, and check that it is not stopped or overloaded`,
      details: timeout.details,
    });
  }
  // The injector finished, so gdb ran our code in the target: waiting longer would not help.
  if (injectorDone()) throw new LoopError('DEBUGGER_TIMEOUT', timeout.message, { hint: `debugpy ran in process ${pid} but never listened; if it was loaded there before, it cannot be injected twice: restart the process`, details: timeout.details });
  throw timeout;
}

/** The libraries debugpy leaves mapped in a process it was loaded into (injected, or started with it). */
const DEBUGPY_LIBRARY = /\/(?:pydevd_attach_to_process\/attach[^/]*|_pydevd_bundle\/pydevd_cython[^/]*|_pydevd_frame_eval\/[^/]*)\.so$/m;

/** True when debugpy (pydevd) is already loaded in the process: its native libraries are mapped. */
export async function debugpyLoaded(pid: number, procRoot = '/proc'): Promise<boolean> {
  const maps = await readFile(join(procRoot, String(pid), 'maps'), 'utf8').catch(() => '');
  return DEBUGPY_LIBRARY.test(maps);
}

export function debugpyAlreadyLoaded(pid: number): LoopError {
  return new LoopError('CONFLICT', `python: debugpy is already loaded in process ${pid} (an earlier attach injected it, or the process started with it); debugpy cannot be injected twice into one process`, {
    hint: `if a plank still holds it, connect to that plank's endpoint (\`squashctl list\`); otherwise restart process ${pid} to debug it again`,
    details: { debugger: 'python', pid },
  });
}

function session(
  pid: number,
  host: string,
  port: number,
  adapterPid: number,
  extra: { placement?: DebugpyPlacement | undefined; close?: () => Promise<void>; namespace?: 'target' },
): AttachSession {
  const ended = whileHolds(() => isAlive(adapterPid) && isAlive(pid));
  let detaching: Promise<void> | undefined;
  return {
    endpoint: { runtime: 'python', debugger: 'python', protocol: 'dap', host, port, pid, ...(extra.namespace ? { namespace: extra.namespace } : {}) },
    detach: () =>
      (detaching ??= (async () => {
        try {
          process.kill(adapterPid, 'SIGTERM');
          const until = Date.now() + 2000;
          while (isAlive(adapterPid) && Date.now() < until) await sleep(20);
        } catch {
          // the adapter is gone already
        }
        await extra.close?.();
        await extra.placement?.removeIfUnused();
      })()),
    ended,
  };
}
