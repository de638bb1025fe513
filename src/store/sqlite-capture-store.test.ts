import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopError } from '../core/errors.js';
import { captureStoreContract, sampleCapture, sampleCaptureWithBodies } from './capture-store.contract.js';
import { createSqliteCaptureStore } from './sqlite-capture-store.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { compileSqliteWriterWorker } from './sqlite-writer-worker.test-helper.js';

const dir = mkdtempSync(join(tmpdir(), 'loop-sqlite-store-'));
const worker = compileSqliteWriterWorker();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  worker.cleanup();
});
let n = 0;

captureStoreContract('sqlite file, writer thread', async () => {
  const store = createSqliteCaptureStore({ path: join(dir, `contract-${n++}`, 'captures.db'), workerUrl: worker.url });
  await store.init();
  return store;
});

captureStoreContract('sqlite file, inline', async () => {
  const store = createSqliteCaptureStore({ path: join(dir, `contract-${n++}`, 'captures.db'), inline: true });
  await store.init();
  return store;
});

captureStoreContract('sqlite :memory:', async () => {
  const store = createSqliteCaptureStore({ path: ':memory:' });
  await store.init();
  return store;
});

describe.each([
  ['writer thread', { workerUrl: worker.url }],
  ['inline', { inline: true }],
] as const)('SQLite capture store, %s', (_mode, mode) => {
  it('keeps data and schema version across reopen', async () => {
    const path = join(dir, `reopen-${n++}`, 'nested', 'captures.db');
    const first = createSqliteCaptureStore({ path, ...mode });
    await first.init();
    const ids = await first.insertBatch([sampleCapture(1), sampleCapture(2)]);
    await first.putTapConfigs([{ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'a', name: 'b' }, spec: { match: 'true' } }]);
    await first.close();
    expect(existsSync(path)).toBe(true);

    const second = createSqliteCaptureStore({ path, ...mode });
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

  it('deleting a capture removes its row with both bodies, and its replay rows, from the file', async () => {
    const path = join(dir, `delete-rows-${n++}`, 'captures.db');
    const store = createSqliteCaptureStore({ path, ...mode });
    await store.init();
    const [gone, kept] = await store.insertBatch([sampleCaptureWithBodies(1), sampleCaptureWithBodies(2)]);
    for (const captureId of [gone!, gone!, kept!]) {
      await store.insertReplay({ captureId, createdAt: '2026-11-26T08:01:00.000Z', destination: 'd', target: 't', durationMs: 1, response: { headers: [[':status', '200']], body: { bytes: Buffer.from('replayed'), truncated: false }, trailers: [] } });
    }
    expect(await store.delete(gone!)).toBe(true);
    await store.close();

    const raw = new Database(path, { readonly: true });
    const rows = raw.prepare('SELECT id, CAST(request_body AS TEXT) AS req, CAST(response_body AS TEXT) AS res FROM captures ORDER BY id').all();
    expect(rows).toEqual([{ id: kept, req: 'request-body-2', res: 'response-body-2' }]);
    const replays = raw.prepare('SELECT capture_id FROM replays').pluck().all();
    expect(replays).toEqual([kept]);
    // No row anywhere still refers to the deleted capture.
    expect(raw.pragma('foreign_key_check')).toEqual([]);
    raw.close();
    // Nor are the deleted bodies left in free pages of the file (secure_delete).
    const bytes = readFileSync(path);
    expect(bytes.includes('request-body-2')).toBe(true);
    expect(bytes.includes('request-body-1')).toBe(false);
    expect(bytes.includes('response-body-1')).toBe(false);
  });

  it('refuses a database from a newer loop', async () => {
    const path = join(dir, `newer-${n++}.db`);
    const s = createSqliteCaptureStore({ path, ...mode });
    await s.init();
    await s.close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    raw.close();
    const again = createSqliteCaptureStore({ path, ...mode });
    const err = await again.init().then(() => undefined, (e: unknown) => e);
    expect(isLoopError(err, 'STORE_FAILED')).toBe(true);
    expect((err as Error).message).toContain('999');
    await again.close();
  });

  it('reports a path it cannot create as STORE_UNAVAILABLE', async () => {
    const f = createSqliteCaptureStore({ path: join(dir, 'x.db'), ...mode });
    await f.init();
    await f.close();
    // x.db is a regular file, so no directory can be created under it.
    const s = createSqliteCaptureStore({ path: join(dir, 'x.db', 'sub', 'y.db'), ...mode });
    const err = await s.init().then(() => undefined, (e: unknown) => e);
    expect(isLoopError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as { hint?: string }).hint).toContain('writable');
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});

/** A stand-in writer thread: answers `open` and `checkpoints`, then does what `onWrite` (JS source, given `m`) says. */
function fakeWriter(onWrite: string): URL {
  const source = `import { parentPort } from 'node:worker_threads';
    parentPort.on('message', (m) => {
      if (m.op === 'open' || m.op === 'checkpoints') parentPort.postMessage({ id: m.id, ok: true });
      else if (m.op === 'close') { parentPort.postMessage({ id: m.id, ok: true }); parentPort.close(); }
      else { ${onWrite} }
    });`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

describe('SQLite capture store, writer thread', () => {
  /** A migrated file, so a fake writer's store can open its reader. */
  async function migratedFile(): Promise<string> {
    const path = join(dir, `fake-${n++}.db`);
    const s = createSqliteCaptureStore({ path, workerUrl: worker.url });
    await s.init();
    await s.close();
    return path;
  }

  it('drains writes asked for before close()', async () => {
    const path = join(dir, `drain-${n++}.db`);
    const store = createSqliteCaptureStore({ path, workerUrl: worker.url });
    await store.init();
    const writes = Array.from({ length: 20 }, (_, i) => store.insertBatch([sampleCapture(i), sampleCapture(i + 100)]));
    const tap = store.putTapConfigs([{ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'a', name: 'b' }, spec: { match: 'true' } }]);
    await store.close();
    expect((await Promise.all(writes)).flat()).toHaveLength(40);
    await tap;
    await expectCode(store.insertBatch([sampleCapture(1)]), 'STORE_UNAVAILABLE');

    const again = createSqliteCaptureStore({ path, workerUrl: worker.url });
    expect(await again.count()).toBe(40);
    expect(await again.listTapConfigs()).toHaveLength(1);
    await again.close();
  });

  it('drains writes asked for before the store finished opening', async () => {
    const path = join(dir, `drain-early-${n++}.db`);
    const store = createSqliteCaptureStore({ path, workerUrl: worker.url });
    const ids = store.insertBatch([sampleCapture(1)]);
    await store.close();
    expect(await ids).toHaveLength(1);
  });

  it('returns driver errors from the writer as LoopErrors with their cause', async () => {
    const store = createSqliteCaptureStore({ path: join(dir, `cause-${n++}.db`), workerUrl: worker.url });
    const err = await store
      .insertReplay({ captureId: 42, createdAt: '2026-11-26T08:00:00Z', destination: 'd', target: 't', durationMs: 1 })
      .then(() => undefined, (e: unknown) => e);
    expect(isLoopError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('capture 42 not found');
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    await store.close();
  });

  it('refuses an invalid capture with the same error as inline', async () => {
    const bad = [sampleCapture(1), sampleCapture(2, { durationMs: -1 })];
    const errors = await Promise.all(
      [{ workerUrl: worker.url }, { inline: true }].map(async (mode) => {
        const store = createSqliteCaptureStore({ path: join(dir, `invalid-${n++}.db`), ...mode });
        const err = await store.insertBatch(bad).then(() => undefined, (e: unknown) => e);
        await store.close();
        return err as { code: string; message: string; details: unknown };
      }),
    );
    expect(isLoopError(errors[0], 'INGEST_INVALID')).toBe(true);
    expect(errors[0]).toMatchObject({ message: errors[1]!.message, details: { field: 'captures[1].durationMs' } });
    expect(errors[0]!.details).toEqual(errors[1]!.details);
  });

  it('fails pending and later writes with STORE_UNAVAILABLE when the writer thread crashes', async () => {
    const store = createSqliteCaptureStore({ path: await migratedFile(), workerUrl: fakeWriter("throw new Error('writer blew up')") });
    await store.init();
    const err = await store.insertBatch([sampleCapture(1)]).then(() => undefined, (e: unknown) => e);
    expect(isLoopError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect(((err as Error).cause as Error).message).toBe('writer blew up');
    await expectCode(store.delete(1), 'STORE_UNAVAILABLE');
    await expectCode(store.ping(), 'STORE_UNAVAILABLE');
    expect(await store.count()).toBe(0);
    await store.close();
  });

  it('fails pending writes with STORE_UNAVAILABLE when the writer thread exits', async () => {
    const store = createSqliteCaptureStore({ path: await migratedFile(), workerUrl: fakeWriter('process.exit(3)') });
    await store.init();
    const pending = [store.insertBatch([sampleCapture(1)]), store.deleteTapConfig('a', 'b')];
    for (const p of pending) await expectCode(p, 'STORE_UNAVAILABLE', 'code 3');
    await store.close();
  });

  it('stops a writer thread that does not drain within closeTimeoutMs', async () => {
    const store = createSqliteCaptureStore({ path: await migratedFile(), workerUrl: fakeWriter('/* never answers */'), closeTimeoutMs: 100 });
    await store.init();
    const stuck = store.insertBatch([sampleCapture(1)]);
    await store.close();
    await expectCode(stuck, 'STORE_UNAVAILABLE');
  });

  it('reports a writer script it cannot start as STORE_UNAVAILABLE', async () => {
    const store = createSqliteCaptureStore({ path: join(dir, `missing-${n++}.db`), workerUrl: new URL('file:///nonexistent/sqlite-writer-worker.js') });
    await expectCode(store.init(), 'STORE_UNAVAILABLE');
    await store.close();
  });
});

async function expectCode(p: Promise<unknown>, code: string, mention?: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isLoopError(err) && err.code === code, `expected LoopError ${code}, got ${String(err)}`).toBe(true);
  if (mention) expect((err as Error).message).toContain(mention);
}
