// Who else holds a process: a Linux process has at most one ptrace tracer (TracerPid in /proc/PID/status),
// so a debugger that ptraces cannot attach to a process another debugger holds — the kernel answers EPERM,
// which reads like a missing privilege even to root. These checks name the holder instead. Kernel threads
// (PF_KTHREAD in /proc/PID/stat) cannot be traced at all. Sync reads: procfs answers from memory, and the
// failure path that uses them (classifyFailure) is synchronous.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LoopError } from '../../core/errors.js';
import { DEFAULT_PROC_ROOT, splitCmdline } from './proc-reader.js';

const SQUASH_TOOLS = ['squashctl', 'plank'] as const;
type SquashTool = (typeof SQUASH_TOOLS)[number];

/** The interpreter our bins run under: their `#!/usr/bin/env node` line makes argv `node /usr/local/bin/plank …`. */
const NODE = /^(?:node|nodejs)\d*$/;

/**
 * Which of Squash's own programs a command line runs: argv[0] (the installed bin), or, when argv[0] is
 * node, its script: the first argument that is not a node option (`node [node options] …/cli/plank/main.js`,
 * `node /usr/local/bin/plank`). Any other program's arguments are its data, not a program:
 * `sh -c '… squashctl'` and `tail -f /var/log/plank` are not ours. Neither is an argv[0] with blanks:
 * that is a process title, such as npm's `npm exec vitest run src/squash/squashctl`, not a path.
 */
export function squashToolOf(cmdline: readonly string[]): SquashTool | undefined {
  const [program, ...args] = cmdline;
  if (program === undefined) return undefined;
  const asProgram = /\s/.test(program) ? undefined : toolAt(program);
  if (asProgram || !NODE.test(basename(program))) return asProgram;
  const script = args.find((arg) => !arg.startsWith('-'));
  return script === undefined ? undefined : toolAt(script);
}

/** The tool a path runs: a bin named after it, or its entry point in a build (`…/cli/plank/main.js`). */
function toolAt(path: string): SquashTool | undefined {
  const name = /[\\/]cli[\\/]([a-z]+)[\\/]main\.[cm]?[jt]s$/.exec(path)?.[1] ?? basename(path);
  return SQUASH_TOOLS.find((t) => t === name);
}

/** A plank's command line (see squashToolOf). */
export function isPlankCommand(cmdline: readonly string[]): boolean {
  return squashToolOf(cmdline) === 'plank';
}

export interface Tracer {
  pid: number;
  /** Its command line (or [comm] when it has none), shortened for a message. */
  command: string;
  /** The plank whose debugger the tracer is (the tracer itself or one of its two nearest ancestors). */
  plankPid?: number;
}

/** PF_KTHREAD in the flags field (9) of /proc/PID/stat. */
const PF_KTHREAD = 0x00200000;

function read(procRoot: string, pid: number, file: string): string | undefined {
  try {
    return readFileSync(join(procRoot, String(pid), file), 'utf8');
  } catch {
    return undefined;
  }
}

function statusField(status: string, name: string): number | undefined {
  const m = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status);
  return m ? Number(m[1]) : undefined;
}

function commandOf(procRoot: string, pid: number): string {
  const argv = splitCmdline(read(procRoot, pid, 'cmdline') ?? '');
  const text = argv.length > 0 ? argv.join(' ') : `[${(read(procRoot, pid, 'comm') ?? '?').trim()}]`;
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** True when the PID is a kernel thread (kthreadd and its children: no user space to debug). */
export function isKernelThreadPid(pid: number, procRoot = DEFAULT_PROC_ROOT): boolean {
  const stat = read(procRoot, pid, 'stat');
  if (!stat) return false;
  const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/)[6]);
  return Number.isFinite(flags) && (flags & PF_KTHREAD) !== 0;
}

/** The process tracing `pid`, or undefined when none does (or the PID cannot be read). */
export function readTracer(pid: number, procRoot = DEFAULT_PROC_ROOT): Tracer | undefined {
  const status = read(procRoot, pid, 'status');
  const tracerPid = status === undefined ? undefined : statusField(status, 'TracerPid');
  if (!tracerPid) return undefined;
  const tracer: Tracer = { pid: tracerPid, command: commandOf(procRoot, tracerPid) };
  // A plank's debugger is its child (dlv, gdbserver) or grandchild (gdb under debugpy's injector).
  let ancestor: number | undefined = tracerPid;
  for (let depth = 0; depth < 3 && ancestor && ancestor > 1; depth++) {
    if (isPlankCommand(splitCmdline(read(procRoot, ancestor, 'cmdline') ?? ''))) {
      tracer.plankPid = ancestor;
      break;
    }
    const parentStatus: string | undefined = read(procRoot, ancestor, 'status');
    ancestor = parentStatus === undefined ? undefined : statusField(parentStatus, 'PPid');
  }
  return tracer;
}

/** The error for a target another tracer holds. */
export function alreadyTraced(debuggerName: string, pid: number, tracer: Tracer): LoopError {
  const held = tracer.plankPid !== undefined ? `, the debugger of plank ${tracer.plankPid}` : '';
  return new LoopError('CONFLICT', `${debuggerName}: process ${pid} is already traced by process ${tracer.pid} (${tracer.command})${held}; a process has only one tracer`, {
    hint:
      tracer.plankPid !== undefined
        ? `\`squashctl list\` shows that plank and its endpoint (connect to it instead); \`squashctl cleanup\` ends it (or kill ${tracer.plankPid}), the target keeps running`
        : `detach that debugger (or end process ${tracer.pid}) first`,
    details: { debugger: debuggerName, pid, tracerPid: tracer.pid, tracerCommand: tracer.command, ...(tracer.plankPid !== undefined ? { plankPid: tracer.plankPid } : {}) },
  });
}

export function kernelThread(pid: number, procRoot = DEFAULT_PROC_ROOT): LoopError {
  return new LoopError('RUNTIME_UNSUPPORTED', `process ${pid} (${commandOf(procRoot, pid)}) is a kernel thread: it has no user space for a debugger to attach to`, {
    hint: 'pick a user process: `squashctl targets` lists them',
    details: { pid },
  });
}

/**
 * Throws when no ptrace-based debugger can attach to `pid`: it is a kernel thread, or another process
 * traces it (named, with its plank when it is a plank's debugger).
 */
export function assertTraceable(debuggerName: string, pid: number, procRoot = DEFAULT_PROC_ROOT): void {
  if (isKernelThreadPid(pid, procRoot)) throw kernelThread(pid, procRoot);
  const tracer = readTracer(pid, procRoot);
  if (tracer) throw alreadyTraced(debuggerName, pid, tracer);
}
