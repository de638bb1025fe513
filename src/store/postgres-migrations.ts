// The PostgreSQL schema, as numbered migrations. Same tables and index choice as SQLite (see
// sqlite-migrations.ts); ids are identity columns, bodies bytea, captured_at timestamptz.
// Several loop servers may share one database and start at once: the migration runs in one transaction
// under a transaction-scoped advisory lock, so one applies it and the others then find nothing to do.
import type { PoolClient } from 'pg';
import { pendingMigrations, type Migration } from './migrations.js';

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'captures, replays, tapconfigs',
    sql: `
      CREATE TABLE captures (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        captured_at timestamptz NOT NULL,
        captured_at_text text NOT NULL,
        tap_config text NOT NULL,
        source text NOT NULL,
        destination text NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        authority text NOT NULL,
        status integer NOT NULL,
        status_class smallint NOT NULL,
        duration_ms double precision CHECK (duration_ms IS NULL OR duration_ms >= 0),
        request_bytes integer NOT NULL,
        response_bytes integer NOT NULL,
        request_truncated boolean,
        response_truncated boolean,
        connections text,
        request_meta text NOT NULL,
        response_meta text NOT NULL,
        request_body bytea,
        response_body bytea
      );
      CREATE INDEX captures_status_class_id ON captures (status_class, id);
      CREATE INDEX captures_destination_id ON captures (destination, id);
      CREATE INDEX captures_tap_config_id ON captures (tap_config, id);
      CREATE INDEX captures_captured_at ON captures (captured_at);

      CREATE TABLE replays (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        capture_id BIGINT NOT NULL REFERENCES captures (id) ON DELETE CASCADE,
        created_at text NOT NULL,
        destination text NOT NULL,
        target text NOT NULL,
        duration_ms double precision NOT NULL,
        response text,
        error text,
        diff text
      );
      CREATE INDEX replays_capture_id ON replays (capture_id, id);

      CREATE TABLE tapconfigs (
        namespace text NOT NULL,
        name text NOT NULL,
        document text NOT NULL,
        resource_version bigint NOT NULL,
        updated_at text NOT NULL,
        PRIMARY KEY (namespace, name)
      );

      -- resourceVersion comes from here, not a sequence: the row lock orders versions by commit, so a
      -- watcher that saw version N never later sees a smaller one appear.
      CREATE TABLE counters (
        name text PRIMARY KEY,
        value bigint NOT NULL
      );
      INSERT INTO counters (name, value) VALUES ('tapconfig_resource_version', 0);
    `,
  },
];

/**
 * Applies pending migrations on `client` (outside any transaction): BEGIN, advisory lock keyed by the
 * schema, CREATE SCHEMA IF NOT EXISTS, the migrations, COMMIT. `schema` must already be a safe identifier.
 */
export async function migratePostgres(
  client: PoolClient,
  schema: string | undefined,
  target: string,
  now: Date,
): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('loop-schema-migrations'), hashtext($1))", [schema ?? '']);
    // Only a schema we were asked for is created: CREATE SCHEMA needs a privilege the default one does not.
    // Nothing is created that exists already, not even with IF NOT EXISTS: PostgreSQL checks the CREATE
    // privilege before it looks, and a role that may only read and write loop's tables must be able to start.
    if (schema !== undefined) {
      const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    }
    const table = await client.query<{ oid: string | null }>("SELECT to_regclass('schema_migrations') AS oid");
    if (table.rows[0]?.oid == null) {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL
      )`);
    }
    const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const todo = pendingMigrations(POSTGRES_MIGRATIONS, applied.rows.map((r) => r.version), target);
    for (const m of todo) {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        now,
      ]);
    }
    await client.query('COMMIT');
    return todo.map((m) => m.version);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
