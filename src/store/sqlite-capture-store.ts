// The default capture store: one SQLite file through better-sqlite3. Writes run on a writer thread with its
// own connection (sqlite-writer-worker.ts), so parsing ingest bodies and inserting them use both cores and
// the caller's thread never waits on the write lock; reads (list, get) stay on the caller's thread with a
// read-only connection, which WAL lets run while the writer writes. NORMAL sync in WAL keeps commits
// durable across a process crash (not a power cut) at a fraction of FULL's cost.
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { LoopError } from '../core/errors.js';
import type { Capture, CaptureInput, CaptureSummary } from '../capture/capture.js';
import type { StoredTapConfig, TapConfig } from '../tapconfig/tapconfig.js';
import type { CaptureStore, ListOptions, Page, ReplayInput, ReplayRecord, RetentionPolicy } from './capture-store.js';
import { CAPTURE_COLUMNS, SUMMARY_COLUMNS, captureFromRow, summaryFromRow, toCaptureRow, type DbRow } from './capture-row.js';
import { captureConditions, parseListOptions } from './list-query.js';
import { encodeCursor } from './list-cursor.js';
import { replayFromRow, replayRowValues, tapConfigDocument, tapConfigFromRow, tapConfigKeyOf } from './record-rows.js';
import { retentionCutoffs } from './retention.js';
import { guardSqlite, openSqlite, type SqliteConnectionOptions } from './sqlite-connection.js';
import { packRows } from './sqlite-packed-rows.js';
import { inlineSqliteWriter, sqliteWriterThread, type SqliteWriter } from './sqlite-writer.js';

export interface SqliteCaptureStoreOptions {
  /** A file path (its directory is created if missing) or `:memory:`. */
  path: string;
  /** How long a writer waits for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Page cache size in MiB, per connection (default 64). */
  cacheSizeMiB?: number;
  clock?: () => Date;
  /**
   * Write on the calling thread, with one connection, instead of on a writer thread. Default false, except
   * for `:memory:` (a second connection would open a different database) and when this module runs from
   * its TypeScript source (tests) without `workerUrl`, as there is no compiled worker script beside it.
   */
  inline?: boolean;
  /** The writer thread's script (default: the compiled sqlite-writer-worker.js beside this module). */
  workerUrl?: URL;
  /** How long close() waits for queued writes before stopping the writer thread (default 30000 ms). */
  closeTimeoutMs?: number;
}

export interface SqliteCaptureStore extends CaptureStore {
  readonly kind: 'sqlite';
  readonly path: string;
}

type Statement = Database.Statement<unknown[], unknown>;

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const DEFAULT_WORKER_URL = new URL('./sqlite-writer-worker.js', import.meta.url);
const CHECKPOINT_INTERVAL_MS = 200;

interface Connected {
  writer: SqliteWriter;
  checkpointer?: SqliteWriter | undefined;
  reader: Database.Database;
  s: ReturnType<typeof prepareReads>;
}

function prepareReads(d: Database.Database) {
  return {
    getCapture: d.prepare(`SELECT ${CAPTURE_COLUMNS.join(', ')} FROM captures WHERE id = ?`),
    count: d.prepare('SELECT count(*) FROM captures').pluck(),
    listReplays: d.prepare('SELECT * FROM replays WHERE capture_id = ? ORDER BY id'),
    listTapConfigs: d.prepare('SELECT * FROM tapconfigs ORDER BY namespace, name'),
    ping: d.prepare('SELECT 1').pluck(),
  };
}

/**
 * Opens (creating if needed) a SQLite capture store. `init()` migrates (idempotent); any other method
 * does so too on first use.
 *
 * @example
 * const store = createSqliteCaptureStore({ path: '/var/lib/loop/captures.db' });
 * await store.init();
 */
export function createSqliteCaptureStore(options: SqliteCaptureStoreOptions): SqliteCaptureStore {
  const clock = options.clock ?? (() => new Date());
  const memory = options.path === ':memory:';
  const path = memory ? options.path : resolve(options.path);
  const inline = memory || (options.inline ?? (FROM_SOURCE && !options.workerUrl));
  const connection: SqliteConnectionOptions = { path, busyTimeoutMs: options.busyTimeoutMs, cacheSizeMiB: options.cacheSizeMiB };
  let closed = false;
  let closing: Promise<void> | undefined;
  let connected: Connected | undefined;
  let connecting: Promise<Connected> | undefined;
  const listStatements = new Map<string, Statement>();

  const guard = <T>(what: string, fn: () => T): T => guardSqlite(path, what, fn);
  const closedError = () => new LoopError('STORE_UNAVAILABLE', `the SQLite store ${path} is closed`);

  const connect = async (): Promise<Connected> => {
    const now = clock().toISOString();
    if (inline) {
      const writer = inlineSqliteWriter();
      await writer.open(connection, now);
      const reader = writer.writes!.db;
      return { writer, reader, s: guard('prepare', () => prepareReads(reader)) };
    }
    const thread = () =>
      sqliteWriterThread({
        workerUrl: options.workerUrl ?? DEFAULT_WORKER_URL,
        path,
        closeTimeoutMs: Math.max(0, options.closeTimeoutMs ?? 30_000),
      });
    const writer = thread();
    let checkpointer: SqliteWriter | undefined;
    let reader: Database.Database | undefined;
    try {
      await writer.open(connection, now);
      // A second thread checkpoints, so the writer's commits rarely wait for the WAL to be copied and
      // fsynced into the database file (the writer's autocheckpoint remains the backstop).
      checkpointer = thread();
      await checkpointer.startCheckpoints!(connection, CHECKPOINT_INTERVAL_MS);
      reader = openSqlite(connection, 'reader');
      const r = reader;
      return { writer, checkpointer, reader: r, s: guard('prepare', () => prepareReads(r)) };
    } catch (err) {
      reader?.close();
      await checkpointer?.close();
      await writer.close();
      throw err;
    }
  };

  /**
   * Runs `fn` with the connections: at once when they are open, else once they are, in call order. Either
   * way a write asked for before close() reaches the writer before close() does, and is drained by it.
   */
  const use = <T>(fn: (c: Connected) => T | Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(closedError());
    if (connected) {
      try {
        return Promise.resolve(fn(connected));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    connecting ??= connect().then(
      (c) => (connected = c),
      (err: unknown) => {
        connecting = undefined;
        throw err;
      },
    );
    return connecting.then(fn);
  };

  return {
    kind: 'sqlite',
    path,

    async init() {
      await use(() => undefined);
    },

    async insertBatch(captures: CaptureInput[]): Promise<number[]> {
      // Validated and serialised here: cheaper than cloning the capture objects to the writer thread, and
      // a bad capture is refused with the same error before anything is queued.
      const rows = packRows(captures.map((c, i) => toCaptureRow(c, i)));
      return use(({ writer }) => writer.runTransferring('insertRows', [rows.numbers, rows.bytes], rows));
    },

    async get(id: number): Promise<Capture | undefined> {
      return use(({ s }) => {
        if (!Number.isSafeInteger(id)) return undefined;
        const row = guard('get', () => s.getCapture.get(id)) as DbRow | undefined;
        return row ? captureFromRow(row) : undefined;
      });
    },

    async list(opts?: ListOptions): Promise<Page<CaptureSummary>> {
      const q = parseListOptions(opts);
      const params: unknown[] = [];
      const where = captureConditions(q, {
        bind: (v) => (params.push(v), '?'),
        pathExpr: 'path',
        timeValue: (ms) => ms,
      });
      const sql = `SELECT ${SUMMARY_COLUMNS.join(', ')} FROM captures${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      params.push(q.limit + 1);
      return use(({ reader }) => {
        let stmt = listStatements.get(sql);
        if (!stmt) {
          stmt = guard('list', () => reader.prepare(sql));
          listStatements.set(sql, stmt);
        }
        const rows = guard('list', () => stmt.all(...params)) as DbRow[];
        const items = rows.slice(0, q.limit).map(summaryFromRow);
        const last = items[items.length - 1];
        return rows.length > q.limit && last ? { items, nextCursor: encodeCursor(last.id) } : { items };
      });
    },

    async delete(id: number): Promise<boolean> {
      return use(({ writer }) => (Number.isSafeInteger(id) ? writer.run('deleteCapture', id) : false));
    },

    async applyRetention(policy: RetentionPolicy): Promise<number> {
      const cutoffs = retentionCutoffs(policy, clock);
      return use(({ writer }) => writer.run('applyRetention', cutoffs));
    },

    async count(): Promise<number> {
      return use(({ s }) => guard('count', () => Number(s.count.get())));
    },

    async insertReplay(replay: ReplayInput): Promise<ReplayRecord> {
      const values = replayRowValues(replay);
      return use(async ({ writer }) => replayFromRow(await writer.run('insertReplay', values)));
    },

    async listReplays(captureId: number): Promise<ReplayRecord[]> {
      return use(({ s }) => guard('list replays', () => (s.listReplays.all(captureId) as DbRow[]).map(replayFromRow)));
    },

    async listTapConfigs(): Promise<StoredTapConfig[]> {
      return use(({ s }) => guard('list tapconfigs', () => (s.listTapConfigs.all() as DbRow[]).map(tapConfigFromRow)));
    },

    async putTapConfigs(configs: TapConfig[]): Promise<StoredTapConfig[]> {
      const docs = configs.map((c, i) => ({ ...tapConfigKeyOf(c, i), document: tapConfigDocument(c) }));
      const updatedAt = clock().toISOString();
      return use(({ writer }) => writer.run('putTapConfigs', docs, updatedAt));
    },

    async deleteTapConfig(namespace: string, name: string): Promise<boolean> {
      return use(({ writer }) => writer.run('deleteTapConfig', namespace, name));
    },

    async ping(): Promise<void> {
      await use(({ writer, s }) => {
        writer.check();
        guard('ping', () => s.ping.get());
      });
    },

    close(): Promise<void> {
      if (closing) return closing;
      closed = true;
      listStatements.clear();
      // Chained after whatever was asked before (see `use`), so those requests reach the writer first.
      const opened = connected ? Promise.resolve(connected) : (connecting?.catch(() => undefined) ?? Promise.resolve(undefined));
      closing = opened.then(async (c) => {
        if (!c) return;
        // The reader goes first, so the writer's connection is the last and checkpoints the WAL away.
        if (!inline) c.reader.close();
        await c.checkpointer?.close();
        await c.writer.close();
      });
      return closing;
    },
  };
}
