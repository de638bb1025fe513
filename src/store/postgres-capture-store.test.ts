// Runs the store contract against a real PostgreSQL named by LOOP_TEST_POSTGRES_URL (start one with
// scripts/postgres-start.sh). Every store gets its own fresh schema, dropped when the file is done, so
// test files can share one server in parallel.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopError } from '../core/errors.js';
import { captureStoreContract, sampleCapture, sampleCaptureWithBodies } from './capture-store.contract.js';
import { createPostgresCaptureStore } from './postgres-capture-store.js';
import { createCaptureStore } from './open-capture-store.js';

const url = process.env.LOOP_TEST_POSTGRES_URL;

if (!url) {
  if (process.env.CI) {
    describe('PostgreSQL capture store', () => {
      it('needs a PostgreSQL server', () => {
        throw new Error(
          'LOOP_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL (scripts/postgres-start.sh) and export LOOP_TEST_POSTGRES_URL with the URL it prints',
        );
      });
    });
  } else {
    console.warn(
      'skipping PostgreSQL store tests: LOOP_TEST_POSTGRES_URL is not set. Run them with\n' +
        '  export LOOP_TEST_POSTGRES_URL=$(scripts/postgres-start.sh | tail -1) && npx vitest run src/store',
    );
    describe.skip('PostgreSQL capture store (LOOP_TEST_POSTGRES_URL not set)', () => {
      it('contract', () => {});
    });
  }
} else {
  const run = `loop_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  const schemas: string[] = [];
  let n = 0;
  const freshSchema = () => {
    const s = `${run}_${n++}`;
    schemas.push(s);
    return s;
  };

  afterAll(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  captureStoreContract('postgres', async () => {
    const store = createPostgresCaptureStore({ connectionString: url, schema: freshSchema(), poolSize: 3 });
    await store.init();
    return store;
  });

  describe('PostgreSQL capture store', () => {
    it('migrates once when several servers start at the same time', async () => {
      const schema = freshSchema();
      const stores = Array.from({ length: 4 }, () => createPostgresCaptureStore({ connectionString: url, schema, poolSize: 2 }));
      try {
        await Promise.all(stores.map((s) => s.init()));
        const ids = await Promise.all(stores.map((s, i) => s.insertBatch([sampleCapture(i)])));
        expect(new Set(ids.flat()).size).toBe(4);
        expect(await stores[0]!.count()).toBe(4);
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const r = await client.query(`SELECT count(*)::int AS n FROM "${schema}".schema_migrations`);
        await client.end();
        expect(r.rows[0].n).toBe(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('deleting a capture removes its row with both bodies, and its replay rows', async () => {
      const schema = freshSchema();
      const store = createPostgresCaptureStore({ connectionString: url, schema });
      const client = new pg.Client({ connectionString: url });
      try {
        await store.init();
        const [gone, kept] = await store.insertBatch([sampleCaptureWithBodies(1), sampleCaptureWithBodies(2)]);
        for (const captureId of [gone!, gone!, kept!]) {
          await store.insertReplay({ captureId, createdAt: '2026-11-26T08:01:00.000Z', destination: 'd', target: 't', durationMs: 1 });
        }
        expect(await store.delete(gone!)).toBe(true);
        await client.connect();
        const rows = await client.query(`SELECT id::int AS id, convert_from(request_body, 'UTF8') AS req, convert_from(response_body, 'UTF8') AS res FROM "${schema}".captures ORDER BY id`);
        expect(rows.rows).toEqual([{ id: kept, req: 'request-body-2', res: 'response-body-2' }]);
        const replays = await client.query(`SELECT capture_id::int AS c FROM "${schema}".replays`);
        expect(replays.rows).toEqual([{ c: kept }]);
      } finally {
        await client.end().catch(() => undefined);
        await store.close();
      }
    });

    it('returns a 500-capture batch with ids in input order', async () => {
      const store = createPostgresCaptureStore({ connectionString: url, schema: freshSchema() });
      try {
        const input = Array.from({ length: 500 }, (_, i) => sampleCapture(i, { path: `/n/${i}` }));
        const ids = await store.insertBatch(input);
        for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
        for (const i of [0, 137, 499]) expect((await store.get(ids[i]!))?.request.headers[1]).toEqual([':path', `/n/${i}`]);
      } finally {
        await store.close();
      }
    });

    it('refuses a batch whose status does not fit an integer column with STORE_FAILED, writing nothing', async () => {
      const store = createPostgresCaptureStore({ connectionString: url, schema: freshSchema() });
      try {
        const huge = sampleCapture(2, { response: { headers: [[':status', '99999999999']], trailers: [] } });
        const err = await store.insertBatch([sampleCapture(1), huge]).then(() => undefined, (e: unknown) => e);
        expect(isLoopError(err, 'STORE_FAILED'), String(err)).toBe(true);
        expect(String(err)).toContain('out of range for type integer');
        expect(await store.count()).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('starts as a role that may only read and write the tables a more privileged role created', async () => {
      const schema = freshSchema();
      const role = `${schema}_app`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const asRole = new URL(url);
      asRole.username = role;
      asRole.password = '';
      try {
        const owner = createPostgresCaptureStore({ connectionString: url, schema });
        await owner.init();
        await owner.close();
        await admin.query(`CREATE ROLE "${role}" LOGIN`);
        await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
        await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);

        // Before, init failed: "migration failed: permission denied for schema …" (CREATE … IF NOT EXISTS).
        const app = createPostgresCaptureStore({ connectionString: asRole.toString(), schema });
        try {
          await app.init();
          const [id] = await app.insertBatch([sampleCapture(1)]);
          expect((await app.list()).items.map((c) => c.id)).toEqual([id]);
          await app.putTapConfigs([{ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'default', name: 'errors' }, spec: { match: 'true' } }]);
          expect(await app.delete(id!)).toBe(true);
        } finally {
          await app.close();
        }

        // Without the tables, the same role is told which grant it lacks.
        const empty = freshSchema();
        await admin.query(`CREATE SCHEMA "${empty}"`);
        await admin.query(`GRANT USAGE ON SCHEMA "${empty}" TO "${role}"`);
        const first = createPostgresCaptureStore({ connectionString: asRole.toString(), schema: empty });
        try {
          const err = await first.init().then(() => undefined, (e: unknown) => e);
          expect(err).toMatchObject({ code: 'STORE_FAILED', message: expect.stringContaining('migration failed: permission denied for schema') });
          expect((err as { hint?: string }).hint).toContain(`GRANT CREATE ON SCHEMA ${empty} TO ${role}`);
        } finally {
          await first.close();
        }
      } finally {
        await admin.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
        await admin.query(`DROP ROLE IF EXISTS "${role}"`);
        await admin.end();
      }
    });

    it('says the pool is busy, not that the server may be down, when every connection stays in use', async () => {
      const schema = freshSchema();
      const store = createPostgresCaptureStore({ connectionString: url, schema, poolSize: 1, connectTimeoutMs: 300 });
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await store.init();
        await admin.query('BEGIN');
        await admin.query(`LOCK TABLE "${schema}".captures IN ACCESS EXCLUSIVE MODE`);
        const waiting = store.count(); // takes the only connection and waits on the lock
        const err = await store.count().then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('timeout exceeded when trying to connect') });
        // Was "is PostgreSQL running at …?" while it ran and answered.
        expect((err as { hint?: string }).hint).toMatch(/^all 1 connections to [^ ]+ stayed busy for 300 ms: statements are slow or waiting on locks/);
        await admin.query('COMMIT');
        expect(await waiting).toBe(0);
      } finally {
        await admin.end();
        await store.close();
      }
    });

    it('names the way out of a database that does not exist, and of tables loop did not create', async () => {
      const missing = new URL(url);
      missing.pathname = '/loop_test_no_such_database';
      const nowhere = createPostgresCaptureStore({ connectionString: missing.toString() });
      try {
        const err = await nowhere.init().then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('database "loop_test_no_such_database" does not exist') });
        // Was "is PostgreSQL running at … and accepting this user?"
        expect((err as { hint?: string }).hint).toBe('create the database (CREATE DATABASE …) or correct its name in the store URL');
      } finally {
        await nowhere.close();
      }

      const schema = freshSchema();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA "${schema}"`);
      await admin.query(`CREATE TABLE "${schema}".captures (id integer)`);
      await admin.end();
      const shared = createPostgresCaptureStore({ connectionString: url, schema });
      try {
        const err = await shared.init().then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ code: 'STORE_FAILED', message: expect.stringContaining('relation "captures" already exists') });
        expect((err as { hint?: string }).hint).toBe(
          `the schema ${schema} holds tables loop did not create: give loop a schema of its own (?schema=loop in the store URL) or a database of its own`,
        );
      } finally {
        await shared.close();
      }
    });

    it('is chosen by createCaptureStore for postgres:// URLs with ?schema=', async () => {
      const schema = freshSchema();
      const u = new URL(url);
      u.searchParams.set('schema', schema);
      const store = await createCaptureStore(u.toString());
      try {
        expect(store.kind).toBe('postgres');
        await store.init();
        await store.insertBatch([sampleCapture(1)]);
        expect(await store.count()).toBe(1);
      } finally {
        await store.close();
      }
    });
  });
}

describe('PostgreSQL capture store when the server is unreachable', () => {
  it('fails with STORE_UNAVAILABLE, a hint, and no password', async () => {
    const store = createPostgresCaptureStore({
      connectionString: 'postgres://loop:s3cret-pw@127.0.0.1:1/loop',
      connectTimeoutMs: 2000,
    });
    try {
      for (const attempt of [() => store.ping(), () => store.init(), () => store.count()]) {
        const err = await attempt().then(() => undefined, (e: unknown) => e);
        expect(isLoopError(err, 'STORE_UNAVAILABLE'), String(err)).toBe(true);
        const e = err as Error & { hint?: string };
        expect(e.hint).toContain('127.0.0.1:1');
        expect(e.cause).toBeDefined();
        expect(`${e.message} ${e.hint} ${JSON.stringify(e)}`).not.toContain('s3cret-pw');
      }
    } finally {
      await store.close();
    }
  });
});
