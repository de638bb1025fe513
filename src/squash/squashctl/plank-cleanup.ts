// `squashctl cleanup`: ends every plank squashctl started. SIGTERM first (the plank detaches and the
// target keeps running), SIGKILL to its process group after a grace period (taking a stuck debugger child
// with it: a dead tracer releases its tracee). A record whose PID is no longer that plank is only removed.
import type { PlankRecord, PlankRegistry } from './plank-registry.js';

export type CleanupOutcome = 'ended' | 'killed' | 'already-gone';

export interface CleanupResult {
  record: PlankRecord;
  outcome: CleanupOutcome;
}

export interface CleanupOptions {
  /** How long a plank may take to detach after SIGTERM. Default 10 s. */
  graceMs?: number;
  /** How often liveness is checked while waiting. Default 50 ms. */
  pollMs?: number;
  kill?: (pid: number, signal: NodeJS.Signals) => void;
}

export async function cleanupPlanks(registry: PlankRegistry, options: CleanupOptions = {}): Promise<CleanupResult[]> {
  const records = await registry.readAll();
  return Promise.all(records.map((record) => cleanupPlank(registry, record, options)));
}

/** Ends one plank as `cleanup` does, and removes its record. */
export async function cleanupPlank(registry: PlankRegistry, record: PlankRecord, options: CleanupOptions = {}): Promise<CleanupResult> {
  const kill = options.kill ?? ((pid: number, signal: NodeJS.Signals) => process.kill(pid, signal));
  const graceMs = options.graceMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;
  const signal = (target: number, sig: NodeJS.Signals): void => {
    try {
      kill(target, sig);
    } catch {
      // gone in between: what we wanted
    }
  };
  const gone = async (until: number): Promise<boolean> => {
    while (await registry.isLive(record)) {
      if (Date.now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return true;
  };

  let outcome: CleanupOutcome;
  if (!(await registry.isLive(record))) outcome = 'already-gone';
  else {
    signal(record.pid, 'SIGTERM');
    if (await gone(Date.now() + graceMs)) outcome = 'ended';
    else {
      // squashctl started the plank as the leader of its own process group; checked again right before.
      if (await registry.isLive(record)) {
        signal(-record.pid, 'SIGKILL');
        signal(record.pid, 'SIGKILL');
      }
      await gone(Date.now() + 5_000);
      outcome = 'killed';
    }
  }
  await registry.remove(record);
  return { record, outcome };
}
