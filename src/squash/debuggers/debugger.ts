// The debugger contract and the helpers every debugger shares: starting a debugger server process and
// reading its "ready" line, mapping its failures to LoopError codes, waiting for a port, checking the target.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { LoopError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AttachSession, DebuggerName, Runtime } from '../squash-types.js';
import { alreadyTraced, isKernelThreadPid, kernelThread, readTracer } from '../targets/tracer.js';

export type Availability = { ok: true } | { ok: false; reason: string; package: string };

export interface AttachOptions {
  /** Where the debugger server listens. Loopback only: a debugger port is remote code execution. */
  host?: '127.0.0.1';
  /** 0 (the default) lets the debugger pick; debuggers that cannot pick report the one they chose. */
  port?: number;
  /** Command-to-ready budget; default 15 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Where a debugger that works after attach returns (gdb attaches per client connection) logs. */
  logger?: Logger;
}

/** One debugger: knows whether it is installed and how to attach to a running local PID. */
export interface Debugger {
  name: DebuggerName;
  runtimes: Runtime[];
  available(): Promise<Availability>;
  attach(pid: number, options?: AttachOptions): Promise<AttachSession>;
}

export const DEFAULT_ATTACH_TIMEOUT_MS = 15_000;

/** Absolute path of `command` on PATH (or itself when it contains a slash), or undefined. */
export async function findExecutable(command: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

export function notInstalled(debuggerName: DebuggerName, what: string, pkg: string, cause?: unknown): LoopError {
  return new LoopError('DEBUGGER_NOT_INSTALLED', `${debuggerName}: ${what} is not installed`, {
    cause,
    hint: `install the Debian package ${pkg} (apt-get install ${pkg})`,
    details: { debugger: debuggerName, package: pkg },
  });
}

/** Availability of a debugger that is one executable from one Debian package. */
export async function executableAvailability(command: string, pkg: string): Promise<Availability> {
  return (await findExecutable(command)) ? { ok: true } : { ok: false, reason: `${command} not found on PATH`, package: pkg };
}

/** The executable's path, or DEBUGGER_NOT_INSTALLED naming the package that provides it. */
export async function requireExecutable(debuggerName: DebuggerName, command: string, pkg: string): Promise<string> {
  const exe = await findExecutable(command);
  if (!exe) throw notInstalled(debuggerName, command, pkg);
  return exe;
}

/** Throws TARGET_EXITED (or TARGET_NOT_FOUND for a PID that never was) unless the PID is running. */
export async function assertAlive(pid: number, procRoot = '/proc'): Promise<void> {
  if (!isAlive(pid, procRoot)) {
    throw new LoopError('TARGET_NOT_FOUND', `process ${pid} does not exist`, { details: { pid } });
  }
  if (isZombie(pid, procRoot)) throw targetExited(pid);
}

/** True when the PID is a zombie (it exited; its parent has not reaped it yet): kill(pid, 0) still succeeds. */
export function isZombie(pid: number, procRoot = '/proc'): boolean {
  try {
    return /\) [ZX] /.test(readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
  } catch {
    return false;
  }
}

export function isAlive(pid: number, _procRoot = '/proc'): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function targetExited(pid: number, cause?: unknown): LoopError {
  return new LoopError('TARGET_EXITED', `process ${pid} exited during attach`, { cause, details: { pid } });
}

const PTRACE_HINT =
  'run as root or with CAP_SYS_PTRACE, or allow ptrace of non-children: sysctl kernel.yama.ptrace_scope=0';

/** Maps a debugger's failure output to the error the user can act on. */
export function classifyFailure(debuggerName: DebuggerName, pid: number, output: string, cause?: unknown): LoopError {
  const tail = output.trim().split('\n').slice(-6).join('\n');
  // A target that exited under the debugger is the reason, whatever the debugger said: ptrace of a zombie
  // fails with EPERM, which read as a missing privilege.
  if (!isAlive(pid) || isZombie(pid)) return targetExited(pid, cause);
  if (/operation not permitted|EPERM|ptrace: Operation|could not attach.*permission|not permitted/i.test(output)) {
    // EPERM also means "someone else traces it" or "a kernel thread", even as root: say which.
    if (isKernelThreadPid(pid)) return kernelThread(pid);
    const tracer = readTracer(pid);
    if (tracer) return alreadyTraced(debuggerName, pid, tracer);
    return new LoopError('PERMISSION_DENIED', `${debuggerName}: no permission to ptrace process ${pid}`, {
      cause,
      hint: PTRACE_HINT,
      details: { debugger: debuggerName, pid, output: tail },
    });
  }
  return new LoopError('DEBUGGER_ATTACH_FAILED', `${debuggerName}: attach to process ${pid} failed: ${tail || messageOf(cause)}`, {
    cause,
    details: { debugger: debuggerName, pid, output: tail },
  });
}

export function attachTimeout(debuggerName: DebuggerName, pid: number, ms: number, what: string): LoopError {
  return new LoopError('DEBUGGER_TIMEOUT', `${debuggerName}: ${what} within ${ms} ms (process ${pid})`, {
    hint: 'raise the timeout, or check that the process is not stopped or overloaded',
    details: { debugger: debuggerName, pid, timeoutMs: ms },
  });
}

export interface StartedServer<T> {
  child: ChildProcess;
  ready: T;
  output(): string;
  /** Settles when the child exits. */
  exited: Promise<void>;
}

let setpriv: Promise<string | undefined> | undefined;

/**
 * The command line that runs `command` so that the kernel SIGKILLs it when this process dies, however it
 * dies: `setpriv --pdeathsig KILL --` (util-linux, in every Debian) sets PR_SET_PDEATHSIG, which the exec
 * keeps, and Node cannot set itself. A debugger server outliving a SIGKILLed plank would hold its target
 * (gdbserver keeps it in tracing stop) and its loopback port with nobody left to end it; killed, its
 * tracee is detached by the kernel and runs on. Without setpriv the command runs as it is.
 */
export async function dyingWithUs(command: string, args: string[]): Promise<{ command: string; args: string[] }> {
  const wrapper = await (setpriv ??= findExecutable('setpriv'));
  return wrapper ? { command: wrapper, args: ['--pdeathsig', 'KILL', '--', command, ...args] } : { command, args };
}

/**
 * Spawns a debugger server (dying with us: `dyingWithUs`) and resolves once `readyLine` returns a value
 * for a line of its output; rejects (killing the child) on early exit, timeout or abort.
 */
export async function startServer<T>(
  debuggerName: DebuggerName,
  pid: number,
  command: string,
  args: string[],
  readyLine: (line: string) => T | undefined,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<StartedServer<T>> {
  const launch = await dyingWithUs(command, args);
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const child = spawn(launch.command, launch.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const finish = (err: Error | undefined, ready?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve({ child, ready: ready as T, output: () => output, exited });
    };
    const onAbort = (): void => finish(new LoopError('DEBUGGER_ATTACH_FAILED', `${debuggerName}: attach aborted`, { cause: options.signal?.reason }));
    const timer = setTimeout(() => finish(attachTimeout(debuggerName, pid, options.timeoutMs, 'the debugger server did not start')), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let partial = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.length > 64_000) output = output.slice(-32_000);
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const value = readyLine(line);
        if (value !== undefined) return finish(undefined, value);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => finish((err as NodeJS.ErrnoException).code === 'ENOENT' ? new LoopError('DEBUGGER_NOT_INSTALLED', `${debuggerName}: ${command} not found`, { cause: err }) : classifyFailure(debuggerName, pid, output, err)));
    child.once('exit', (code, sig) => finish(classifyFailure(debuggerName, pid, output, new Error(`${command} exited (${sig ?? code})`))));
  });
}

/**
 * Settles once `holds()` turns false, checking every `intervalMs` on an unref'd timer (never keeps the
 * process alive): the `ended` promise of sessions whose debugger is not our child process.
 */
export function whileHolds(holds: () => boolean, intervalMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => (holds() ? void setTimeout(tick, intervalMs).unref() : resolve());
    tick();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `signal` to the child and waits up to `ms` for it to exit, then SIGKILLs it. */
export async function stopChild(child: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals, ms = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}
