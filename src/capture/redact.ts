// Redaction of secrets in captures, applied at capture time by our gateway and on ingest at the
// loop server for taps that cannot redact (Envoy, Gloo). Header values (request and response,
// headers and trailers, names case-insensitive) and JSON body fields by dot path become
// "[REDACTED]". It runs on the ingest hot path, so a capture with nothing to redact is returned
// as-is without copying; the input is never mutated.
import type { CaptureInput, CapturedBody, CapturedMessage, HeaderList } from './capture.js';

/** Headers always redacted, whatever the configuration. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = Object.freeze(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export const REDACTED = '[REDACTED]';

export interface RedactionRules {
  /** Extra header names (case-insensitive) on top of DEFAULT_REDACTED_HEADERS. */
  headers?: readonly string[];
  /**
   * JSON body fields by dot path: `user.password`, `cards.*.number`. `*` matches every array element
   * or every key; a numeric segment also matches that array index.
   */
  jsonFields?: readonly string[];
}

export type Redactor = (capture: CaptureInput) => CaptureInput;

/** Compiles rules once into a function (cheaper when the same rules apply to many captures). */
export function createRedactor(rules: RedactionRules = {}): Redactor {
  const names = new Set(DEFAULT_REDACTED_HEADERS);
  for (const h of rules.headers ?? []) names.add(h.toLowerCase());
  const match = headerMatcher(names);
  const paths = (rules.jsonFields ?? []).filter((p) => p !== '').map((p) => p.split('.'));
  return (capture) => {
    const request = redactMessage(capture.request, match, paths);
    const response = redactMessage(capture.response, match, paths);
    if (request === capture.request && response === capture.response) return capture;
    return { ...capture, request, response };
  };
}

type HeaderMatcher = (name: string) => boolean;

/**
 * Case-insensitive membership in `names`. Most header names have a length no redacted name has, so
 * those are ruled out before lowercasing (this runs for every header of every capture ingested).
 * Lowercasing keeps the length of every character but U+0130 (İ → i̇), so a name holding one is always
 * compared.
 */
function headerMatcher(names: ReadonlySet<string>): HeaderMatcher {
  const lengths = new Set<number>();
  for (const n of names) lengths.add(n.length);
  return (name) => (lengths.has(name.length) || name.includes('\u0130')) && names.has(name.toLowerCase());
}

/**
 * Returns the capture with secrets replaced by "[REDACTED]"; the same object when nothing matched.
 * @example redactCapture(c, { headers: ['x-api-key'], jsonFields: ['user.password'] })
 */
export function redactCapture(capture: CaptureInput, rules: RedactionRules = {}): CaptureInput {
  return createRedactor(rules)(capture);
}

function redactMessage(m: CapturedMessage, match: HeaderMatcher, paths: string[][]): CapturedMessage {
  const headers = redactHeaders(m.headers, match);
  const trailers = redactHeaders(m.trailers, match);
  const body = m.body && paths.length > 0 ? redactBody(m.body, paths) : m.body;
  if (headers === m.headers && trailers === m.trailers && body === m.body) return m;
  const out: CapturedMessage = { ...m, headers, trailers };
  if (body) out.body = body;
  return out;
}

function redactHeaders(list: HeaderList, match: HeaderMatcher): HeaderList {
  let out: HeaderList | undefined;
  for (let i = 0; i < list.length; i++) {
    const pair = list[i]!;
    const name = pair[0];
    if (pair[1] !== REDACTED && match(name)) {
      out ??= list.slice();
      out[i] = [name, REDACTED];
    }
  }
  return out ?? list;
}

function redactBody(body: CapturedBody, paths: string[][]): CapturedBody {
  const bytes = body.bytes;
  // Sniff before parsing: only a body starting with { or [ can hold JSON fields.
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (i === bytes.length || (bytes[i] !== 0x7b && bytes[i] !== 0x5b)) return body;
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return body; // not JSON, or cut off by the body cap: nothing we can address by path
  }
  let changed = false;
  for (const path of paths) changed = redactPath(doc, path, 0) || changed;
  if (!changed) return body;
  return { bytes: Buffer.from(JSON.stringify(doc), 'utf8'), truncated: body.truncated };
}

function redactPath(node: unknown, path: string[], at: number): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const seg = path[at]!;
  const last = at === path.length - 1;
  let changed = false;
  const visit = (container: Record<string, unknown> | unknown[], key: string | number): void => {
    if (last) {
      setOwn(container, key, REDACTED);
      changed = true;
    } else {
      changed = redactPath((container as Record<string, unknown>)[key], path, at + 1) || changed;
    }
  };
  if (Array.isArray(node)) {
    if (seg === '*') for (let i = 0; i < node.length; i++) visit(node, i);
    else if (/^\d+$/.test(seg) && Number(seg) < node.length) visit(node, Number(seg));
  } else {
    const obj = node as Record<string, unknown>;
    if (seg === '*') for (const k of Object.keys(obj)) visit(obj, k);
    else if (Object.hasOwn(obj, seg)) visit(obj, seg);
  }
  return changed;
}

/** Assigns an own property; plain assignment to "__proto__" would replace the prototype instead. */
function setOwn(container: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
  else (container as Record<string | number, unknown>)[key] = value;
}
