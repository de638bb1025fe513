// The SQLite schema, as numbered migrations. Index choice: the list is newest-first by id with at most
// one or two filters, so each equality filter gets a (column, id) index that lets ORDER BY id DESC LIMIT n
// stop after n hits; captured_at gets a plain index for time ranges. method and path have none: their
// matches are dense enough that walking ids backwards finds a page quickly, and every index costs inserts.
// Small columns come first and bodies last, so reading a summary never touches body pages.
import type Database from 'better-sqlite3';
import { pendingMigrations, type Migration } from './migrations.js';

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'captures, replays, tapconfigs',
    sql: `
      CREATE TABLE captures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        captured_at INTEGER NOT NULL,
        captured_at_text TEXT NOT NULL,
        tap_config TEXT NOT NULL,
        source TEXT NOT NULL,
        destination TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        authority TEXT NOT NULL,
        status INTEGER NOT NULL,
        status_class INTEGER NOT NULL,
        duration_ms REAL CHECK (duration_ms IS NULL OR duration_ms >= 0),
        request_bytes INTEGER NOT NULL,
        response_bytes INTEGER NOT NULL,
        request_truncated INTEGER,
        response_truncated INTEGER,
        connections TEXT,
        request_meta TEXT NOT NULL,
        response_meta TEXT NOT NULL,
        request_body BLOB,
        response_body BLOB
      );
      CREATE INDEX captures_status_class_id ON captures (status_class, id);
      CREATE INDEX captures_destination_id ON captures (destination, id);
      CREATE INDEX captures_tap_config_id ON captures (tap_config, id);
      CREATE INDEX captures_captured_at ON captures (captured_at);

      CREATE TABLE replays (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        capture_id INTEGER NOT NULL REFERENCES captures (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        destination TEXT NOT NULL,
        target TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        response TEXT,
        error TEXT,
        diff TEXT
      );
      CREATE INDEX replays_capture_id ON replays (capture_id, id);

      CREATE TABLE tapconfigs (
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        resource_version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (namespace, name)
      ) WITHOUT ROWID;

      -- resourceVersion comes from here: one counter, bumped inside the writing transaction.
      CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO counters (name, value) VALUES ('tapconfig_resource_version', 0);
    `,
  },
];

/** Applies pending migrations in one IMMEDIATE transaction (a second process waits on busy_timeout). */
export function migrateSqlite(db: Database.Database, target: string, now: Date): number[] {
  const run = db.transaction((): number[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const applied = db
      .prepare('SELECT version FROM schema_migrations')
      .pluck()
      .all() as number[];
    const todo = pendingMigrations(SQLITE_MIGRATIONS, applied, target);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of todo) {
      db.exec(m.sql);
      record.run(m.version, m.name, now.toISOString());
    }
    return todo.map((m) => m.version);
  });
  return run.immediate();
}
