// Runs the built `plank` (dist/cli/plank/main.js) as a real process, the way squashctl and users do: its first
// stdout line is the JSON `ready` record (endpoint and plank facts) or an `error` record; logs go to stderr;
// SIGTERM makes it detach and exit 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { DebugEndpoint } from '../../src/squash/squash-types.js';

export const PLANK_MAIN = path.resolve(import.meta.dirname, '../../dist/cli/plank/main.js');

export function plankBuilt(): boolean {
  return existsSync(PLANK_MAIN);
}

export interface PlankExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningPlank {
  endpoint: DebugEndpoint;
  plank: { pid: number; expiresAt: string };
  child: ChildProcess;
  stderr(): string;
  /** Settles when plank exits, for whatever reason. */
  exited: Promise<PlankExit>;
  /**
   * SIGTERM (plank detaches and exits); SIGKILL after `graceMs`. Resolves with how it exited. When plank did
   * not exit cleanly, the debugger servers it had started (its children when it was ready) are killed too,
   * so a failing test leaves no gdbserver or dlv holding a target.
   */
  stop(graceMs?: number): Promise<PlankExit>;
}

interface ReadyRecord {
  event: 'ready';
  endpoint: DebugEndpoint;
  plank: { pid: number; expiresAt: string };
}
interface ErrorRecord {
  event: 'error';
  error: { code: string; message: string; hint?: string };
}

/** Thrown when plank reports an error record or dies before its ready line. */
export class PlankFailed extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Spawns `node dist/cli/plank/main.js ...args` and resolves with its ready record; rejects with its error. */
export function startPlank(args: string[], options: { timeoutMs?: number } = {}): Promise<RunningPlank> {
  const timeoutMs = options.timeoutMs ?? 25_000;
  const child = spawn(process.execPath, [PLANK_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<PlankExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let helpers: number[] = [];
  const stop = async (graceMs = 10_000): Promise<PlankExit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const exit = await exited;
    clearTimeout(timer);
    if (exit.code !== 0) for (const pid of helpers) killQuietly(pid);
    return exit;
  };
  return new Promise<RunningPlank>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const timer = setTimeout(() => fail(new PlankFailed(`plank ${args.join(' ')}: no ready line within ${timeoutMs} ms\n${stderr}`, undefined, stderr)), timeoutMs);
    child.once('error', fail);
    void exited.then((exit) => fail(new PlankFailed(`plank ${args.join(' ')} exited (${exit.signal ?? exit.code}) before its ready line\n${stderr}`, undefined, stderr)));
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      let record: ReadyRecord | ErrorRecord;
      try {
        record = JSON.parse(line) as ReadyRecord | ErrorRecord;
      } catch {
        return fail(new PlankFailed(`plank's first stdout line is not JSON: ${line}\n${stderr}`, undefined, stderr));
      }
      if (record.event === 'error') {
        const { code, message, hint } = record.error;
        return fail(new PlankFailed(`plank: ${code}: ${message}${hint ? ` (${hint})` : ''}`, code, stderr));
      }
      if (record.event !== 'ready') return fail(new PlankFailed(`plank's first stdout line is neither ready nor error: ${line}`, undefined, stderr));
      settled = true;
      clearTimeout(timer);
      const ready = record;
      void childrenOf(child.pid!).then((pids) => {
        helpers = pids;
        resolve({ endpoint: ready.endpoint, plank: ready.plank, child, stderr: () => stderr, exited, stop });
      });
    });
  });
}

/** PIDs whose parent is `pid`, from /proc/PID/stat (the field after the parenthesised command name). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(entry));
  }
  return out;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
