// Tells which runtime a process runs, so squashctl can default to the right debugger (the original Squash
// always asked). Interpreters and VMs are known by their executable's name; native binaries by their ELF
// contents, read through /proc/PID/exe, which works even when the binary lives in another mount namespace.

import { basename, join } from 'node:path';
import type { ProcessInfo, Runtime } from '../squash-types.js';
import { readAtFromDisk, readElf, rangesContain, isElf, type ReadAt } from './elf-sections.js';
import { DEFAULT_PROC_ROOT } from './proc-reader.js';

export interface DetectedRuntime {
  runtime: Runtime;
  /** Why we think so, for the picker and error messages: `exe /usr/bin/python3.11`. */
  evidence: string;
  /** Native binaries only: whether DWARF (`.debug_info`) is present, which gdb and dlv need for source. */
  hasDebugInfo?: boolean;
}

export interface DetectOptions {
  procRoot?: string;
  readAt?: ReadAt;
}

const NAME_RULES: { pattern: RegExp; runtime: Runtime }[] = [
  { pattern: /^(?:node|nodejs)(?:\d+)?$/, runtime: 'node' },
  { pattern: /^python(?:\d+(?:\.\d+)?)?[dmu]?$/, runtime: 'python' },
  { pattern: /^java$/, runtime: 'java' },
];

const PT_LOAD = 1;
const PF_W = 2;
/** The header of Go's build info blob: 0xff then " Go buildinf:". */
const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/**
 * The runtime of a process, or undefined when neither its name nor its binary tells (a script
 * interpreter we do not debug, an unreadable executable).
 *
 * @example await detectRuntime(await readProcess(pid)) // { runtime: 'go', evidence: 'ELF section .go.buildinfo', hasDebugInfo: true }
 */
export async function detectRuntime(proc: ProcessInfo, options: DetectOptions = {}): Promise<DetectedRuntime | undefined> {
  const byName = detectByName(proc);
  if (byName) return byName;
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  return detectNative(join(procRoot, String(proc.pid), 'exe'), options.readAt ?? readAtFromDisk);
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'fish']);
/** busybox (and toybox) are one binary for every tool: a shell when argv[0] names one. */
const MULTICALL = new Set(['busybox', 'toybox']);

/**
 * A command shell (bash, sh, dash, zsh, busybox sh, …): native code to gdb, but not a service anyone
 * debugs with Squash, and usually the terminal or script squashctl runs from. Judged by the executable's
 * name, or argv[0] when the executable is unreadable.
 */
export function isShell(proc: ProcessInfo): boolean {
  const name = (path: string | undefined): string => basename((path ?? '').replace(/ \(deleted\)$/, '')).replace(/^-/, '');
  const exe = name(proc.exe || proc.cmdline[0]);
  if (SHELLS.has(exe)) return true;
  return MULTICALL.has(exe) && SHELLS.has(name(proc.cmdline[0]));
}

/** Name-based detection alone: the exe, or argv[0] when the exe is unreadable (other users' processes). */
export function detectByName(proc: ProcessInfo): DetectedRuntime | undefined {
  const candidates: [string, string][] = [];
  if (proc.exe) candidates.push(['exe', proc.exe]);
  else if (proc.cmdline[0]) candidates.push(['command', proc.cmdline[0]]);
  for (const [what, path] of candidates) {
    const name = basename(path.replace(/ \(deleted\)$/, ''));
    const rule = NAME_RULES.find((r) => r.pattern.test(name));
    if (rule) return { runtime: rule.runtime, evidence: `${what} ${path}` };
  }
  return undefined;
}

/**
 * Go or C from an ELF executable's sections: `.go.buildinfo` (or, for binaries stripped of their section
 * table, Go's build info magic at the start of a writable segment) means Go; any other ELF is native code
 * for gdb. Files that are not ELF give undefined; unreadable ones too.
 */
export async function detectNative(path: string, readAt: ReadAt = readAtFromDisk): Promise<DetectedRuntime | undefined> {
  let head: Buffer;
  try {
    head = await readAt(path, 0, 4);
  } catch {
    return undefined;
  }
  if (!isElf(head)) return undefined;
  const elf = await readElf(path, readAt);
  const names = new Set(elf.sections.map((s) => s.name));
  const hasDebugInfo = names.has('.debug_info') || names.has('.zdebug_info');
  if (names.has('.go.buildinfo')) return { runtime: 'go', evidence: 'ELF section .go.buildinfo', hasDebugInfo };
  if (elf.sections.length === 0) {
    const writable = elf.segments
      .filter((s) => s.type === PT_LOAD && (s.flags & PF_W) !== 0)
      .map((s) => ({ offset: s.offset, size: s.fileSize }));
    if (await rangesContain(path, writable, GO_BUILDINFO_MAGIC, 64 * 1024, readAt)) {
      return { runtime: 'go', evidence: 'Go build info in the data segment', hasDebugInfo: false };
    }
  }
  return { runtime: 'c', evidence: hasDebugInfo ? 'ELF executable with DWARF' : 'ELF executable without debug info', hasDebugInfo };
}
