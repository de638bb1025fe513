// Tolerant reading of "JSON with comments" as VS Code writes launch.json: `//` and `/* */` comments and
// trailing commas are accepted; everything else must be plain JSON.
import { LoopError } from '../../core/errors.js';

export interface JsoncParseResult {
  value: unknown;
  /** True when the text had comments (a rewrite from `value` loses them). */
  hadComments: boolean;
}

/** Parses JSONC text; `what` names the file in the error (e.g. `.vscode/launch.json`). */
export function parseJsonc(text: string, what: string): JsoncParseResult {
  const { json, hadComments } = stripCommentsAndTrailingCommas(text, what);
  try {
    return { value: JSON.parse(json) as unknown, hadComments };
  } catch (err) {
    throw new LoopError('CONFIG_INVALID', `${what} is not valid JSON (comments and trailing commas allowed): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Replaces comments with spaces (newlines kept, so JSON.parse positions still match lines) and drops a
 * comma whose next significant character closes an object or array. Strings are copied untouched.
 */
function stripCommentsAndTrailingCommas(text: string, what: string): { json: string; hadComments: boolean } {
  let out = '';
  let hadComments = false;
  let i = 0;
  // Index in `out` of a comma not yet known to be trailing; resolved at the next significant character.
  let pendingComma = -1;
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '"') {
      pendingComma = -1;
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (ch === '/' && next === '/') {
      hadComments = true;
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (ch === '/' && next === '*') {
      hadComments = true;
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new LoopError('CONFIG_INVALID', `${what} has a /* comment that is never closed`);
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
      i = end + 2;
    } else if (/\s/.test(ch)) {
      out += ch;
      i += 1;
    } else {
      if ((ch === '}' || ch === ']') && pendingComma !== -1) {
        out = `${out.slice(0, pendingComma)} ${out.slice(pendingComma + 1)}`;
      }
      pendingComma = ch === ',' ? out.length : -1;
      out += ch;
      i += 1;
    }
  }
  return { json: out, hadComments };
}

/** Index just past the closing quote of the string starting at `start` (or the end of an unclosed one). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') i += 2;
    else if (ch === '"') return i + 1;
    else i += 1;
  }
  return text.length;
}
