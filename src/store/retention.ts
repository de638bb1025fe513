// Validation of a retention policy into the cutoffs every backend applies, in this order: age, count, bytes.
import { LoopError } from '../core/errors.js';
import type { RetentionPolicy } from './capture-store.js';

export interface RetentionCutoffs {
  /** Keep this many newest captures. */
  maxCount?: number;
  /** Delete captures whose captured_at is before this (ms since the epoch). */
  olderThanMs?: number;
  /** Keep the newest captures whose body bytes add up to at most this. */
  maxBytes?: number;
}

export function retentionCutoffs(policy: RetentionPolicy, clock: () => Date): RetentionCutoffs {
  const out: RetentionCutoffs = {};
  if (policy.maxCount !== undefined) {
    if (!Number.isSafeInteger(policy.maxCount) || policy.maxCount < 0) {
      throw new LoopError('BAD_REQUEST', `retention maxCount ${String(policy.maxCount)} is invalid: expected an integer ≥ 0`);
    }
    out.maxCount = policy.maxCount;
  }
  if (policy.maxBytes !== undefined) {
    if (!Number.isSafeInteger(policy.maxBytes) || policy.maxBytes < 0) {
      throw new LoopError('BAD_REQUEST', `retention maxBytes ${String(policy.maxBytes)} is invalid: expected an integer ≥ 0`);
    }
    out.maxBytes = policy.maxBytes;
  }
  if (policy.maxAgeMs !== undefined) {
    if (!Number.isFinite(policy.maxAgeMs) || policy.maxAgeMs < 0) {
      throw new LoopError('BAD_REQUEST', `retention maxAgeMs ${String(policy.maxAgeMs)} is invalid: expected milliseconds ≥ 0`);
    }
    const now = policy.now ?? clock();
    out.olderThanMs = now.getTime() - policy.maxAgeMs;
  }
  return out;
}

/**
 * SQL (the same for SQLite and PostgreSQL) deleting the oldest captures until the bodies of those left
 * add up to at most the byte budget bound to `param`: running totals from the newest down, and everything
 * from the first capture that goes over. request_bytes and response_bytes are the stored body lengths, so
 * no body is read.
 */
export function deleteBeyondBytesSql(param: string): string {
  return `DELETE FROM captures WHERE id <= (
    SELECT id FROM (SELECT id, SUM(request_bytes + response_bytes) OVER (ORDER BY id DESC) AS kept FROM captures) AS totals
    WHERE kept > ${param} ORDER BY id DESC LIMIT 1)`;
}
