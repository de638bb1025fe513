// `loop serve` as started by the CLI, on a real PostgreSQL (LOOP_TEST_POSTGRES_URL): what its log tells an
// operator about the store.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { serverOptionsSchema } from './server-options.js';
import { startLoopServer } from './start-loop-server.js';

const url = process.env.LOOP_TEST_POSTGRES_URL;

describe.skipIf(!url)('loop serve on PostgreSQL: the log', () => {
  it('names the database, and says when PostgreSQL drops an idle connection', async () => {
    const schema = `loop_test_start_${process.pid}_${randomBytes(3).toString('hex')}`;
    const store = new URL(url!);
    store.searchParams.set('schema', schema);
    store.searchParams.set('application_name', schema); // so that only this server's connections are ended
    const dir = await mkdtemp(path.join(tmpdir(), 'start-loop-server-test-'));
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const options = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { listen: '127.0.0.1:0', dataDir: dir, store: store.toString() } }]);
    const running = await startLoopServer(options, logger, { processMetrics: false });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const u = new URL(url!);
      // Was only store: "postgres", whichever database the URL named.
      expect(lines.find((l) => l.msg === 'loop server listening')).toMatchObject({ store: 'postgres', storeAt: `${u.hostname}:${u.port || '5432'}${u.pathname}` });

      // The pool's idle connections, ended as a database restart or an admin would.
      const ended = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [schema]);
      expect(ended.rowCount).toBeGreaterThan(0);
      // Was nothing: loop serve gave the store no logger, so the pool's error handler had none to write to.
      await expect.poll(() => lines.some((l) => l.msg === 'postgres idle connection error')).toBe(true);
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
    } finally {
      await running.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
