// Redaction of secrets in captures, applied at capture time by our gateway and on ingest at the
// loop server for taps that cannot redact (Envoy, Gloo). Header values (request and response,
// headers and trailers, names case-insensitive) and JSON body fields by dot path become
// "[REDACTED]", and so does every match of a pattern (redact-pattern.ts) in header values, text bodies
// and the string values of JSON bodies; a JSON body cut off mid-document (a cap, Envoy's max_buffered_*_bytes)
// is cut again before the first configured field's name. It runs on the ingest hot path, so a capture with nothing to redact is returned
// as-is without copying; the input is never mutated.
import { isUtf8 } from 'node:buffer';
import type { CaptureInput, CapturedBody, CapturedMessage, HeaderList } from './capture.js';
import { compileRedactPattern, MAX_PATTERN_SCAN_CHARS, replaceMatches } from './redact-pattern.js';
import type { Re2 } from '../match/regex-check.js';

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
  /**
   * Regular expressions (validated with redactPatternProblem) whose matches are replaced by "[REDACTED]"
   * in header values, text bodies and the string values of JSON bodies, e.g. `sk_live_[0-9a-zA-Z]{24}`.
   */
  patterns?: readonly string[];
}

export type Redactor = (capture: CaptureInput) => CaptureInput;

/** Compiles rules once into a function (cheaper when the same rules apply to many captures). */
export function createRedactor(rules: RedactionRules = {}): Redactor {
  const names = new Set(DEFAULT_REDACTED_HEADERS);
  for (const h of rules.headers ?? []) names.add(h.toLowerCase());
  const match = headerMatcher(names);
  const paths = (rules.jsonFields ?? []).filter((p) => p !== '').map((p) => p.split('.'));
  const patterns = (rules.patterns ?? []).map(compileRedactPattern);
  const r: Rules = { match, paths, patterns };
  return (capture) => {
    const request = redactMessage(capture.request, r);
    const response = redactMessage(capture.response, r);
    if (request === capture.request && response === capture.response) return capture;
    return { ...capture, request, response };
  };
}

type HeaderMatcher = (name: string) => boolean;

interface Rules {
  match: HeaderMatcher;
  paths: string[][];
  patterns: Re2[];
}

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

function redactMessage(m: CapturedMessage, r: Rules): CapturedMessage {
  const headers = redactHeaders(m.headers, r);
  const trailers = redactHeaders(m.trailers, r);
  const body = m.body && (r.paths.length > 0 || r.patterns.length > 0) ? redactBody(m.body, r) : m.body;
  if (headers === m.headers && trailers === m.trailers && body === m.body) return m;
  const out: CapturedMessage = { ...m, headers, trailers };
  if (body) out.body = body;
  return out;
}

function redactHeaders(list: HeaderList, r: Rules): HeaderList {
  let out: HeaderList | undefined;
  for (let i = 0; i < list.length; i++) {
    const pair = list[i]!;
    const name = pair[0];
    if (pair[1] === REDACTED) continue;
    if (r.match(name)) {
      out ??= list.slice();
      out[i] = [name, REDACTED];
    } else if (r.patterns.length > 0) {
      // A value too long to scan is redacted whole rather than kept unscanned.
      const value = pair[1].length > MAX_PATTERN_SCAN_CHARS ? REDACTED : replacePatterns(pair[1], r.patterns);
      if (value !== pair[1]) {
        out ??= list.slice();
        out[i] = [name, value];
      }
    }
  }
  return out ?? list;
}

/** `text` with every non-empty match of every pattern replaced; the same string when none matched. */
function replacePatterns(text: string, patterns: readonly Re2[]): string {
  let out = text;
  for (const re of patterns) out = replaceMatches(out, re, REDACTED);
  return out;
}

function redactBody(body: CapturedBody, r: Rules): CapturedBody {
  const bytes = body.bytes;
  let text = body;
  // Sniff before parsing: only a body starting with { or [ can hold JSON fields.
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (i < bytes.length && (bytes[i] === 0x7b || bytes[i] === 0x5b)) {
    let doc: unknown;
    let parsed = false;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
      parsed = true;
    } catch {
      // not JSON, or cut off by the body cap: nothing to address by path; patterns still scan the text
    }
    if (parsed) {
      let changed = false;
      for (const path of r.paths) changed = redactPath(doc, path, 0) || changed;
      if (r.patterns.length > 0) {
        const replaced = redactStrings(doc, r.patterns);
        changed = replaced.changed || changed;
        doc = replaced.value;
      }
      if (!changed) return body;
      return { bytes: Buffer.from(JSON.stringify(doc), 'utf8'), truncated: body.truncated };
    }
    if (body.truncated && r.paths.length > 0) text = cutBeforeFields(body, r.paths);
  }
  return r.patterns.length > 0 ? redactText(text, r.patterns) : text;
}

/**
 * A JSON body cut off (at a tap's body cap, or at Envoy's max_buffered_rx/tx_bytes) does not parse, so its
 * fields cannot be found by path and it would pass whole. Rather than keep a secret, it is cut again just
 * before the first place a configured field's name appears (emptied when a path names no field, like `*`).
 */
function cutBeforeFields(body: CapturedBody, paths: readonly string[][]): CapturedBody {
  let cut = body.bytes.length;
  for (const path of paths) {
    const key = path.findLast((seg) => seg !== '*' && !/^\d+$/.test(seg));
    const at = key === undefined ? 0 : body.bytes.indexOf(JSON.stringify(key));
    if (at !== -1) cut = Math.min(cut, at);
  }
  return cut === body.bytes.length ? body : { bytes: body.bytes.subarray(0, cut), truncated: true };
}

/**
 * Patterns over a body that is not JSON. UTF-8 text is scanned as such; anything else as Latin-1, which
 * maps each byte to one character and back, so the bytes around a match come out exactly as they went in.
 */
function redactText(body: CapturedBody, patterns: readonly Re2[]): CapturedBody {
  const encoding = isUtf8(body.bytes) ? 'utf8' : 'latin1';
  const text = body.bytes.toString(encoding);
  const scanned = text.length > MAX_PATTERN_SCAN_CHARS ? text.slice(0, MAX_PATTERN_SCAN_CHARS) : text;
  const out = replacePatterns(scanned, patterns);
  if (out === text) return body;
  const truncated = body.truncated || scanned !== text;
  return { bytes: Buffer.from(out, encoding), truncated };
}

/** Replaces matches in every string value (not keys) of a parsed JSON document. */
function redactStrings(node: unknown, patterns: readonly Re2[]): { value: unknown; changed: boolean } {
  if (typeof node === 'string') {
    const value = node.length > MAX_PATTERN_SCAN_CHARS ? REDACTED : replacePatterns(node, patterns);
    return { value, changed: value !== node };
  }
  if (typeof node !== 'object' || node === null) return { value: node, changed: false };
  let changed = false;
  const container = node as Record<string, unknown>;
  for (const key of Object.keys(container)) {
    const r = redactStrings(container[key], patterns);
    if (r.changed) {
      setOwn(container, Array.isArray(node) ? Number(key) : key, r.value);
      changed = true;
    }
  }
  return { value: node, changed };
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
