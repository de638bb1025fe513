// Every write the SQLite store makes, as synchronous operations on one writer connection. They run on the
// writer thread (sqlite-writer-worker.ts) or, in inline mode, on the caller's; arguments and results are
// plain data (rows already validated and serialised, cutoffs already computed) so they cross threads as is.
import type Database from 'better-sqlite3';
import type { StoredTapConfig } from '../tapconfig/tapconfig.js';
import { INSERT_COLUMNS, type DbRow } from './capture-row.js';
import { REPLAY_INSERT_COLUMNS, replayNotFound, tapConfigFromRow } from './record-rows.js';
import { deleteBeyondBytesSql, type RetentionCutoffs } from './retention.js';
import { unpackRows, type PackedRows } from './sqlite-packed-rows.js';
import { guardSqlite, openSqlite, type SqliteConnectionOptions } from './sqlite-connection.js';
import { migrateSqlite } from './sqlite-migrations.js';

/** A TapConfig as stored: its key and its document without the store-owned metadata. */
export interface TapConfigDocument {
  namespace: string;
  name: string;
  document: string;
}

// The planner's statistics are refreshed after this many inserted captures (and at open and close), so a
// rare filter value gets its index; analysis_limit keeps each ANALYZE to a sample, milliseconds at 1M rows.
const OPTIMIZE_EVERY_ROWS = 100_000;

/**
 * Opens the writer connection, migrates the schema, and returns the write operations.
 * `now` (RFC 3339) is recorded as the time of any migration applied.
 */
export function openSqliteWriter(options: SqliteConnectionOptions, now: string) {
  const { path } = options;
  const db = openSqlite(options, 'writer');
  try {
    return sqliteWrites(db, path, now);
  } catch (err) {
    db.close();
    throw err;
  }
}

export type SqliteWrites = ReturnType<typeof sqliteWrites>;
/** The operations that can be asked of a writer; `close` is the writer's own. */
export type SqliteWriteOp = Exclude<keyof SqliteWrites, 'db' | 'close'>;

function sqliteWrites(db: Database.Database, path: string, now: string) {
  const guard = <T>(what: string, fn: () => T): T => guardSqlite(path, what, fn);
  guard('migration', () => migrateSqlite(db, `SQLite store ${path}`, new Date(now)));
  const optimize = () => {
    db.pragma('analysis_limit = 1000');
    // 0x10002: consider every table, not only those this connection queried (it only inserts).
    db.pragma('optimize = 0x10002');
  };
  guard('optimize', optimize);
  let insertedSinceOptimize = 0;

  const s = guard('prepare', () => ({
    insertCapture: db.prepare(`INSERT INTO captures (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`),
    deleteCapture: db.prepare('DELETE FROM captures WHERE id = ?'),
    deleteBeyondCount: db.prepare('DELETE FROM captures WHERE id <= (SELECT id FROM captures ORDER BY id DESC LIMIT 1 OFFSET ?)'),
    deleteOlderThan: db.prepare('DELETE FROM captures WHERE captured_at < ?'),
    deleteBeyondBytes: db.prepare(deleteBeyondBytesSql('?')),
    insertReplay: db.prepare(
      `INSERT INTO replays (${REPLAY_INSERT_COLUMNS.join(', ')}) VALUES (${REPLAY_INSERT_COLUMNS.map(() => '?').join(', ')}) RETURNING *`,
    ),
    bumpVersion: db.prepare("UPDATE counters SET value = value + 1 WHERE name = 'tapconfig_resource_version' RETURNING value").pluck(),
    upsertTapConfig: db.prepare(
      `INSERT INTO tapconfigs (namespace, name, document, resource_version, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (namespace, name) DO UPDATE SET document = excluded.document,
         resource_version = excluded.resource_version, updated_at = excluded.updated_at`,
    ),
    deleteTapConfig: db.prepare('DELETE FROM tapconfigs WHERE namespace = ? AND name = ?'),
  }));

  const insertAll = db.transaction((rows: readonly unknown[][]) => rows.map((values) => Number(s.insertCapture.run(...values).lastInsertRowid)));
  const retain = db.transaction((c: RetentionCutoffs) => {
    let removed = 0;
    if (c.olderThanMs !== undefined) removed += s.deleteOlderThan.run(c.olderThanMs).changes;
    if (c.maxCount !== undefined) removed += s.deleteBeyondCount.run(c.maxCount).changes;
    if (c.maxBytes !== undefined) removed += s.deleteBeyondBytes.run(c.maxBytes).changes;
    return removed;
  });
  const putAll = db.transaction((docs: readonly TapConfigDocument[], updatedAt: string) =>
    docs.map((doc) => {
      const version = Number(s.bumpVersion.get());
      s.upsertTapConfig.run(doc.namespace, doc.name, doc.document, version, updatedAt);
      return tapConfigFromRow({ ...doc, resource_version: version, updated_at: updatedAt });
    }),
  );

  return {
    /** The connection itself, for reads in inline mode. */
    db,

    /** Rows in INSERT_COLUMNS order; all in one transaction. Returns their ids in order. */
    insertRows(packed: PackedRows): number[] {
      const rows = unpackRows(packed);
      const ids = guard('insert', () => insertAll(rows));
      insertedSinceOptimize += rows.length;
      if (insertedSinceOptimize >= OPTIMIZE_EVERY_ROWS) {
        insertedSinceOptimize = 0;
        guard('optimize', optimize);
      }
      return ids;
    },

    deleteCapture(id: number): boolean {
      return guard('delete', () => s.deleteCapture.run(id).changes > 0);
    },

    applyRetention(cutoffs: RetentionCutoffs): number {
      return guard('retention', () => retain(cutoffs));
    },

    /** Values in REPLAY_INSERT_COLUMNS order; returns the stored row. */
    insertReplay(values: unknown[]): DbRow {
      return guard('insert replay', () => {
        try {
          return s.insertReplay.get(...values) as DbRow;
        } catch (err) {
          if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw replayNotFound(Number(values[0]), err);
          throw err;
        }
      });
    },

    putTapConfigs(docs: TapConfigDocument[], updatedAt: string): StoredTapConfig[] {
      return guard('put tapconfigs', () => putAll(docs, updatedAt));
    },

    deleteTapConfig(namespace: string, name: string): boolean {
      return guard('delete tapconfig', () => s.deleteTapConfig.run(namespace, name).changes > 0);
    },

    /** Refreshes the planner's statistics if they are stale, then closes the connection. */
    close(): void {
      try {
        optimize();
      } catch {
        // statistics are an optimisation; closing matters more
      }
      db.close();
    },
  };
}
