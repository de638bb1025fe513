// Tells whether a PID is still the process we mean: PIDs are reused, so a PID alone proves nothing after
// its process exits. The start time in /proc/PID/stat (clock ticks since boot) pins one incarnation.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PROC_ROOT } from '../targets/index.js';

export interface ProcessState {
  /** One-letter state from /proc/PID/stat: R, S, D, T, t, Z, X, … */
  state: string;
  /** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
  startTime: number;
}

/** State and start time of a PID, or undefined when no such process exists (or it cannot be read). */
export async function readProcessState(pid: number, procRoot: string = DEFAULT_PROC_ROOT): Promise<ProcessState | undefined> {
  let text: string;
  try {
    text = await readFile(join(procRoot, String(pid), 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  return parseStat(text);
}

/** Parses /proc/PID/stat; the command in parentheses may itself contain spaces and parentheses. */
export function parseStat(text: string): ProcessState | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After "pid (comm) " come state (field 3) … starttime (field 22).
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const state = fields[0];
  const startTime = Number(fields[19]);
  if (!state || !Number.isFinite(startTime)) return undefined;
  return { state, startTime };
}

/** True while the process with this PID and start time runs (zombies count as gone). */
export async function isSameProcessRunning(pid: number, startTime: number, procRoot: string = DEFAULT_PROC_ROOT): Promise<boolean> {
  const now = await readProcessState(pid, procRoot);
  return now !== undefined && now.startTime === startTime && now.state !== 'Z' && now.state !== 'X';
}
