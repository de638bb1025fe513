// Starts a plank that outlives squashctl: its own process group (a Ctrl-C in squashctl's terminal does
// not reach it), stderr to a log file in the state directory (no pipe to break when we exit), stdout read
// only until its one event line, then let go.
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { LoopError } from '../../core/errors.js';
import { errorFromEvent, parsePlankEvent, type PlankReadyEvent } from '../plank/index.js';

export interface LaunchOptions {
  /** The node executable (process.execPath). */
  nodePath: string;
  /** dist/cli/plank/main.js. */
  plankMain: string;
  args: string[];
  /** Where the plank's stderr (JSON logs) goes; appended to. */
  logFile: string;
  /** How long to wait for the event line before giving up (and ending the plank). */
  timeoutMs: number;
  /** Aborting ends the plank (it detaches if it had attached) and rejects with the abort reason. */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface LaunchedPlank {
  pid: number;
  ready: PlankReadyEvent;
}

/** Spawns the plank and resolves with its ready event; rejects with the error it reported. */
export async function launchPlank(o: LaunchOptions): Promise<LaunchedPlank> {
  const log = await open(o.logFile, 'a', 0o600);
  let child;
  try {
    child = spawn(o.nodePath, [o.plankMain, ...o.args], { detached: true, stdio: ['ignore', 'pipe', log.fd], env: o.env ?? process.env });
  } finally {
    await log.close();
  }
  const plank = child;
  // 'close', not 'exit': by then stdout is drained, so an error line is never missed.
  const exited = new Promise<number | null>((resolve) => plank.once('close', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return new Promise<LaunchedPlank>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const giveUp = (err: unknown): void =>
      settle(() => {
        plank.kill('SIGTERM');
        reject(err);
      });
    const onAbort = (): void => giveUp(o.signal?.reason);
    const timer = setTimeout(
      () => giveUp(new LoopError('DEBUGGER_TIMEOUT', `the plank did not report within ${o.timeoutMs} ms`, { hint: `its log: ${o.logFile}` })),
      o.timeoutMs,
    );
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    plank.once('error', (err) => settle(() => reject(new LoopError('INTERNAL', `cannot start the plank (${o.plankMain}): ${err.message}`, { cause: err }))));
    const lines = createInterface({ input: plank.stdout! });
    lines.on('line', (line) => {
      const event = parsePlankEvent(line);
      if (!event) return;
      lines.close();
      plank.stdout!.destroy();
      if (event.event === 'ready') {
        plank.unref();
        settle(() => resolve({ pid: plank.pid!, ready: event }));
      } else {
        settle(() => reject(errorFromEvent(event)));
      }
    });
    void exited.then(async (code) => {
      if (settled) return;
      const tail = (await readFile(o.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join('\n');
      settle(() => reject(new LoopError('INTERNAL', `the plank exited (code ${code}) without reporting${tail ? `; its last log lines:\n${tail}` : ''}`)));
    });
  });
}
