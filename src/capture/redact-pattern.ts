// Regular expressions that redact secrets wherever they appear (header values, text bodies, string values
// of JSON bodies). They run on every capture a tap or the loop server handles, over text that the traffic
// chooses, so they run on RE2's engine (src/match/regex-check.ts): time linear in the text whatever the
// pattern, where JavaScript's backtracking engine could be stalled by a pattern such as `(a+)+` or by a
// long body against one as plain as `\d+x`. The text one pattern scans is still capped
// (MAX_PATTERN_SCAN_CHARS), and what lies beyond the cap is dropped, never kept unscanned.
import { compileRe2, isRe2Problem, type Re2 } from '../match/regex-check.js';

/** Characters of one header value or body a pattern scans; the rest is cut (bodies) or redacted whole (values). */
export const MAX_PATTERN_SCAN_CHARS = 1024 * 1024;

/** Longest pattern accepted: a secret's shape needs far fewer. */
export const MAX_PATTERN_LENGTH = 1000;

// Short probes: a pattern whose first match in any of them is empty (`a*`, `\b`, `^`) can match nothing
// and would redact between characters.
const EMPTY_PROBES = ['', 'x', ' ', '0', '-', 'xx'];

/**
 * Why `pattern` cannot be a redaction pattern, or undefined when it can.
 * @example redactPatternProblem('a*') // 'can match the empty string; …'
 */
export function redactPatternProblem(pattern: string): string | undefined {
  const compiled = compile(pattern);
  return typeof compiled === 'string' ? compiled : undefined;
}

/**
 * Compiles a redaction pattern.
 * @throws Error with redactPatternProblem's reason (callers validate first and report the field).
 */
export function compileRedactPattern(pattern: string): Re2 {
  const compiled = compile(pattern);
  if (typeof compiled === 'string') throw new Error(`redaction pattern ${JSON.stringify(pattern)}: ${compiled}`);
  return compiled;
}

/**
 * `text` with every non-empty match of `re` replaced by `replacement`; the same string when there is none.
 * An empty match (a pattern such as `\b` can make one at some positions) is left alone.
 */
export function replaceMatches(text: string, re: Re2, replacement: string): string {
  const m = re.matcher(text);
  let out = '';
  let last = 0;
  while (m.find()) {
    const start = m.start();
    const end = m.end();
    if (end === start) continue;
    out += text.slice(last, start) + replacement;
    last = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

function compile(pattern: string): Re2 | string {
  if (pattern === '') return 'an empty pattern matches everywhere';
  if (pattern.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  const re = compileRe2(pattern);
  if (isRe2Problem(re)) return re.reason;
  for (const probe of EMPTY_PROBES) {
    const m = re.matcher(probe);
    if (m.find() && m.end() === m.start()) return 'can match the empty string; a redaction pattern must match at least one character';
  }
  return re;
}
