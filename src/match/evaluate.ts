// Evaluates a match expression against a captured exchange with Envoy's semantics, so that our gateway
// and an Envoy tap configured from the same expression capture the same exchanges:
// - header names compare case-insensitively; several values of one header are joined with ",";
// - exact/prefix/suffix/contains are case-sensitive; regex is a full match; range is [lo, hi) on a
//   base-10 int64 value (anything else never matches);
// - a missing header makes a comparison false whether it is == or != (Envoy's invert_match does not make
//   an absent header match), except `!= present()`, which is true exactly when the header is absent;
// - `!` is a plain logical not; body contains is a byte substring search of the captured body.

import { appendRawPairs, headerKey, pairsHeaderValue, rawHeaderValue, type CaptureInput, type HeaderList } from '../capture/capture.js';
import type { BodyComparison, HeaderComparison, MatchExpr, MatcherNode } from './ast.js';
import type { FieldName } from './match-definitions.js';
import { compileRe2, isRe2Problem } from './regex-check.js';

/** A compiled predicate over one exchange. */
export type CapturePredicate = (input: CaptureInput) => boolean;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BASE10_INTEGER = /^[+-]?[0-9]+$/;

const HEADER_LISTS: Record<HeaderComparison['field'], (input: CaptureInput) => HeaderList> = {
  requestHeaders: (input) => input.request.headers,
  responseHeaders: (input) => input.response.headers,
  requestTrailers: (input) => input.request.trailers,
  responseTrailers: (input) => input.response.trailers,
};

const BODIES: Record<BodyComparison['field'], (input: CaptureInput) => Buffer | undefined> = {
  requestBody: (input) => input.request.body?.bytes,
  responseBody: (input) => input.response.body?.bytes,
};

function valueTest(matcher: MatcherNode): (value: string) => boolean {
  switch (matcher.kind) {
    case 'exact': {
      const want = matcher.value;
      return (v) => v === want;
    }
    case 'prefix': {
      const want = matcher.value;
      return (v) => v.startsWith(want);
    }
    case 'suffix': {
      const want = matcher.value;
      return (v) => v.endsWith(want);
    }
    case 'contains': {
      const want = matcher.value;
      return (v) => v.includes(want);
    }
    case 'regex': {
      const re = compileRe2(matcher.pattern);
      // parseMatch refuses such patterns; a hand-built tree that slips one through matches nothing.
      if (isRe2Problem(re)) return () => false;
      return (v) => re.matches(v);
    }
    case 'present':
      return () => true;
    case 'range': {
      const lo = BigInt(matcher.lo);
      const hi = BigInt(matcher.hi);
      return (v) => {
        if (!BASE10_INTEGER.test(v)) return false;
        const n = BigInt(v);
        return n >= INT64_MIN && n <= INT64_MAX && n >= lo && n < hi;
      };
    }
  }
}

/** What a header comparison answers for the header's value (undefined: absent). */
function headerOutcome(cmp: HeaderComparison): (value: string | undefined) => boolean {
  const test = valueTest(cmp.matcher);
  const whenAbsent = cmp.op === '!=' && cmp.matcher.kind === 'present';
  const inverted = cmp.op === '!=';
  return (value) => (value === undefined ? whenAbsent : test(value) !== inverted);
}

function headerPredicate(cmp: HeaderComparison): CapturePredicate {
  const list = HEADER_LISTS[cmp.field];
  const key = headerKey(cmp.header);
  const outcome = headerOutcome(cmp);
  return (input) => outcome(pairsHeaderValue(list(input), key));
}

function bodyPredicate(cmp: BodyComparison): CapturePredicate {
  const body = BODIES[cmp.field];
  const needle = Buffer.from(cmp.matcher.value, 'utf8');
  const inverted = cmp.op === '!=';
  return (input) => {
    const bytes = body(input);
    const found = bytes !== undefined && bytes.indexOf(needle) !== -1;
    return found !== inverted;
  };
}

/** Turns the tree into closures once, so matching an exchange does no tree walking or regex compiling. */
export function createEvaluator(expr: MatchExpr): CapturePredicate {
  switch (expr.kind) {
    case 'true':
      return () => true;
    case 'not': {
      const inner = createEvaluator(expr.operand);
      return (input) => !inner(input);
    }
    case 'and': {
      const parts = expr.operands.map(createEvaluator);
      return (input) => parts.every((p) => p(input));
    }
    case 'or': {
      const parts = expr.operands.map(createEvaluator);
      return (input) => parts.some((p) => p(input));
    }
    case 'header':
      return headerPredicate(expr);
    case 'body':
      return bodyPredicate(expr);
  }
}

/** True when the exchange matches `expr`. Compiles on every call; hold `createEvaluator`'s result for hot paths. */
export function evaluateMatch(expr: MatchExpr, input: CaptureInput): boolean {
  return createEvaluator(expr)(input);
}

/** Three-valued predicate: undefined while fields not in `known` could still change the answer. */
export type PartialCapturePredicate = (input: CaptureInput, known: readonly FieldName[]) => boolean | undefined;

/**
 * Compiles `expr` for deciding it from the fields known so far (Kleene three-valued logic). A gateway
 * calls the result with `['requestHeaders']` when the request headers arrive: false means it can stop
 * watching the exchange, true means it will be captured, undefined means wait for more.
 */
export function createPartialEvaluator(expr: MatchExpr): PartialCapturePredicate {
  switch (expr.kind) {
    case 'true':
      return () => true;
    case 'not': {
      const inner = createPartialEvaluator(expr.operand);
      return (input, known) => {
        const r = inner(input, known);
        return r === undefined ? undefined : !r;
      };
    }
    case 'and':
    case 'or': {
      const parts = expr.operands.map(createPartialEvaluator);
      // `decisive` settles the whole set: false for and, true for or.
      const decisive = expr.kind === 'or';
      return (input, known) => {
        let unknown = false;
        for (const part of parts) {
          const r = part(input, known);
          if (r === decisive) return decisive;
          if (r === undefined) unknown = true;
        }
        return unknown ? undefined : !decisive;
      };
    }
    case 'header':
    case 'body': {
      const field = expr.field;
      const leaf = createEvaluator(expr);
      return (input, known) => (known.includes(field) ? leaf(input) : undefined);
    }
  }
}

/** `createPartialEvaluator(expr)(input, known)`, compiling on every call. */
export function evaluatePartial(
  expr: MatchExpr,
  input: CaptureInput,
  known: readonly FieldName[],
): boolean | undefined {
  return createPartialEvaluator(expr)(input, known);
}

/**
 * An exchange's request head as a tap point has it: the pseudo-headers' values and the headers as received,
 * in Node's flat form when the tap point has that (then `headers` is not read).
 */
export interface RequestHead {
  method: string;
  path: string;
  authority: string;
  scheme: string;
  readonly headers: HeaderList;
  readonly rawHeaders?: readonly string[];
}

/**
 * Three-valued, over the heads as a tap point has them. With `response` undefined it answers what the partial
 * evaluator answers with request headers known; with the response head, with request and response headers
 * known. The header lists those calls read (pseudo-headers first) are never built: a tap rules most exchanges
 * out here, and filling lists for it on every request costs more than the lookups.
 */
export type HeadsPredicate = (request: RequestHead, status: number, response: readonly string[] | undefined) => boolean | undefined;

/** The request head as a capture lists it: the pseudo-headers, then the headers as received, as new pairs. */
export function requestHeadList(request: RequestHead): HeaderList {
  const list: HeaderList = [
    [':method', request.method],
    [':path', request.path],
    [':authority', request.authority],
    [':scheme', request.scheme],
  ];
  const raw = request.rawHeaders;
  if (raw) return appendRawPairs(list, raw);
  for (const h of request.headers) list.push([h[0], h[1]]);
  return list;
}

/** The response head as a capture lists it: `:status`, then the headers, as new pairs. */
export function responseHeadList(status: number, headers: readonly string[]): HeaderList {
  return appendRawPairs([[':status', String(status)]], headers);
}

const REQUEST_PSEUDO: Record<string, (request: RequestHead) => string> = {
  ':method': (r) => r.method,
  ':path': (r) => r.path,
  ':authority': (r) => r.authority,
  ':scheme': (r) => r.scheme,
};

/**
 * Compiles `expr` for deciding it from the heads alone (see `HeadsPredicate`).
 *
 * @example
 * const decide = createHeadsEvaluator(parseMatch('requestHeaders["x-debug"] == present()'));
 * decide(info, 0, undefined); // false: no need to watch this exchange
 */
export function createHeadsEvaluator(expr: MatchExpr): HeadsPredicate {
  switch (expr.kind) {
    case 'true':
      return () => true;
    case 'not': {
      const inner = createHeadsEvaluator(expr.operand);
      return (request, status, response) => {
        const r = inner(request, status, response);
        return r === undefined ? undefined : !r;
      };
    }
    case 'and':
    case 'or': {
      const parts = expr.operands.map(createHeadsEvaluator);
      const decisive = expr.kind === 'or';
      return (request, status, response) => {
        let unknown = false;
        for (let i = 0; i < parts.length; i++) {
          const r = parts[i]!(request, status, response);
          if (r === decisive) return decisive;
          if (r === undefined) unknown = true;
        }
        return unknown ? undefined : !decisive;
      };
    }
    case 'header':
      return headsLeaf(expr);
    case 'body':
      return () => undefined;
  }
}

function headsLeaf(cmp: HeaderComparison): HeadsPredicate {
  const key = headerKey(cmp.header);
  const outcome = headerOutcome(cmp);
  switch (cmp.field) {
    case 'requestHeaders': {
      // The pseudo-headers come first in a capture's list, lowercase: only a name equal to one reads it.
      const pseudo = Object.hasOwn(REQUEST_PSEUDO, key.lower) ? REQUEST_PSEUDO[key.lower] : undefined;
      return (request) => {
        const first = pseudo?.(request);
        const raw = request.rawHeaders;
        return outcome(raw ? rawHeaderValue(raw, key, first) : pairsHeaderValue(request.headers, key, first));
      };
    }
    case 'responseHeaders': {
      const status = key.lower === ':status';
      return (_request, code, response) => (response === undefined ? undefined : outcome(rawHeaderValue(response, key, status ? String(code) : undefined)));
    }
    default:
      return () => undefined;
  }
}
