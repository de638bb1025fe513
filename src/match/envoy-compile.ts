// Compiles a match expression to Envoy's tap MatchPredicate (envoy.config.common.matcher.v3), in proto3
// JSON with the proto's snake_case field names, ready for a tap filter's `match` or the admin /tap body.
//
// Checked against the Envoy API sources (api/envoy/config/common/matcher/v3/matcher.proto and
// api/envoy/config/route/v3/route_components.proto):
// - MatchPredicate is a oneof of or_match / and_match ({rules: [...]}, at least 2 rules), not_match,
//   any_match (must be true), http_{request,response}_{headers,trailers}_match ({headers: [HeaderMatcher]})
//   and http_{request,response}_generic_body_match ({bytes_limit, patterns: [{string_match}]}, every
//   pattern must be found, string_match at least 1 character).
// - HeaderMatcher: name, then one of string_match (StringMatcher: exact | prefix | suffix | contains |
//   safe_regex {regex}), present_match, range_match (Int64Range [start, end)), and invert_match.
//   prefix/suffix/contains must be non-empty; our parser rejects empty ones.
// - A missing header fails every HeaderMatcher, inverted or not, except present_match with invert_match
//   (treat_missing_header_as_empty, which we never set, defaults to false); evaluate.ts mirrors that.
// Int64Range bounds are int64, which proto3 JSON writes as strings ("500"); Envoy accepts them so.
// bytes_limit is left out: 0 (search the whole buffered body) is what our evaluator does too.

import type { BodyComparison, HeaderComparison, MatchExpr, MatcherNode } from './ast.js';

export type EnvoyStringMatcher =
  | { exact: string }
  | { prefix: string }
  | { suffix: string }
  | { contains: string }
  | { safe_regex: { regex: string } };

export interface EnvoyHeaderMatcher {
  name: string;
  string_match?: EnvoyStringMatcher;
  present_match?: true;
  range_match?: { start: string; end: string };
  invert_match?: true;
}

export interface EnvoyHttpHeadersMatch {
  headers: EnvoyHeaderMatcher[];
}

export interface EnvoyHttpGenericBodyMatch {
  patterns: Array<{ string_match: string }>;
}

/** envoy.config.common.matcher.v3.MatchPredicate as proto3 JSON. */
export type EnvoyMatchPredicate =
  | { or_match: { rules: EnvoyMatchPredicate[] } }
  | { and_match: { rules: EnvoyMatchPredicate[] } }
  | { not_match: EnvoyMatchPredicate }
  | { any_match: true }
  | { http_request_headers_match: EnvoyHttpHeadersMatch }
  | { http_response_headers_match: EnvoyHttpHeadersMatch }
  | { http_request_trailers_match: EnvoyHttpHeadersMatch }
  | { http_response_trailers_match: EnvoyHttpHeadersMatch }
  | { http_request_generic_body_match: EnvoyHttpGenericBodyMatch }
  | { http_response_generic_body_match: EnvoyHttpGenericBodyMatch };

const HEADER_KEYS = {
  requestHeaders: 'http_request_headers_match',
  responseHeaders: 'http_response_headers_match',
  requestTrailers: 'http_request_trailers_match',
  responseTrailers: 'http_response_trailers_match',
} as const;

const BODY_KEYS = {
  requestBody: 'http_request_generic_body_match',
  responseBody: 'http_response_generic_body_match',
} as const;

function matcherFields(m: MatcherNode): Omit<EnvoyHeaderMatcher, 'name' | 'invert_match'> {
  switch (m.kind) {
    case 'exact':
      return { string_match: { exact: m.value } };
    case 'prefix':
      return { string_match: { prefix: m.value } };
    case 'suffix':
      return { string_match: { suffix: m.value } };
    case 'contains':
      return { string_match: { contains: m.value } };
    case 'regex':
      return { string_match: { safe_regex: { regex: m.pattern } } };
    case 'present':
      return { present_match: true };
    case 'range':
      return { range_match: { start: String(m.lo), end: String(m.hi) } };
  }
}

function headerPredicate(cmp: HeaderComparison): EnvoyMatchPredicate {
  // Envoy keeps header names lowercase; matching is case-insensitive either way.
  const matcher: EnvoyHeaderMatcher = { name: cmp.header.toLowerCase(), ...matcherFields(cmp.matcher) };
  if (cmp.op === '!=') matcher.invert_match = true;
  const match: EnvoyHttpHeadersMatch = { headers: [matcher] };
  return { [HEADER_KEYS[cmp.field]]: match } as EnvoyMatchPredicate;
}

function bodyPredicate(cmp: BodyComparison): EnvoyMatchPredicate {
  const match: EnvoyHttpGenericBodyMatch = { patterns: [{ string_match: cmp.matcher.value }] };
  const positive = { [BODY_KEYS[cmp.field]]: match } as EnvoyMatchPredicate;
  // The generic body match has no invert flag; "does not contain" is its negation.
  return cmp.op === '!=' ? { not_match: positive } : positive;
}

/**
 * The Envoy MatchPredicate with the same meaning as `expr`.
 *
 * @example toEnvoyMatchPredicate(parseMatch('responseHeaders[":status"] == prefix("5")'))
 * // { http_response_headers_match: { headers: [{ name: ':status', string_match: { prefix: '5' } }] } }
 */
export function toEnvoyMatchPredicate(expr: MatchExpr): EnvoyMatchPredicate {
  switch (expr.kind) {
    case 'true':
      return { any_match: true };
    case 'not':
      return { not_match: toEnvoyMatchPredicate(expr.operand) };
    case 'and':
    case 'or': {
      const rules = expr.operands.map(toEnvoyMatchPredicate);
      // MatchSet needs at least two rules; the parser never builds a shorter one, a hand-built tree might.
      if (rules.length === 1) return rules[0]!;
      if (rules.length === 0) return expr.kind === 'and' ? { any_match: true } : { not_match: { any_match: true } };
      return expr.kind === 'and' ? { and_match: { rules } } : { or_match: { rules } };
    }
    case 'header':
      return headerPredicate(expr);
    case 'body':
      return bodyPredicate(expr);
  }
}
