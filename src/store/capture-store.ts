// The storage interface every backend implements (SQLite by default, PostgreSQL for shared deployments).
// One contract suite (capture-store.contract.ts) runs against every implementation.
import type { Capture, CaptureInput, CaptureSummary, CapturedMessage } from '../capture/capture.js';
import type { StoredTapConfig, TapConfig } from '../tapconfig/tapconfig.js';

export interface CaptureFilter {
  /** 1..5: 5 means 500-599. */
  statusClass?: number;
  status?: number;
  /** Compared case-sensitively as HTTP methods are. */
  method?: string;
  pathPrefix?: string;
  destination?: string;
  /** `namespace/name`. */
  tapConfig?: string;
  /** RFC 3339, inclusive. */
  since?: string;
  /** RFC 3339, exclusive. */
  until?: string;
}

export interface ListOptions extends CaptureFilter {
  /** Page size, 1..1000 (default 50). */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

/** Newest first. `nextCursor` is present when more items may follow. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface RetentionPolicy {
  /** Keep at most this many captures (the newest). */
  maxCount?: number;
  /** Delete captures older than this many milliseconds before `now`. */
  maxAgeMs?: number;
  /** Keep the stored bodies (request plus response, as stored) of all captures within this many bytes, deleting the oldest first. */
  maxBytes?: number;
  now?: Date;
}

/** A replay of a capture, as stored. `diff` is the structured comparison with the original response. */
export interface ReplayRecord {
  id: number;
  captureId: number;
  createdAt: string;
  /** What the user asked for (`web.default:9090`). */
  destination: string;
  /** Where it was sent after aliases (`127.0.0.1:9090`). */
  target: string;
  durationMs: number;
  response?: CapturedMessage;
  error?: { code: string; message: string };
  diff?: unknown;
}

export type ReplayInput = Omit<ReplayRecord, 'id'>;

export interface CaptureStore {
  readonly kind: string;
  /** Create or migrate the schema. Idempotent. */
  init(): Promise<void>;
  /** Store all captures in one transaction, or none; returns their ids in input order (increasing). */
  insertBatch(captures: CaptureInput[]): Promise<number[]>;
  get(id: number): Promise<Capture | undefined>;
  list(options?: ListOptions): Promise<Page<CaptureSummary>>;
  /** Deletes the capture and its replays. */
  delete(id: number): Promise<boolean>;
  /** Deletes what the policy no longer allows (age, then count, then bytes); returns how many captures went. */
  applyRetention(policy: RetentionPolicy): Promise<number>;
  count(): Promise<number>;

  insertReplay(replay: ReplayInput): Promise<ReplayRecord>;
  listReplays(captureId: number): Promise<ReplayRecord[]>;

  listTapConfigs(): Promise<StoredTapConfig[]>;
  /** Create or replace all given TapConfigs in one transaction; each gets a new resourceVersion. */
  putTapConfigs(configs: TapConfig[]): Promise<StoredTapConfig[]>;
  deleteTapConfig(namespace: string, name: string): Promise<boolean>;

  /** Throws LoopError STORE_UNAVAILABLE when the backend cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
