// The loop server API's JSON shapes as the UI reads them (the API is the contract; see
// src/loop/server/*-routes.ts). Kept free of DOM types so the root test suite can use them too.

export type HeaderList = Array<[name: string, value: string]>;

export interface CaptureSummary {
  id: number;
  capturedAt: string;
  tapConfig: string;
  source: string;
  destination: string;
  method: string;
  path: string;
  authority: string;
  /** 0 when there was no response. */
  status: number;
  durationMs: number | null;
  requestBytes: number;
  responseBytes: number;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface BodyJson {
  encoding: 'utf8' | 'base64';
  data: string;
  truncated: boolean;
  size: number;
}

export interface MessageJson {
  headers: HeaderList;
  body?: BodyJson;
  trailers: HeaderList;
  headersReceivedAt?: string;
}

export interface CaptureJson {
  id: number;
  capturedAt: string;
  tapConfig: string;
  source: string;
  destination: string;
  durationMs: number | null;
  request: MessageJson;
  response: MessageJson;
}

export interface HeaderChange {
  name: string;
  original?: string;
  replayed?: string;
}

export interface JsonChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  original?: unknown;
  replayed?: unknown;
}

export type BodyDiff =
  | { kind: 'identical' }
  | { kind: 'json'; changes: JsonChange[]; truncatedChanges: boolean }
  | { kind: 'text'; lines: Array<{ op: ' ' | '-' | '+'; text: string }>; truncatedLines: boolean }
  | { kind: 'binary'; originalSize: number; replayedSize: number; firstDifferenceAt: number };

export interface ResponseDiff {
  identical: boolean;
  status?: { original: number; replayed: number };
  headers: HeaderChange[];
  body: BodyDiff;
  notes: string[];
  /** Added by the server: what the replayer had to change (e.g. a header it could not send). */
  warnings?: string[];
}

export interface ReplayRecord {
  id: number;
  captureId: number;
  createdAt: string;
  destination: string;
  target: string;
  durationMs: number;
  response?: MessageJson;
  error?: { code: string; message: string };
  diff?: ResponseDiff;
}

export interface TapConfig {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; updatedAt?: string };
  spec: {
    match: string;
    maxBodyBytes?: number;
    sampling?: number;
    redact?: { headers?: string[]; jsonFields?: string[] };
  };
}

export type TapConfigEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: TapConfig }
  | { type: 'BOOKMARK'; object: { metadata: { resourceVersion: string } } };

export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string };
}
