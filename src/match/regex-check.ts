// Regular expressions users give us (TapConfig regex() matchers, redaction patterns) must mean here what
// they mean in Envoy (RE2, safe_regex), and no pattern, nor the traffic it scans, may stall the process
// that runs it. So they run on re2js, a JavaScript port of RE2: RE2's syntax and meaning, and time linear
// in the text whatever the pattern. JavaScript's own engine backtracks: `(a+)+` takes exponential time on
// a run of a's without a match, and even `\d+x`, searched for over 64 KiB of digits, takes seconds.
// RE2 is slower than JavaScript's engine on easy cases (a regex() on a path: about 0.1-0.6 µs against
// 0.02 µs), which is the price of a bound on the hard ones.
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import { messageOf } from '../core/errors.js';

// re2js is loaded on the first pattern compiled, not with this module: most commands that read the match
// language (loopctl's help, its table renderers) never compile one.
const require = createRequire(import.meta.url);
let engine: typeof RE2JS | undefined;
const re2js = (): typeof RE2JS => (engine ??= (require('re2js') as typeof import('re2js')).RE2JS);

export interface Re2Problem {
  reason: string;
}

/** A compiled RE2 pattern: `matches(s)` is a full match, `matcher(s)` finds matches in `s`. */
export type Re2 = RE2JS;

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
      if (rest.startsWith('<')) return 'named groups "(?<name>...)" are not supported by every RE2; use a plain group "(...)"';
    }
  }
  return undefined;
}

/**
 * `pattern` compiled by RE2, or why it cannot be: first the incompatibilities findRe2Incompatibility
 * explains in its own words, then whatever RE2's parser refuses.
 * @example compileRe2('/orders/[0-9]+').matches('/orders/42') // true (a full match)
 */
export function compileRe2(pattern: string): Re2 | Re2Problem {
  const unsupported = findRe2Incompatibility(pattern);
  if (unsupported) return { reason: unsupported };
  try {
    return re2js().compile(pattern);
  } catch (err) {
    return { reason: `not an RE2 regular expression: ${messageOf(err).replace(/^error parsing regexp: /, '')}` };
  }
}

export function isRe2Problem(compiled: Re2 | Re2Problem): compiled is Re2Problem {
  return 'reason' in compiled;
}
