import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopError } from '../core/errors.js';
import { captureStoreContract, sampleCapture } from './capture-store.contract.js';
import { createSqliteCaptureStore } from './sqlite-capture-store.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'loop-sqlite-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

captureStoreContract('sqlite file', async () => {
  const store = createSqliteCaptureStore({ path: join(dir, `contract-${n++}`, 'captures.db') });
  await store.init();
  return store;
});

captureStoreContract('sqlite :memory:', async () => {
  const store = createSqliteCaptureStore({ path: ':memory:' });
  await store.init();
  return store;
});

describe('SQLite capture store', () => {
  it('keeps data and schema version across reopen', async () => {
    const path = join(dir, 'reopen', 'nested', 'captures.db');
    const first = createSqliteCaptureStore({ path });
    await first.init();
    const ids = await first.insertBatch([sampleCapture(1), sampleCapture(2)]);
    await first.putTapConfigs([{ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'a', name: 'b' }, spec: { match: 'true' } }]);
    await first.close();
    expect(existsSync(path)).toBe(true);

    const second = createSqliteCaptureStore({ path });
    await second.init();
    expect(await second.count()).toBe(2);
    expect((await second.get(ids[1]!))?.capturedAt).toBe(sampleCapture(2).capturedAt);
    expect(await second.listTapConfigs()).toHaveLength(1);
    const [next] = await second.insertBatch([sampleCapture(3)]);
    expect(next!).toBeGreaterThan(ids[1]!);
    await second.close();

    const raw = new Database(path, { readonly: true });
    const versions = raw.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('refuses a database from a newer loop', async () => {
    const path = join(dir, 'newer.db');
    const s = createSqliteCaptureStore({ path });
    await s.init();
    await s.close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    raw.close();
    const again = createSqliteCaptureStore({ path });
    const err = await again.init().then(() => undefined, (e: unknown) => e);
    expect(isLoopError(err, 'STORE_FAILED')).toBe(true);
    expect((err as Error).message).toContain('999');
    await again.close();
  });

  it('reports a path it cannot create as STORE_UNAVAILABLE', async () => {
    const f = createSqliteCaptureStore({ path: join(dir, 'x.db') });
    await f.init();
    await f.close();
    // x.db is a regular file, so no directory can be created under it.
    const s = createSqliteCaptureStore({ path: join(dir, 'x.db', 'sub', 'y.db') });
    const err = await s.init().then(() => undefined, (e: unknown) => e);
    expect(isLoopError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as { hint?: string }).hint).toContain('writable');
  });
});
