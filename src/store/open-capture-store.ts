// Picks the capture store backend from one URL, the form `loop serve --store` and config files take.
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoopError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CaptureStore } from './capture-store.js';

export interface CaptureStoreTarget {
  kind: 'sqlite' | 'postgres';
  /** SQLite: the file path or `:memory:`. PostgreSQL: the connection string without `schema`. */
  location: string;
  schema?: string;
}

/**
 * Reads a store URL:
 * - `sqlite:///abs/path.db`, `sqlite:relative.db`, `sqlite::memory:`, `file:///abs/path.db`, or a plain path → SQLite
 * - `postgres://…` / `postgresql://…`, optionally `?schema=name` → PostgreSQL
 */
export function parseCaptureStoreUrl(url: string): CaptureStoreTarget {
  const bad = (expected: string) =>
    new LoopError('CONFIG_INVALID', `store URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))} is invalid: ${expected}`);
  if (typeof url !== 'string' || url.trim() === '') throw bad('expected sqlite:///path.db, a file path, or postgres://host/db');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      throw new LoopError('CONFIG_INVALID', 'PostgreSQL store URL cannot be parsed: expected postgres://user@host:port/database', { cause: err });
    }
    const schema = u.searchParams.get('schema') ?? undefined;
    u.searchParams.delete('schema');
    return { kind: 'postgres', location: u.toString(), ...(schema ? { schema } : {}) };
  }
  if (scheme === 'sqlite') {
    const rest = url.slice('sqlite:'.length);
    if (rest === ':memory:' || rest === '//:memory:') return { kind: 'sqlite', location: ':memory:' };
    if (rest.startsWith('//')) {
      // sqlite:///abs/path: empty authority, absolute path.
      const path = decodeURIComponent(rest.slice(2));
      if (!path.startsWith('/')) throw bad('expected sqlite:///absolute/path.db (three slashes) or sqlite:relative/path.db');
      return { kind: 'sqlite', location: path };
    }
    if (rest === '') throw bad('expected a file after sqlite:');
    return { kind: 'sqlite', location: decodeURIComponent(rest) };
  }
  if (scheme === 'file') return { kind: 'sqlite', location: fileURLToPath(url) };
  // A one-letter "scheme" is not one on its own; anything else with "://" is a backend we do not have.
  if (scheme && /^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !isAbsolute(url)) {
    throw bad(`unknown store scheme "${scheme}:": expected sqlite: or postgres:`);
  }
  return { kind: 'sqlite', location: url };
}

export interface CreateCaptureStoreOptions {
  clock?: () => Date;
  logger?: Logger;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

/**
 * The capture store a URL names, not yet initialised. Only the named backend's driver is loaded (pg for
 * PostgreSQL, better-sqlite3 for SQLite).
 *
 * @example
 * const store = await createCaptureStore('sqlite:///var/lib/loop/captures.db');
 * await store.init();
 */
export async function createCaptureStore(url: string, options: CreateCaptureStoreOptions = {}): Promise<CaptureStore> {
  const t = parseCaptureStoreUrl(url);
  if (t.kind === 'postgres') {
    const { createPostgresCaptureStore } = await import('./postgres-capture-store.js');
    return createPostgresCaptureStore({
      connectionString: t.location,
      ...(t.schema !== undefined ? { schema: t.schema } : {}),
      ...options,
    });
  }
  const { createSqliteCaptureStore } = await import('./sqlite-capture-store.js');
  return createSqliteCaptureStore({ path: t.location, ...(options.clock ? { clock: options.clock } : {}) });
}
