// Driver errors of a real SQLite file, as guardSqlite hands them to the loop server's log and API.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guardSqlite } from './sqlite-connection.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sqlite-connection-test-'));
  file = path.join(dir, 'loop.db');
  const db = new Database(file);
  db.exec('CREATE TABLE t (b BLOB)');
  db.close();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('guardSqlite', () => {
  it('says what to do about a full disk', () => {
    const db = new Database(file);
    // A page limit is a full disk as SQLite sees it: SQLITE_FULL, "database or disk is full".
    db.pragma('max_page_count = 4');
    try {
      expect(() => guardSqlite(file, 'insert', () => db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024)))).toThrow(
        expect.objectContaining({
          code: 'STORE_UNAVAILABLE',
          message: `SQLite store ${file}: insert failed: database or disk is full`,
          // Before, no hint: the message named neither the disk nor the retention flags.
          hint: `the disk holding ${dir} is full: free space there; --retention-max-count, --retention-max-bytes and --retention-max-age bound the store's size`,
        }),
      );
    } finally {
      db.close();
    }
  });

  it('says what to do about a read-only file', () => {
    const db = new Database(file, { readonly: true });
    try {
      expect(() => guardSqlite(file, 'optimize', () => db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(1)))).toThrow(
        expect.objectContaining({
          code: 'STORE_UNAVAILABLE',
          message: `SQLite store ${file}: optimize failed: attempt to write a readonly database`,
          hint: expect.stringContaining(`${file} (or ${dir}, which holds its -wal and -shm files) is read-only`),
        }),
      );
    } finally {
      db.close();
    }
  });
});
