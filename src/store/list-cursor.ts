// Opaque page cursors for the capture list. A cursor names the last id of the page it came from; the
// next page holds the captures with smaller ids, so captures inserted meanwhile (larger ids) never shift
// or repeat items. Cursors are base64url so clients treat them as tokens, and are checked on the way back.
import { LoopError } from '../core/errors.js';

const PREFIX = 'c1:';

export function encodeCursor(lastId: number): string {
  return Buffer.from(`${PREFIX}${lastId}`, 'utf8').toString('base64url');
}

/** The id a cursor names; LoopError BAD_REQUEST when it is not a cursor this code produced. */
export function decodeCursor(cursor: string): number {
  const bad = (): LoopError =>
    new LoopError('BAD_REQUEST', `cursor ${JSON.stringify(cursor.slice(0, 80))} is not a valid page cursor: pass nextCursor from a previous page unchanged`, {
      details: { field: 'cursor' },
    });
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^c1:([1-9]\d{0,15})$/.exec(text);
  if (!m) throw bad();
  const id = Number(m[1]);
  // Only the canonical encoding is accepted, so there is one spelling per cursor.
  if (!Number.isSafeInteger(id) || encodeCursor(id) !== cursor) throw bad();
  return id;
}
