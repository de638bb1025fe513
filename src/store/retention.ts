// Validation of a retention policy into the two cutoffs every backend applies.
import { LoopError } from '../core/errors.js';
import type { RetentionPolicy } from './capture-store.js';

export interface RetentionCutoffs {
  /** Keep this many newest captures. */
  maxCount?: number;
  /** Delete captures whose captured_at is before this (ms since the epoch). */
  olderThanMs?: number;
}

export function retentionCutoffs(policy: RetentionPolicy, clock: () => Date): RetentionCutoffs {
  const out: RetentionCutoffs = {};
  if (policy.maxCount !== undefined) {
    if (!Number.isSafeInteger(policy.maxCount) || policy.maxCount < 0) {
      throw new LoopError('BAD_REQUEST', `retention maxCount ${String(policy.maxCount)} is invalid: expected an integer ≥ 0`);
    }
    out.maxCount = policy.maxCount;
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
