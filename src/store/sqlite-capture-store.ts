// The default capture store: one SQLite file through better-sqlite3 (synchronous underneath; the async
// interface is for parity with PostgreSQL). WAL lets the list API read while ingest writes; NORMAL sync
// keeps commits durable across a process crash (not a power cut) at a fraction of FULL's cost.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { LoopError, messageOf } from '../core/errors.js';
import type { Capture, CaptureInput, CaptureSummary } from '../capture/capture.js';
import type { StoredTapConfig, TapConfig } from '../tapconfig/tapconfig.js';
import type { CaptureStore, ListOptions, Page, ReplayInput, ReplayRecord, RetentionPolicy } from './capture-store.js';
import {
  CAPTURE_COLUMNS,
  INSERT_COLUMNS,
  SUMMARY_COLUMNS,
  captureFromRow,
  captureRowValues,
  summaryFromRow,
  toCaptureRow,
  type DbRow,
} from './capture-row.js';
import { captureConditions, parseListOptions } from './list-query.js';
import { encodeCursor } from './list-cursor.js';
import {
  REPLAY_INSERT_COLUMNS,
  replayFromRow,
  replayNotFound,
  replayRowValues,
  tapConfigDocument,
  tapConfigFromRow,
  tapConfigKeyOf,
} from './record-rows.js';
import { retentionCutoffs } from './retention.js';
import { migrateSqlite } from './sqlite-migrations.js';

export interface SqliteCaptureStoreOptions {
  /** A file path (its directory is created if missing) or `:memory:`. */
  path: string;
  /** How long a writer waits for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Page cache size in MiB (default 64). */
  cacheSizeMiB?: number;
  clock?: () => Date;
}

export interface SqliteCaptureStore extends CaptureStore {
  readonly kind: 'sqlite';
  readonly path: string;
}

type Statement = Database.Statement<unknown[], unknown>;

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
  let db: Database.Database | undefined;
  let closed = false;
  let stmts: ReturnType<typeof prepare> | undefined;
  const listStatements = new Map<string, Statement>();

  const open = (): Database.Database => {
    if (closed) throw new LoopError('STORE_UNAVAILABLE', `the SQLite store ${path} is closed`);
    if (db) return db;
    try {
      if (!memory) mkdirSync(dirname(path), { recursive: true });
      const d = new Database(path);
      d.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      // 8 KiB pages hold a capture with two 1 KiB bodies without overflow pages; applies to new files only.
      d.pragma('page_size = 8192');
      d.pragma('journal_mode = WAL');
      // Checkpoint every 64 MiB of WAL instead of 4 MiB: each checkpoint fsyncs, and that dominates ingest.
      d.pragma('wal_autocheckpoint = 8192');
      d.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      d.pragma('synchronous = NORMAL');
      d.pragma('foreign_keys = ON');
      d.pragma(`cache_size = ${-1024 * Math.max(2, Math.trunc(options.cacheSizeMiB ?? 64))}`);
      d.pragma('temp_store = MEMORY');
      db = d;
      return d;
    } catch (err) {
      throw new LoopError('STORE_UNAVAILABLE', `cannot open the SQLite store ${path}: ${messageOf(err)}`, {
        cause: err,
        hint: `check that ${memory ? 'memory is available' : `${dirname(path)} exists and is writable`}`,
      });
    }
  };

  function prepare(d: Database.Database) {
    const placeholders = INSERT_COLUMNS.map(() => '?').join(', ');
    return {
      insertCapture: d.prepare(`INSERT INTO captures (${INSERT_COLUMNS.join(', ')}) VALUES (${placeholders})`),
      getCapture: d.prepare(`SELECT ${CAPTURE_COLUMNS.join(', ')} FROM captures WHERE id = ?`),
      deleteCapture: d.prepare('DELETE FROM captures WHERE id = ?'),
      count: d.prepare('SELECT count(*) FROM captures').pluck(),
      deleteBeyondCount: d.prepare(
        'DELETE FROM captures WHERE id <= (SELECT id FROM captures ORDER BY id DESC LIMIT 1 OFFSET ?)',
      ),
      deleteOlderThan: d.prepare('DELETE FROM captures WHERE captured_at < ?'),
      insertReplay: d.prepare(
        `INSERT INTO replays (${REPLAY_INSERT_COLUMNS.join(', ')}) VALUES (${REPLAY_INSERT_COLUMNS.map(() => '?').join(', ')}) RETURNING *`,
      ),
      listReplays: d.prepare('SELECT * FROM replays WHERE capture_id = ? ORDER BY id'),
      listTapConfigs: d.prepare('SELECT * FROM tapconfigs ORDER BY namespace, name'),
      bumpVersion: d
        .prepare("UPDATE counters SET value = value + 1 WHERE name = 'tapconfig_resource_version' RETURNING value")
        .pluck(),
      upsertTapConfig: d.prepare(
        `INSERT INTO tapconfigs (namespace, name, document, resource_version, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (namespace, name) DO UPDATE SET document = excluded.document,
           resource_version = excluded.resource_version, updated_at = excluded.updated_at`,
      ),
      deleteTapConfig: d.prepare('DELETE FROM tapconfigs WHERE namespace = ? AND name = ?'),
      ping: d.prepare('SELECT 1').pluck(),
    };
  }

  // Everything here is synchronous, so the first call of any method migrates if init() was not awaited.
  const ready = () => {
    const d = open();
    stmts ??= initialise(d);
    return { d, s: stmts };
  };

  /** Runs `fn`, turning driver errors into LoopErrors with the store named. */
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof LoopError) throw err;
      const code = (err as { code?: unknown }).code;
      const unavailable = typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|CANTOPEN|READONLY|FULL|IOERR)/.test(code);
      throw new LoopError(unavailable ? 'STORE_UNAVAILABLE' : 'STORE_FAILED', `SQLite store ${path}: ${what} failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
  };

  const initialise = (d: Database.Database) => {
    guard('migration', () => migrateSqlite(d, `SQLite store ${path}`, clock()));
    return guard('prepare', () => prepare(d));
  };

  const sqliteValue = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

  return {
    kind: 'sqlite',
    path,

    async init() {
      ready();
    },

    async insertBatch(captures: CaptureInput[]): Promise<number[]> {
      const rows = captures.map((c, i) => captureRowValues(toCaptureRow(c, i)).map(sqliteValue));
      const { d, s } = ready();
      return guard('insert', () =>
        d.transaction(() => rows.map((values) => Number(s.insertCapture.run(...values).lastInsertRowid)))(),
      );
    },

    async get(id: number): Promise<Capture | undefined> {
      const { s } = ready();
      if (!Number.isSafeInteger(id)) return undefined;
      const row = guard('get', () => s.getCapture.get(id)) as DbRow | undefined;
      return row ? captureFromRow(row) : undefined;
    },

    async list(opts?: ListOptions): Promise<Page<CaptureSummary>> {
      const q = parseListOptions(opts);
      const { d } = ready();
      const params: unknown[] = [];
      const where = captureConditions(q, {
        bind: (v) => (params.push(v), '?'),
        pathExpr: 'path',
        timeValue: (ms) => ms,
      });
      const sql = `SELECT ${SUMMARY_COLUMNS.join(', ')} FROM captures${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      params.push(q.limit + 1);
      let stmt = listStatements.get(sql);
      if (!stmt) {
        stmt = guard('list', () => d.prepare(sql));
        listStatements.set(sql, stmt);
      }
      const rows = guard('list', () => stmt.all(...params)) as DbRow[];
      const items = rows.slice(0, q.limit).map(summaryFromRow);
      const last = items[items.length - 1];
      return rows.length > q.limit && last ? { items, nextCursor: encodeCursor(last.id) } : { items };
    },

    async delete(id: number): Promise<boolean> {
      const { s } = ready();
      if (!Number.isSafeInteger(id)) return false;
      return guard('delete', () => s.deleteCapture.run(id).changes > 0);
    },

    async applyRetention(policy: RetentionPolicy): Promise<number> {
      const { maxCount, olderThanMs } = retentionCutoffs(policy, clock);
      const { d, s } = ready();
      return guard('retention', () =>
        d.transaction(() => {
          let removed = 0;
          if (olderThanMs !== undefined) removed += s.deleteOlderThan.run(olderThanMs).changes;
          if (maxCount !== undefined) removed += s.deleteBeyondCount.run(maxCount).changes;
          return removed;
        })(),
      );
    },

    async count(): Promise<number> {
      const { s } = ready();
      return guard('count', () => Number(s.count.get()));
    },

    async insertReplay(replay: ReplayInput): Promise<ReplayRecord> {
      const values = replayRowValues(replay);
      const { s } = ready();
      return guard('insert replay', () => {
        try {
          return replayFromRow(s.insertReplay.get(...values) as DbRow);
        } catch (err) {
          if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw replayNotFound(replay.captureId, err);
          throw err;
        }
      });
    },

    async listReplays(captureId: number): Promise<ReplayRecord[]> {
      const { s } = ready();
      return guard('list replays', () => (s.listReplays.all(captureId) as DbRow[]).map(replayFromRow));
    },

    async listTapConfigs(): Promise<StoredTapConfig[]> {
      const { s } = ready();
      return guard('list tapconfigs', () => (s.listTapConfigs.all() as DbRow[]).map(tapConfigFromRow));
    },

    async putTapConfigs(configs: TapConfig[]): Promise<StoredTapConfig[]> {
      const docs = configs.map((c, i) => ({ ...tapConfigKeyOf(c, i), document: tapConfigDocument(c) }));
      const { d, s } = ready();
      const updatedAt = clock().toISOString();
      return guard('put tapconfigs', () =>
        d.transaction(() =>
          docs.map((doc) => {
            const version = Number(s.bumpVersion.get());
            s.upsertTapConfig.run(doc.namespace, doc.name, doc.document, version, updatedAt);
            return tapConfigFromRow({ ...doc, resource_version: version, updated_at: updatedAt });
          }),
        )(),
      );
    },

    async deleteTapConfig(namespace: string, name: string): Promise<boolean> {
      const { s } = ready();
      return guard('delete tapconfig', () => s.deleteTapConfig.run(namespace, name).changes > 0);
    },

    async ping(): Promise<void> {
      const d = open();
      guard('ping', () => d.prepare('SELECT 1').get());
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      listStatements.clear();
      stmts = undefined;
      const d = db;
      db = undefined;
      d?.close();
    },
  };
}
