// Row mapping for the smaller records both stores keep: replays (response, error and diff as JSON, the
// response body as base64 inside it) and TapConfigs (the document as JSON, metadata.resourceVersion from
// the store's counter).
import { LoopError } from '../core/errors.js';
import type { CapturedMessage } from '../capture/capture.js';
import type { StoredTapConfig, TapConfig } from '../tapconfig/tapconfig.js';
import type { ReplayInput, ReplayRecord } from './capture-store.js';
import type { DbRow } from './capture-row.js';

interface MessageJson {
  headers: CapturedMessage['headers'];
  trailers: CapturedMessage['trailers'];
  body?: { base64: string; truncated: boolean };
  headersReceivedAt?: string;
}

function messageToJson(m: CapturedMessage): string {
  const out: MessageJson = { headers: m.headers, trailers: m.trailers ?? [] };
  if (m.body) out.body = { base64: Buffer.from(m.body.bytes).toString('base64'), truncated: m.body.truncated };
  if (m.headersReceivedAt !== undefined) out.headersReceivedAt = m.headersReceivedAt;
  return JSON.stringify(out);
}

function messageFromJson(text: string): CapturedMessage {
  const j = JSON.parse(text) as MessageJson;
  const m: CapturedMessage = { headers: j.headers, trailers: j.trailers };
  if (j.body) m.body = { bytes: Buffer.from(j.body.base64, 'base64'), truncated: j.body.truncated };
  if (j.headersReceivedAt !== undefined) m.headersReceivedAt = j.headersReceivedAt;
  return m;
}

/** Columns written for a replay, in this order. */
export const REPLAY_INSERT_COLUMNS = [
  'capture_id',
  'created_at',
  'destination',
  'target',
  'duration_ms',
  'response',
  'error',
  'diff',
] as const;

export function replayRowValues(r: ReplayInput): unknown[] {
  if (!Number.isSafeInteger(r.captureId) || r.captureId < 1) {
    throw new LoopError('BAD_REQUEST', `replay captureId ${String(r.captureId)} is invalid: expected a capture id`);
  }
  if (!Number.isFinite(r.durationMs) || r.durationMs < 0) {
    throw new LoopError('BAD_REQUEST', `replay durationMs ${String(r.durationMs)} is invalid: expected milliseconds ≥ 0`);
  }
  return [
    r.captureId,
    r.createdAt,
    r.destination,
    r.target,
    r.durationMs,
    r.response ? messageToJson(r.response) : null,
    r.error ? JSON.stringify(r.error) : null,
    r.diff === undefined ? null : JSON.stringify(r.diff),
  ];
}

export function replayFromRow(row: DbRow): ReplayRecord {
  const r: ReplayRecord = {
    id: Number(row.id),
    captureId: Number(row.capture_id),
    createdAt: String(row.created_at),
    destination: String(row.destination),
    target: String(row.target),
    durationMs: Number(row.duration_ms),
  };
  if (row.response !== null && row.response !== undefined) r.response = messageFromJson(String(row.response));
  if (row.error !== null && row.error !== undefined) r.error = JSON.parse(String(row.error)) as ReplayRecord['error'];
  if (row.diff !== null && row.diff !== undefined) r.diff = JSON.parse(String(row.diff)) as unknown;
  return r;
}

export function replayNotFound(captureId: number, cause?: unknown): LoopError {
  return new LoopError('NOT_FOUND', `capture ${captureId} not found: cannot store a replay of it`, { cause });
}

/** Checks the identity of a TapConfig before it is stored (the full validation lives in src/tapconfig). */
export function tapConfigKeyOf(config: TapConfig, index: number): { namespace: string; name: string } {
  const md = (config as Partial<TapConfig> | null)?.metadata;
  const ok = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !v.includes('\0') && !v.includes('/');
  if (!md || !ok(md.namespace) || !ok(md.name)) {
    throw new LoopError('TAPCONFIG_INVALID', `tapconfigs[${index}].metadata needs a non-empty namespace and name without "/"`, {
      details: { field: `tapconfigs[${index}].metadata` },
    });
  }
  return { namespace: md.namespace, name: md.name };
}

/** The document as stored: the TapConfig without the store-owned metadata fields. */
export function tapConfigDocument(config: TapConfig): string {
  const { resourceVersion: _rv, updatedAt: _ua, ...metadata } = config.metadata as StoredTapConfig['metadata'];
  return JSON.stringify({ ...config, metadata });
}

export function tapConfigFromRow(row: DbRow): StoredTapConfig {
  const doc = JSON.parse(String(row.document)) as TapConfig;
  return {
    ...doc,
    metadata: {
      ...doc.metadata,
      namespace: String(row.namespace),
      name: String(row.name),
      resourceVersion: String(row.resource_version),
      updatedAt: String(row.updated_at),
    },
  };
}
