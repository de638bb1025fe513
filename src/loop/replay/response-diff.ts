// Compares a replayed response with the captured one: status, headers (volatile ones such as date
// ignored), and the body — structurally when both are JSON, by lines when text, by size and first
// differing byte when binary. The result is data; renderers (loopctl, the web UI) decide how it looks.
import { headerValue, type CapturedMessage, type HeaderList } from '../../capture/capture.js';

/** Headers that differ between any two responses and say nothing about the behaviour. */
export const VOLATILE_HEADERS: ReadonlySet<string> = new Set([
  'date', 'age', 'expires', 'last-modified', 'etag', 'server-timing', 'x-request-id', 'x-correlation-id',
  'x-envoy-upstream-service-time', 'x-amzn-trace-id', 'traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid',
  'x-b3-parentspanid', 'x-b3-sampled', 'x-cloud-trace-context', 'connection', 'keep-alive', 'transfer-encoding',
  'content-length', 'set-cookie',
]);

export interface HeaderChange {
  name: string;
  original?: string;
  replayed?: string;
}

export interface JsonChange {
  /** JSON Pointer-like path, `$` for the root: `$.items[2].price`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  original?: unknown;
  replayed?: unknown;
}

export type BodyDiff =
  | { kind: 'identical' }
  | { kind: 'json'; changes: JsonChange[]; truncatedChanges: boolean }
  | { kind: 'text'; lines: DiffLine[]; truncatedLines: boolean }
  | { kind: 'binary'; originalSize: number; replayedSize: number; firstDifferenceAt: number };

export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

export interface ResponseDiff {
  identical: boolean;
  status?: { original: number; replayed: number };
  headers: HeaderChange[];
  body: BodyDiff;
  /** Notes the reader should know: the original body was truncated, so a difference may be an artefact. */
  notes: string[];
}

const MAX_JSON_CHANGES = 200;
const MAX_DIFF_LINES = 2_000;

export function diffResponses(original: CapturedMessage, replayed: CapturedMessage): ResponseDiff {
  const notes: string[] = [];
  const os = Number(headerValue(original.headers, ':status') ?? 0);
  const rs = Number(headerValue(replayed.headers, ':status') ?? 0);
  const headers = diffHeaders(original.headers, replayed.headers);
  const ob = original.body?.bytes ?? Buffer.alloc(0);
  const rb = replayed.body?.bytes ?? Buffer.alloc(0);
  // A trace of a request the upstream never answered is stored without a response (status 0 here).
  if (headerValue(original.headers, ':status') === undefined) notes.push('the capture holds no response (the upstream never answered it): everything the destination sent is new');
  if (original.body?.truncated) notes.push(`the original body was captured truncated at ${ob.length} bytes`);
  if (replayed.body?.truncated) notes.push(`the replayed body was kept truncated at ${rb.length} bytes`);
  const body = diffBodies(ob, rb, headerValue(original.headers, 'content-type'), headerValue(replayed.headers, 'content-type'));
  const diff: ResponseDiff = {
    identical: os === rs && headers.length === 0 && body.kind === 'identical',
    headers,
    body,
    notes,
  };
  if (os !== rs) diff.status = { original: os, replayed: rs };
  return diff;
}

function diffHeaders(a: HeaderList, b: HeaderList): HeaderChange[] {
  const names = new Set<string>();
  for (const [k] of [...a, ...b]) {
    const n = k.toLowerCase();
    if (!n.startsWith(':') && !VOLATILE_HEADERS.has(n)) names.add(n);
  }
  const changes: HeaderChange[] = [];
  for (const name of [...names].sort()) {
    const o = headerValue(a, name);
    const r = headerValue(b, name);
    if (o === r) continue;
    changes.push({ name, ...(o !== undefined ? { original: o } : {}), ...(r !== undefined ? { replayed: r } : {}) });
  }
  return changes;
}

function diffBodies(a: Buffer, b: Buffer, aType: string | undefined, bType: string | undefined): BodyDiff {
  if (a.equals(b)) return { kind: 'identical' };
  const aJson = parseJson(a, aType);
  const bJson = parseJson(b, bType);
  if (aJson.ok && bJson.ok) {
    const changes: JsonChange[] = [];
    diffJson('$', aJson.value, bJson.value, changes);
    if (changes.length === 0) return { kind: 'identical' }; // same document, different formatting
    return { kind: 'json', changes: changes.slice(0, MAX_JSON_CHANGES), truncatedChanges: changes.length > MAX_JSON_CHANGES };
  }
  if (isText(a) && isText(b)) {
    const lines = diffLines(textLines(a), textLines(b));
    return { kind: 'text', lines: lines.slice(0, MAX_DIFF_LINES), truncatedLines: lines.length > MAX_DIFF_LINES };
  }
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return { kind: 'binary', originalSize: a.length, replayedSize: b.length, firstDifferenceAt: i };
}

function parseJson(buf: Buffer, contentType: string | undefined): { ok: true; value: unknown } | { ok: false } {
  if (buf.length === 0) return { ok: false };
  const looksJson = contentType?.includes('json') || buf[0] === 0x7b || buf[0] === 0x5b;
  if (!looksJson) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** An empty body has no lines (not one empty line, which showed as a removed blank line). */
const textLines = (buf: Buffer): string[] => (buf.length === 0 ? [] : buf.toString('utf8').split('\n'));

function isText(buf: Buffer): boolean {
  return !buf.includes(0) && Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

function diffJson(path: string, a: unknown, b: unknown, out: JsonChange[]): void {
  if (out.length > MAX_JSON_CHANGES) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}[${i}]`;
      if (i >= a.length) out.push({ path: p, kind: 'added', replayed: b[i] });
      else if (i >= b.length) out.push({ path: p, kind: 'removed', original: a[i] });
      else diffJson(p, a[i], b[i], out);
    }
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (!(key in a)) out.push({ path: p, kind: 'added', replayed: b[key] });
      else if (!(key in b)) out.push({ path: p, kind: 'removed', original: a[key] });
      else diffJson(p, a[key], b[key], out);
    }
    return;
  }
  if (a !== b) out.push({ path, kind: 'changed', original: a, replayed: b });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Line diff by longest common subsequence after trimming the common head and tail. Bodies too long for
 * the quadratic table fall back to "all removed, all added", which is still correct, just less precise.
 */
export function diffLines(a: string[], b: string[]): DiffLine[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head = a.slice(0, start).map((text): DiffLine => ({ op: ' ', text }));
  const tail = a.slice(endA).map((text): DiffLine => ({ op: ' ', text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  let mid: DiffLine[];
  if (midA.length * midB.length > 4_000_000) {
    mid = [...midA.map((text): DiffLine => ({ op: '-', text })), ...midB.map((text): DiffLine => ({ op: '+', text }))];
  } else {
    mid = lcsDiff(midA, midB);
  }
  // Keep three lines of context around changes, like `diff -u`.
  return trimContext([...head, ...mid, ...tail], 3);
}

function lcsDiff(a: string[], b: string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] = a[i] === b[j] ? table[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(table[(i + 1) * (m + 1) + j]!, table[i * (m + 1) + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (table[(i + 1) * (m + 1) + j]! >= table[i * (m + 1) + j + 1]!) out.push({ op: '-', text: a[i++]! });
    else out.push({ op: '+', text: b[j++]! });
  }
  while (i < n) out.push({ op: '-', text: a[i++]! });
  while (j < m) out.push({ op: '+', text: b[j++]! });
  return out;
}

function trimContext(lines: DiffLine[], context: number): DiffLine[] {
  const keep = new Uint8Array(lines.length);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = 1;
  });
  const out: DiffLine[] = [];
  let skipped = false;
  lines.forEach((l, i) => {
    if (keep[i]) {
      out.push(l);
      skipped = false;
    } else if (!skipped) {
      out.push({ op: ' ', text: '…' });
      skipped = true;
    }
  });
  return out;
}
