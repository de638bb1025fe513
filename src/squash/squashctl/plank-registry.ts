// The planks squashctl started, so `squashctl list` and `squashctl cleanup` find them again from another
// shell: one JSON file per plank in a state directory, written atomically (temp file + rename). A record is
// trusted only while its PID still is the same plank process (start time and command line checked), so a
// reused PID is never signalled; records of planks that are gone are pruned when read. Plank logs outlive
// their records: the last PLANK_LOGS_KEPT stay, whatever the outcome.
import { readdir, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LoopError, messageOf } from '../../core/errors.js';
import { readProcessState } from '../plank/index.js';
import type { DebugEndpoint, DebuggerName, Runtime } from '../squash-types.js';
import { DEFAULT_PROC_ROOT, isPlankCommand, splitCmdline } from '../targets/index.js';

// Where a plank's command line is recognised; re-exported for the callers that found it here.
export { isPlankCommand };

export interface PlankRecord {
  /** The plank process. */
  pid: number;
  /** Its start time (clock ticks since boot, /proc/PID/stat), which tells it from a later PID reuse. */
  startTime: number;
  target: { pid: number; command: string; runtime?: Runtime; containerId?: string };
  debugger: DebuggerName;
  endpoint: DebugEndpoint;
  startedAt: string;
  expiresAt: string;
  /** The plank's stderr (its JSON log lines). */
  logFile?: string;
}

export interface PlankRegistry {
  dir: string;
  save(record: PlankRecord): Promise<void>;
  /** Every recorded plank, live or not, oldest first (cleanup reports on the dead ones too). */
  readAll(): Promise<PlankRecord[]>;
  /** Live planks only, oldest first; records of gone planks are removed. */
  list(): Promise<PlankRecord[]>;
  /** Forgets a plank; its log stays (see `pruneLogs`), so one can read why it ended. */
  remove(record: PlankRecord): Promise<void>;
  /**
   * Deletes plank logs (`plank-<ms>-<id>.log`) but the newest `keep`, never one a live plank writes.
   * squashctl calls it before starting a plank, so the last PLANK_LOGS_KEPT planks' logs stay.
   */
  pruneLogs(keep: number): Promise<string[]>;
  /** True while the record's PID is still that plank. */
  isLive(record: PlankRecord): Promise<boolean>;
}

/** `$SQUASH_STATE_DIR`, else `$XDG_STATE_HOME/squash`, else `~/.local/state/squash`. */
export function stateDirFrom(env: NodeJS.ProcessEnv, home: string): string {
  if (env.SQUASH_STATE_DIR) return env.SQUASH_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'squash');
  return join(home, '.local', 'state', 'squash');
}

const RECORD_FILE = /^plank-(\d+)\.json$/;
const LOG_FILE = /^plank-(\d+)-[0-9a-f]+\.log$/;
/** How many planks' logs squashctl keeps in the state directory, whatever their outcome. */
export const PLANK_LOGS_KEPT = 20;

/** The name of a new plank's log in `dir`: it sorts by start time. */
export function plankLogFile(dir: string, now: number, id: string): string {
  return join(dir, `plank-${now}-${id}.log`);
}

export function createPlankRegistry(dir: string, options: { procRoot?: string } = {}): PlankRegistry {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const fileOf = (pid: number): string => join(dir, `plank-${pid}.json`);

  async function isLive(record: PlankRecord): Promise<boolean> {
    const state = await readProcessState(record.pid, procRoot);
    if (!state || state.startTime !== record.startTime || state.state === 'Z' || state.state === 'X') return false;
    const cmdline = await readFile(join(procRoot, String(record.pid), 'cmdline'), 'utf8').catch(() => '');
    return isPlankCommand(splitCmdline(cmdline));
  }

  async function readAll(): Promise<PlankRecord[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      // Nothing there (yet): no planks. Whoever saves one finds out whether it can be created.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw new LoopError('INTERNAL', `cannot read the squash state directory ${dir}: ${messageOf(err)}`, { cause: err });
    }
    const records: PlankRecord[] = [];
    for (const name of names) {
      if (!RECORD_FILE.test(name)) continue;
      const record = parseRecord(await readFile(join(dir, name), 'utf8').catch(() => ''));
      if (record) records.push(record);
      else await rm(join(dir, name), { force: true }); // torn or foreign: nothing to act on
    }
    return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.pid - b.pid);
  }

  async function remove(record: PlankRecord): Promise<void> {
    await rm(fileOf(record.pid), { force: true });
  }

  async function pruneLogs(keep: number): Promise<string[]> {
    const names = await readdir(dir).catch(() => [] as string[]);
    const logs = names
      .map((name) => ({ name, started: Number(LOG_FILE.exec(name)?.[1]) }))
      .filter((l) => Number.isFinite(l.started))
      .sort((a, b) => b.started - a.started || b.name.localeCompare(a.name));
    const old = logs.slice(Math.max(0, keep));
    if (old.length === 0) return [];
    const inUse = new Set<string>();
    for (const record of await readAll()) if (record.logFile && (await isLive(record))) inUse.add(record.logFile);
    const removed: string[] = [];
    for (const { name } of old) {
      const path = join(dir, name);
      if (inUse.has(path)) continue;
      await rm(path, { force: true });
      removed.push(path);
    }
    return removed;
  }

  return {
    dir,
    isLive,
    readAll,
    remove,
    pruneLogs,
    async save(record) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.plank-${record.pid}.json.${process.pid}.tmp`);
      await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, fileOf(record.pid));
    },
    async list() {
      const live: PlankRecord[] = [];
      for (const record of await readAll()) {
        if (await isLive(record)) live.push(record);
        else await remove(record);
      }
      return live;
    },
  };
}

function parseRecord(text: string): PlankRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<PlankRecord>;
    if (typeof value.pid === 'number' && typeof value.startTime === 'number' && typeof value.endpoint === 'object' && value.target && typeof value.expiresAt === 'string') {
      return value as PlankRecord;
    }
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Refuses a second attach to a process a live plank holds, whatever the debuggers: a second ptrace is
 * refused by the kernel, debugpy cannot be injected twice, and two planks on one Node inspector close it
 * under each other when either lets go. The IDE can use the existing plank's endpoint instead.
 */
export function assertNotHeld(live: readonly PlankRecord[], pid: number): void {
  const holder = live.find((r) => r.target.pid === pid);
  if (!holder) return;
  const { host, port } = holder.endpoint;
  throw new LoopError('CONFLICT', `process ${pid} is already held by plank ${holder.pid} (${holder.debugger}, endpoint ${host}:${port}, until ${holder.expiresAt})`, {
    hint: `connect your debugger client to ${host}:${port} (\`squashctl list\` shows it), or end that plank with \`squashctl cleanup\` (or kill ${holder.pid}) and attach again`,
    details: { pid, plankPid: holder.pid, debugger: holder.debugger, endpoint: `${host}:${port}` },
  });
}
