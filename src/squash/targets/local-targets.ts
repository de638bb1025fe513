// The processes of this machine as the squashctl picker shows them: one readable line each, the detected
// runtime first, without kernel threads, without Squash's own processes (planks and the debuggers they
// started), without what started squashctl and, unless asked, without command shells.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ProcessInfo, Runtime } from '../squash-types.js';
import type { ReadAt } from './elf-sections.js';
import { DEFAULT_PROC_ROOT, listProcesses } from './proc-reader.js';
import { detectRuntime, isShell } from './runtime-detect.js';
import { squashToolOf } from './tracer.js';

export interface LocalTarget {
  pid: number;
  /** Short and readable: `node server.js --port 9090`. */
  command: string;
  runtime?: Runtime;
  containerId?: string;
  /** User name, or the numeric uid when /etc/passwd does not name it. */
  user: string;
  /** Native (c) targets: whether the executable carries DWARF; without it gdb shows no source. */
  hasDebugInfo?: boolean;
  /** A command shell (bash, sh, …): listed only with `includeShells`, with no runtime. */
  shell?: true;
}

export interface LocalTargetOptions {
  procRoot?: string;
  /** Where uids are named. Default: /etc/passwd. */
  passwdPath?: string;
  /** Our own PID, never listed. Default: process.pid. */
  selfPid?: number;
  readAt?: ReadAt;
  /** Longest command shown; longer ones end in '…'. Default 100. */
  maxCommandLength?: number;
  /** List command shells too (marked `shell`, no runtime). Default false: nobody debugs their shell with Squash. */
  includeShells?: boolean;
}

const KTHREADD_PID = 2;

/**
 * Processes a user may want to debug, likeliest first (see `pickOrder`), then by PID.
 *
 * @example for (const t of await listLocalTargets()) console.log(t.pid, t.runtime ?? '-', t.command);
 */
export async function listLocalTargets(options: LocalTargetOptions = {}): Promise<LocalTarget[]> {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const selfPid = options.selfPid ?? process.pid;
  const maxLength = options.maxCommandLength ?? 100;
  const [processes, users] = await Promise.all([listProcesses(procRoot), readUserNames(options.passwdPath ?? '/etc/passwd')]);

  const ours = ownProcessTrees(processes);
  const callers = ancestorsOf(selfPid, processes);
  const shown = processes.filter(
    (p) => p.pid !== selfPid && !callers.has(p.pid) && !isKernelThread(p) && !ours.has(p.pid) && (options.includeShells || !isShell(p)),
  );
  const targets = await Promise.all(
    shown.map(async (p): Promise<LocalTarget> => {
      const target: LocalTarget = { pid: p.pid, command: displayCommand(p, maxLength), user: users.get(p.uid) ?? String(p.uid) };
      if (isShell(p)) {
        target.shell = true;
        if (p.containerId !== undefined) target.containerId = p.containerId;
        return target;
      }
      const detected = await detectRuntime(p, { procRoot, ...(options.readAt ? { readAt: options.readAt } : {}) }).catch(() => undefined);
      if (detected) target.runtime = detected.runtime;
      if (detected?.hasDebugInfo !== undefined) target.hasDebugInfo = detected.hasDebugInfo;
      if (p.containerId !== undefined) target.containerId = p.containerId;
      return target;
    }),
  );
  return targets.sort((a, b) => pickOrder(a) - pickOrder(b) || a.pid - b.pid);
}

/**
 * Services people debug come first: managed runtimes and native binaries built with debug info, then
 * stripped native binaries (every shell and system daemon), then processes with no detected runtime.
 */
function pickOrder(t: LocalTarget): number {
  if (t.runtime === undefined) return 3;
  if (t.runtime === 'c') return t.hasDebugInfo === false ? 2 : 1;
  return 0;
}

/**
 * What started `pid` (its terminal's shell, the script or `timeout` running squashctl), init excepted:
 * gdb would stop such a process while it waits for squashctl, which waits for the debugger.
 */
export function ancestorsOf(pid: number, processes: readonly ProcessInfo[]): Set<number> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const out = new Set<number>();
  for (let p = byPid.get(byPid.get(pid)?.ppid ?? 0); p && p.pid > 1 && !out.has(p.pid); p = byPid.get(p.ppid)) out.add(p.pid);
  return out;
}

/** Kernel threads: kthreadd and its children, which have no command line and no executable. */
export function isKernelThread(p: ProcessInfo): boolean {
  return p.pid === KTHREADD_PID || p.ppid === KTHREADD_PID || (p.cmdline.length === 0 && p.exe === '');
}

/** squashctl and plank themselves (see squashToolOf). */
export function isOwnTool(p: ProcessInfo): boolean {
  return squashToolOf(p.cmdline) !== undefined;
}

/**
 * The PIDs of squashctl, planks and everything they started: a plank's debugger (dlv, gdbserver, gdb
 * under debugpy's injector) and its namespace forwarders are Squash's helpers, not targets.
 */
export function ownProcessTrees(processes: readonly ProcessInfo[]): Set<number> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const verdict = new Map<number, boolean>();
  const isOurs = (p: ProcessInfo): boolean => {
    const known = verdict.get(p.pid);
    if (known !== undefined) return known;
    verdict.set(p.pid, false); // a cycle (PID reuse between reads) ends here
    const parent = byPid.get(p.ppid);
    const ours = isOwnTool(p) || (parent !== undefined && parent.pid !== p.pid && isOurs(parent));
    verdict.set(p.pid, ours);
    return ours;
  };
  return new Set(processes.filter(isOurs).map((p) => p.pid));
}

/** argv with argv[0] shortened to its basename; `[comm]` when there is no command line. */
export function displayCommand(p: ProcessInfo, maxLength = 100): string {
  const [first, ...rest] = p.cmdline;
  const text = first === undefined ? `[${p.comm}]` : [basename(first), ...rest].join(' ').replace(/\s+/g, ' ').trim();
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

async function readUserNames(passwdPath: string): Promise<Map<number, string>> {
  const users = new Map<number, string>();
  let text: string;
  try {
    text = await readFile(passwdPath, 'utf8');
  } catch {
    return users;
  }
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !users.has(Number(uid))) users.set(Number(uid), name);
  }
  return users;
}
