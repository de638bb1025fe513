// Regular expressions must mean the same in our gateway (JavaScript) and in Envoy (RE2, safe_regex).
// We accept the common subset: patterns JavaScript compiles and that use nothing RE2 lacks
// (backreferences, lookahead/lookbehind). RE2 matches in linear time; JavaScript backtracks, so a
// pathological pattern can be slow in our gateway, which is one more reason to keep header regexes simple.

export interface Re2Problem {
  reason: string;
}

// Leading inline flags both engines understand once translated: (?i) case-insensitive, (?s) dot matches \n.
const LEADING_FLAGS = /^\(\?([is]+)\)/;

/** What in `pattern` RE2 cannot do, or undefined when nothing is found. */
export function findRe2Incompatibility(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e !== undefined && e >= '1' && e <= '9') {
        return `backreference "\\${e}" is not supported by RE2 (Envoy's safe_regex)`;
      }
      if (e === 'k' && pattern[i + 2] === '<') return 'named backreference "\\k<...>" is not supported by RE2';
      if (e === 'u') return '"\\u" escapes are not RE2 syntax; write the character itself';
      if (e === 'c') return '"\\c" control escapes are not RE2 syntax';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return 'lookahead "(?=" / "(?!" is not supported by RE2';
      if (rest === '<=' || rest === '<!') return 'lookbehind "(?<=" / "(?<!" is not supported by RE2';
      if (rest.startsWith('P')) return 'named groups "(?P<name>...)" cannot run in JavaScript; use a plain group "(...)"';
      if (rest.startsWith('<')) return 'named groups "(?<name>...)" are not supported by every RE2; use a plain group "(...)"';
    }
  }
  return undefined;
}

/**
 * A JavaScript RegExp that full-matches what RE2 full-matches for `pattern`, or a reason it cannot be had.
 * The pattern is anchored as `^(?:pattern)$`, the meaning of Envoy's safe_regex on a header value.
 */
export function compileFullMatchRegex(pattern: string): RegExp | Re2Problem {
  const unsupported = findRe2Incompatibility(pattern);
  if (unsupported) return { reason: unsupported };
  const { flags, body } = splitLeadingFlags(pattern);
  const re = compileUnicodeFirst(`^(?:${body})$`, flags);
  return re instanceof RegExp ? re : { reason: `not a regular expression JavaScript can run: ${re.error}` };
}

/**
 * The leading inline flags (`(?i)`, `(?s)`, `(?is)`) as RegExp flags, and the pattern after them.
 * @example splitLeadingFlags('(?i)bearer .+') // { flags: 'i', body: 'bearer .+', prefixLength: 4 }
 */
export function splitLeadingFlags(pattern: string): { flags: string; body: string; prefixLength: number } {
  const lead = LEADING_FLAGS.exec(pattern);
  if (!lead) return { flags: '', body: pattern, prefixLength: 0 };
  return { flags: [...new Set(lead[1])].join(''), body: pattern.slice(lead[0].length), prefixLength: lead[0].length };
}

/**
 * `new RegExp(source, flags)` in Unicode mode first (like RE2 it matches code points and rejects stray
 * escapes), else without it; when neither compiles, the engine's complaint without its `Invalid regular
 * expression: /…/:` prefix.
 */
export function compileUnicodeFirst(source: string, flags: string): RegExp | { error: string } {
  try {
    return new RegExp(source, `${flags}u`);
  } catch (unicodeErr) {
    try {
      return new RegExp(source, flags);
    } catch {
      const msg = unicodeErr instanceof Error ? unicodeErr.message : String(unicodeErr);
      return { error: msg.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') };
    }
  }
}
