// Regular expressions that redact secrets wherever they appear (header values, text bodies, string values
// of JSON bodies). They run on every capture ingested, in JavaScript's backtracking engine, so a pattern
// is refused at load when it could stall the server: backreferences and lookaround (the RE2 subset of
// src/match/regex-check.ts, which leaves no way to need them) and nested quantifiers such as `(a+)+`, the
// classic exponential case. Polynomial backtracking stays possible; the text one pattern scans is capped
// (MAX_PATTERN_SCAN_CHARS) so it is bounded, and what lies beyond the cap is dropped, never kept unscanned.
import { compileUnicodeFirst, findRe2Incompatibility, splitLeadingFlags } from '../match/regex-check.js';

/** Characters of one header value or body a pattern scans; the rest is cut (bodies) or redacted whole (values). */
export const MAX_PATTERN_SCAN_CHARS = 1024 * 1024;

/** Longest pattern accepted: a secret's shape needs far fewer. */
export const MAX_PATTERN_LENGTH = 1000;

// Short probes: a pattern whose first match in any of them is empty (`a*`, `\b`, `^`) can match nothing
// and would redact between characters.
const EMPTY_PROBES = ['', 'x', ' ', '0', '-', 'xx'];

/**
 * Why `pattern` cannot be a redaction pattern, or undefined when it can.
 * @example redactPatternProblem('(a+)+') // 'nested quantifier at 4: …'
 */
export function redactPatternProblem(pattern: string): string | undefined {
  const compiled = compile(pattern);
  return typeof compiled === 'string' ? compiled : undefined;
}

/**
 * Compiles a redaction pattern into a global RegExp.
 * @throws Error with redactPatternProblem's reason (callers validate first and report the field).
 */
export function compileRedactPattern(pattern: string): RegExp {
  const compiled = compile(pattern);
  if (typeof compiled === 'string') throw new Error(`redaction pattern ${JSON.stringify(pattern)}: ${compiled}`);
  return compiled;
}

function compile(pattern: string): RegExp | string {
  if (pattern === '') return 'an empty pattern matches everywhere';
  if (pattern.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  const unsupported = findRe2Incompatibility(pattern);
  if (unsupported) return unsupported;
  const { flags, body, prefixLength } = splitLeadingFlags(pattern);
  const nested = nestedQuantifier(body);
  if (nested !== undefined) {
    return `nested quantifier at ${nested + prefixLength}: a repeated group that itself repeats can take exponential time; repeat the inner part only, e.g. (ab)+ or [a-z0-9]+`;
  }
  const re = compileUnicodeFirst(body, flags);
  if (!(re instanceof RegExp)) return `not a regular expression: ${re.error}`;
  for (const probe of EMPTY_PROBES) {
    const m = re.exec(probe);
    if (m && m[0] === '') return 'can match the empty string; a redaction pattern must match at least one character';
  }
  return new RegExp(re.source, `${re.flags}g`);
}

/**
 * Index of a quantifier applied to a group that already holds a quantifier (`(a+)+`, `(\w*x)*`, `(a?){2,}`),
 * or undefined. `?` outside is harmless (the group runs at most once) and is not counted.
 */
function nestedQuantifier(p: string): number | undefined {
  // One entry per open group: whether a quantifier occurs inside it.
  const groups: boolean[] = [];
  let lastGroupQuantified = false;
  let afterGroup = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    const q = quantifierAt(p, i);
    if (q) {
      if (afterGroup && lastGroupQuantified && q.repeats) return i;
      if (groups.length > 0) groups[groups.length - 1] = true;
      i += q.length - 1;
      if (p[i + 1] === '?') i++; // lazy
      afterGroup = false;
      continue;
    }
    afterGroup = false;
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      for (i++; i < p.length && p[i] !== ']'; i++) if (p[i] === '\\') i++;
    } else if (c === '(') {
      groups.push(false);
      if (p[i + 1] === '?') i += p[i + 2] === ':' ? 2 : 1;
    } else if (c === ')') {
      lastGroupQuantified = groups.pop() ?? false;
      if (lastGroupQuantified && groups.length > 0) groups[groups.length - 1] = true;
      afterGroup = true;
    }
  }
  return undefined;
}

function quantifierAt(p: string, i: number): { length: number; repeats: boolean } | undefined {
  const c = p[i];
  if (c === '*' || c === '+') return { length: 1, repeats: true };
  if (c === '?') return { length: 1, repeats: false };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 24));
    if (!m) return undefined;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return { length: m[0].length, repeats: max > 1 };
  }
  return undefined;
}
