// The capture store for shared and multi-replica deployments: PostgreSQL through a `pg` Pool.
// A batch is one INSERT … SELECT FROM unnest(…) statement with binary array parameters
// (postgres-capture-insert.ts): atomic on its own, one round trip. An optional schema, set as
// search_path on every connection, isolates tenants and test files.
import pg from 'pg';
import { LoopError, messageOf } from '../core/errors.js';
import type { Capture, CaptureInput, CaptureSummary } from '../capture/capture.js';
import type { StoredTapConfig, TapConfig } from '../tapconfig/tapconfig.js';
import type { CaptureStore, ListOptions, Page, ReplayInput, ReplayRecord, RetentionPolicy } from './capture-store.js';
import { CAPTURE_COLUMNS, SUMMARY_COLUMNS, captureFromRow, summaryFromRow, toCaptureRow, type DbRow } from './capture-row.js';
import { CAPTURE_INSERT_SQL, captureInsertParams } from './postgres-capture-insert.js';
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
import { deleteBeyondBytesSql, retentionCutoffs } from './retention.js';
import { migratePostgres } from './postgres-migrations.js';
import type { Logger } from '../core/logger.js';

export interface PostgresCaptureStoreOptions {
  /** `postgres://user[:password]@host:port/db`; the password never appears in errors or logs. */
  connectionString: string;
  /** Schema for the tables, created if missing and used as search_path (default: the server's, usually public). */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** How long to wait for a connection before STORE_UNAVAILABLE (default 5000 ms). */
  connectTimeoutMs?: number;
  clock?: () => Date;
  logger?: Logger;
}

export interface PostgresCaptureStore extends CaptureStore {
  readonly kind: 'postgres';
  /** `host:port/database`, safe to show. */
  readonly target: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// Errors that mean "the server is not there or will not let us in", as opposed to a failed statement.
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(code)) return true;
    // 08 connection exception, 28 invalid authorization, 3D000 no such database, 57P0x shutdown/cannot connect, 53300 too many connections.
    if (/^(08|28)/.test(code) || code === '3D000' || /^57P0/.test(code) || code === '53300') return true;
  }
  const msg = messageOf(err);
  return /timeout exceeded when trying to connect|Connection terminated|connect ETIMEDOUT|Client has encountered a connection error/i.test(msg);
}

/** `host:port/database` of a connection string, without user or password, and the user. */
function describeTarget(connectionString: string): { target: string; hostPort: string; user: string | undefined } {
  try {
    const u = new URL(connectionString);
    const host = u.hostname || 'localhost';
    const hostPort = `${host}:${u.port || '5432'}`;
    return { target: `${hostPort}${u.pathname || '/'}`, hostPort, user: u.username ? decodeURIComponent(u.username) : undefined };
  } catch {
    return { target: 'PostgreSQL', hostPort: 'the configured address', user: undefined };
  }
}

/** What a role that may not create loop's tables needs, or who should start loop first. */
function migrationGrantHint(user: string | undefined, schema: string | undefined): string {
  const role = user ?? '<role>';
  const grant = schema === undefined
    ? `GRANT CREATE ON SCHEMA public TO ${role}`
    : `GRANT CREATE ON SCHEMA ${schema} TO ${role} (CREATE ON DATABASE while the schema does not exist)`;
  return `${user !== undefined ? `role ${user}` : 'this role'} may not create loop's tables: start loop serve once (and once after an upgrade) as a role that may, such as the database owner, or ${grant}; the other starts need only SELECT, INSERT, UPDATE and DELETE on the tables`;
}

/**
 * A PostgreSQL capture store. Call `init()` first: it creates the schema (if given) and migrates.
 *
 * @example
 * const store = createPostgresCaptureStore({ connectionString: 'postgres://loop@db:5432/loop', schema: 'loop' });
 * await store.init();
 */
export function createPostgresCaptureStore(options: PostgresCaptureStoreOptions): PostgresCaptureStore {
  const clock = options.clock ?? (() => new Date());
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new LoopError('CONFIG_INVALID', `PostgreSQL schema ${JSON.stringify(schema)} is invalid: expected lowercase letters, digits and _ (max 63)`);
  }
  const { target, hostPort, user } = describeTarget(options.connectionString);
  const poolSize = options.poolSize ?? 10;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', (err) => options.logger?.warn('postgres idle connection error', { target, error: messageOf(err) }));
  let initialised: Promise<void> | undefined;
  let closed = false;

  /** What to do about a failure, by PostgreSQL's SQLSTATE where it says more than "is it running?". */
  const hintFor = (what: string, err: unknown): string | undefined => {
    const code = (err as { code?: unknown }).code;
    // pg-pool's own words for a checkout that waited out the timeout with every connection in use: the
    // server answers, so asking whether it runs sent operators the wrong way.
    if (/timeout exceeded when trying to connect/i.test(messageOf(err))) {
      return `all ${poolSize} connections to ${hostPort} stayed busy for ${connectTimeoutMs} ms: statements are slow or waiting on locks (SELECT * FROM pg_stat_activity shows them)`;
    }
    if (code === '3D000') return `create the database (CREATE DATABASE …) or correct its name in the store URL`;
    if (code === '28000' || code === '28P01') return `check the user and password in the store URL, and that pg_hba.conf at ${hostPort} lets this host in as that user`;
    // 42501 insufficient_privilege while creating or upgrading the tables: say which grant is missing.
    if (what === 'migration' && code === '42501') return migrationGrantHint(user, schema);
    // 42P07 duplicate_table: tables of the same name that loop did not record as its own.
    if (what === 'migration' && code === '42P07') {
      return `the ${schema !== undefined ? `schema ${schema}` : 'database'} holds tables loop did not create: give loop a schema of its own (?schema=loop in the store URL) or a database of its own`;
    }
    if (isUnavailable(err)) return `is PostgreSQL running at ${hostPort} and accepting this user? (for tests: scripts/postgres-start.sh)`;
    return undefined;
  };

  const wrap = (what: string, err: unknown): LoopError => {
    if (err instanceof LoopError) return err;
    const hint = hintFor(what, err);
    const unavailable = isUnavailable(err);
    const message = unavailable ? `PostgreSQL store ${target} is unavailable (${what}): ${messageOf(err)}` : `PostgreSQL store ${target}: ${what} failed: ${messageOf(err)}`;
    return new LoopError(unavailable ? 'STORE_UNAVAILABLE' : 'STORE_FAILED', message, { cause: err, ...(hint ? { hint } : {}) });
  };

  const query = async <R extends pg.QueryResultRow = DbRow>(what: string, text: string, values?: unknown[]) => {
    if (closed) throw new LoopError('STORE_UNAVAILABLE', `the PostgreSQL store ${target} is closed`);
    try {
      return await pool.query<R>(text, values);
    } catch (err) {
      throw wrap(what, err);
    }
  };

  /** Runs `fn` in a transaction on one pooled client. */
  const transaction = async <T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    if (closed) throw new LoopError('STORE_UNAVAILABLE', `the PostgreSQL store ${target} is closed`);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw wrap(what, err);
    }
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw wrap(what, err);
    } finally {
      client.release();
    }
  };

  const init = (): Promise<void> => {
    initialised ??= (async () => {
      if (closed) throw new LoopError('STORE_UNAVAILABLE', `the PostgreSQL store ${target} is closed`);
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw wrap('connect', err);
      }
      try {
        await migratePostgres(client, schema, `PostgreSQL store ${target}`, clock());
      } catch (err) {
        throw wrap('migration', err);
      } finally {
        client.release();
      }
    })().catch((err: unknown) => {
      initialised = undefined; // a later call may succeed once the server is up
      throw err;
    });
    return initialised;
  };

  return {
    kind: 'postgres',
    target,
    init,

    async insertBatch(captures: CaptureInput[]): Promise<number[]> {
      const rows = captures.map((c, i) => toCaptureRow(c, i));
      if (rows.length === 0) return [];
      let params: Buffer[];
      try {
        params = captureInsertParams(rows);
      } catch (err) {
        throw wrap('insert', err); // a number the column cannot hold, refused as the server would
      }
      await init();
      const res = await query<{ id: string }>('insert', CAPTURE_INSERT_SQL, params);
      // Identity values are drawn in ORDER BY ord order, so ascending ids are input order.
      return res.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    },

    async get(id: number): Promise<Capture | undefined> {
      if (!Number.isSafeInteger(id)) return undefined;
      await init();
      const res = await query('get', `SELECT ${CAPTURE_COLUMNS.join(', ')} FROM captures WHERE id = $1`, [id]);
      const row = res.rows[0];
      return row ? captureFromRow(row) : undefined;
    },

    async list(opts?: ListOptions): Promise<Page<CaptureSummary>> {
      const q = parseListOptions(opts);
      await init();
      const params: unknown[] = [];
      const where = captureConditions(q, {
        bind: (v) => `$${params.push(v)}`,
        pathExpr: 'path COLLATE "C"',
        timeValue: (ms) => new Date(ms).toISOString(),
      });
      const sql = `SELECT ${SUMMARY_COLUMNS.join(', ')} FROM captures${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(q.limit + 1)}`;
      const res = await query('list', sql, params);
      const items = res.rows.slice(0, q.limit).map(summaryFromRow);
      const last = items[items.length - 1];
      return res.rows.length > q.limit && last ? { items, nextCursor: encodeCursor(last.id) } : { items };
    },

    async delete(id: number): Promise<boolean> {
      if (!Number.isSafeInteger(id)) return false;
      await init();
      const res = await query('delete', 'DELETE FROM captures WHERE id = $1', [id]);
      return (res.rowCount ?? 0) > 0;
    },

    async applyRetention(policy: RetentionPolicy): Promise<number> {
      const { maxCount, olderThanMs, maxBytes } = retentionCutoffs(policy, clock);
      await init();
      return transaction('retention', async (client) => {
        let removed = 0;
        if (olderThanMs !== undefined) {
          const r = await client.query('DELETE FROM captures WHERE captured_at < $1', [new Date(olderThanMs).toISOString()]);
          removed += r.rowCount ?? 0;
        }
        if (maxCount !== undefined) {
          const r = await client.query(
            'DELETE FROM captures WHERE id <= (SELECT id FROM captures ORDER BY id DESC LIMIT 1 OFFSET $1)',
            [maxCount],
          );
          removed += r.rowCount ?? 0;
        }
        if (maxBytes !== undefined) {
          const r = await client.query(deleteBeyondBytesSql('$1'), [maxBytes]);
          removed += r.rowCount ?? 0;
        }
        return removed;
      });
    },

    async count(): Promise<number> {
      await init();
      const res = await query<{ n: string }>('count', 'SELECT count(*) AS n FROM captures');
      return Number(res.rows[0]?.n ?? 0);
    },

    async insertReplay(replay: ReplayInput): Promise<ReplayRecord> {
      const values = replayRowValues(replay);
      await init();
      try {
        const res = await query(
          'insert replay',
          `INSERT INTO replays (${REPLAY_INSERT_COLUMNS.join(', ')}) VALUES (${REPLAY_INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
          values,
        );
        return replayFromRow(res.rows[0] as DbRow);
      } catch (err) {
        if ((err as { cause?: { code?: unknown } }).cause?.code === '23503') throw replayNotFound(replay.captureId, err);
        throw err;
      }
    },

    async listReplays(captureId: number): Promise<ReplayRecord[]> {
      if (!Number.isSafeInteger(captureId)) return [];
      await init();
      const res = await query('list replays', 'SELECT * FROM replays WHERE capture_id = $1 ORDER BY id', [captureId]);
      return res.rows.map(replayFromRow);
    },

    async listTapConfigs(): Promise<StoredTapConfig[]> {
      await init();
      const res = await query('list tapconfigs', 'SELECT * FROM tapconfigs ORDER BY namespace COLLATE "C", name COLLATE "C"');
      return res.rows.map(tapConfigFromRow);
    },

    async putTapConfigs(configs: TapConfig[]): Promise<StoredTapConfig[]> {
      const docs = configs.map((c, i) => ({ ...tapConfigKeyOf(c, i), document: tapConfigDocument(c) }));
      await init();
      const updatedAt = clock().toISOString();
      return transaction('put tapconfigs', async (client) => {
        const out: StoredTapConfig[] = [];
        for (const doc of docs) {
          const v = await client.query<{ value: string }>(
            "UPDATE counters SET value = value + 1 WHERE name = 'tapconfig_resource_version' RETURNING value",
          );
          const version = v.rows[0]?.value ?? '0';
          await client.query(
            `INSERT INTO tapconfigs (namespace, name, document, resource_version, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (namespace, name) DO UPDATE SET document = excluded.document,
               resource_version = excluded.resource_version, updated_at = excluded.updated_at`,
            [doc.namespace, doc.name, doc.document, version, updatedAt],
          );
          out.push(tapConfigFromRow({ ...doc, resource_version: version, updated_at: updatedAt }));
        }
        return out;
      });
    },

    async deleteTapConfig(namespace: string, name: string): Promise<boolean> {
      await init();
      const res = await query('delete tapconfig', 'DELETE FROM tapconfigs WHERE namespace = $1 AND name = $2', [namespace, name]);
      return (res.rowCount ?? 0) > 0;
    },

    async ping(): Promise<void> {
      await query('ping', 'SELECT 1');
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
