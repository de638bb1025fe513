// Versioned schema migrations, the part both backends share: each migration has a number, is applied
// once in its own transaction with the row that records it in schema_migrations, and a database whose
// version is newer than this code is refused rather than misread.
import { LoopError } from '../core/errors.js';

export interface Migration {
  version: number;
  name: string;
  /** Statements separated by semicolons (no procedural bodies). */
  sql: string;
}

/** The migrations still to apply, in order; throws when the database is ahead of the code. */
export function pendingMigrations(all: readonly Migration[], applied: readonly number[], target: string): Migration[] {
  const known = Math.max(0, ...all.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new LoopError(
      'STORE_FAILED',
      `${target} has schema version ${newest}, newer than this loop understands (${known})`,
      { hint: 'upgrade loop, or point it at a different database' },
    );
  }
  const done = new Set(applied);
  return [...all].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
}
