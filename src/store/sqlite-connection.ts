// Opening a SQLite connection with the store's settings, and turning driver errors into LoopErrors. The
// writer connection (its own thread, or the caller's in inline mode) owns the file's settings; a reader
// connection only reads (query_only), so the thread that serves the list API never takes the write lock.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LoopError, messageOf } from '../core/errors.js';

export interface SqliteConnectionOptions {
  /** An absolute file path or `:memory:`. */
  path: string;
  busyTimeoutMs?: number | undefined;
  cacheSizeMiB?: number | undefined;
}

/**
 * Opens a connection. `writer` sets up the file (WAL, page size, checkpoints); `reader` expects the file a
 * writer set up and refuses to write; `checkpointer` expects it too and only runs checkpoints. Throws LoopError STORE_UNAVAILABLE when the file cannot be opened.
 */
export function openSqlite(options: SqliteConnectionOptions, role: 'writer' | 'reader' | 'checkpointer'): Database.Database {
  const { path } = options;
  const memory = path === ':memory:';
  try {
    if (!memory && role === 'writer') mkdirSync(dirname(path), { recursive: true });
    const d = new Database(path, { fileMustExist: role !== 'writer' });
    d.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    if (role === 'writer') {
      // 8 KiB pages hold a capture with two 1 KiB bodies without overflow pages; applies to new files only.
      d.pragma('page_size = 8192');
      d.pragma('journal_mode = WAL');
      // Checkpoint every 64 MiB of WAL instead of 4 MiB: each checkpoint fsyncs, and that dominates ingest.
      d.pragma('wal_autocheckpoint = 8192');
      d.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      // NORMAL in WAL: a commit survives a process crash; only a power cut can lose the last commits.
      d.pragma('synchronous = NORMAL');
      d.pragma('foreign_keys = ON');
      // Deleted captures (DELETE, retention) are zeroed in the file, not left readable in free pages: their
      // bodies may hold secrets a later redaction rule was meant for. Costs a write per freed page.
      d.pragma('secure_delete = ON');
    } else if (role === 'reader') {
      d.pragma('query_only = ON');
    }
    d.pragma(`cache_size = ${-1024 * Math.max(2, Math.trunc(options.cacheSizeMiB ?? 64))}`);
    d.pragma('temp_store = MEMORY');
    return d;
  } catch (err) {
    throw new LoopError('STORE_UNAVAILABLE', `cannot open the SQLite store ${path}: ${messageOf(err)}`, {
      cause: err,
      hint: `check that ${memory ? 'memory is available' : `${dirname(path)} exists and is writable`}`,
    });
  }
}

/** Runs `fn`, turning driver errors into LoopErrors that name the store and the operation. */
export function guardSqlite<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LoopError) throw err;
    const code = (err as { code?: unknown }).code;
    const unavailable = typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|CANTOPEN|READONLY|FULL|IOERR)/.test(code);
    const hint = typeof code === 'string' ? sqliteHint(path, code) : undefined;
    throw new LoopError(unavailable ? 'STORE_UNAVAILABLE' : 'STORE_FAILED', `SQLite store ${path}: ${what} failed: ${messageOf(err)}`, {
      cause: err,
      ...(hint ? { hint } : {}),
    });
  }
}

/** What an operator can do about a full disk or a read-only file (the driver's words name neither the disk nor the way out). */
function sqliteHint(path: string, code: string): string | undefined {
  if (code.startsWith('SQLITE_FULL')) {
    return `the disk holding ${dirname(path)} is full: free space there; --retention-max-count, --retention-max-bytes and --retention-max-age bound the store's size`;
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return `${path} (or ${dirname(path)}, which holds its -wal and -shm files) is read-only for this user or on a read-only mount: make both writable`;
  }
  return undefined;
}
