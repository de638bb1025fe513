// The match language's vocabulary, in one place: fields, matchers and operators, each with its syntax,
// meaning, Envoy mapping and an example. The parser reads its names and argument shapes from here and the
// operator table (`loopctl help match`, the docs) is rendered from here, so the two cannot drift apart.

/** A field an expression can read. Header fields take a `["name"]` index; body fields do not. */
export type FieldName =
  | 'requestHeaders'
  | 'responseHeaders'
  | 'requestTrailers'
  | 'responseTrailers'
  | 'requestBody'
  | 'responseBody';

export type MatcherName = 'exact' | 'prefix' | 'suffix' | 'contains' | 'regex' | 'present' | 'range';

export type ArgKind = 'string' | 'integer';

export interface FieldDefinition {
  name: FieldName;
  /** `headers` covers trailers too: both are header lists indexed by name. */
  kind: 'headers' | 'body';
  side: 'request' | 'response';
  syntax: string;
  description: string;
  envoy: string;
  example: string;
}

export interface MatcherDefinition {
  name: MatcherName;
  /** The function name written in expressions; null for the bare string (exact match). */
  call: string | null;
  args: readonly ArgKind[];
  /** Envoy rejects an empty prefix/suffix/contains/regex (validate min_len: 1). */
  nonEmpty: boolean;
  /** Which field kinds accept it: Envoy's generic body match only searches for a substring. */
  appliesTo: ReadonlyArray<FieldDefinition['kind']>;
  syntax: string;
  description: string;
  envoy: string;
  example: string;
}

export interface OperatorDefinition {
  symbol: string;
  name: string;
  syntax: string;
  description: string;
  envoy: string;
  example: string;
}

export const FIELDS: readonly FieldDefinition[] = [
  {
    name: 'requestHeaders',
    kind: 'headers',
    side: 'request',
    syntax: 'requestHeaders["name"]',
    description:
      'A request header, name compared case-insensitively; pseudo-headers :method, :path, :authority, :scheme included. Several values are joined with ",".',
    envoy: 'http_request_headers_match',
    example: 'requestHeaders[":method"] == "POST"',
  },
  {
    name: 'responseHeaders',
    kind: 'headers',
    side: 'response',
    syntax: 'responseHeaders["name"]',
    description: 'A response header, including the pseudo-header :status.',
    envoy: 'http_response_headers_match',
    example: 'responseHeaders[":status"] == prefix("5")',
  },
  {
    name: 'requestTrailers',
    kind: 'headers',
    side: 'request',
    syntax: 'requestTrailers["name"]',
    description: 'A request trailer (sent after the request body).',
    envoy: 'http_request_trailers_match',
    example: 'requestTrailers["x-checksum"] == present()',
  },
  {
    name: 'responseTrailers',
    kind: 'headers',
    side: 'response',
    syntax: 'responseTrailers["name"]',
    description: 'A response trailer, e.g. grpc-status.',
    envoy: 'http_response_trailers_match',
    example: 'responseTrailers["grpc-status"] != "0"',
  },
  {
    name: 'requestBody',
    kind: 'body',
    side: 'request',
    syntax: 'requestBody',
    description: 'The request body bytes as captured; only contains(s) applies.',
    envoy: 'http_request_generic_body_match',
    example: 'requestBody == contains("\\"retry\\":true")',
  },
  {
    name: 'responseBody',
    kind: 'body',
    side: 'response',
    syntax: 'responseBody',
    description: 'The response body bytes as captured; only contains(s) applies.',
    envoy: 'http_response_generic_body_match',
    example: 'responseBody == contains("OutOfMemory")',
  },
];

export const MATCHERS: readonly MatcherDefinition[] = [
  {
    name: 'exact',
    call: null,
    args: ['string'],
    nonEmpty: false,
    appliesTo: ['headers'],
    syntax: '"s"',
    description: 'The whole value equals s (case-sensitive).',
    envoy: 'string_match: {exact: s}',
    example: 'requestHeaders[":method"] == "DELETE"',
  },
  {
    name: 'prefix',
    call: 'prefix',
    args: ['string'],
    nonEmpty: true,
    appliesTo: ['headers'],
    syntax: 'prefix("s")',
    description: 'The value starts with s (case-sensitive).',
    envoy: 'string_match: {prefix: s}',
    example: 'responseHeaders[":status"] == prefix("5")',
  },
  {
    name: 'suffix',
    call: 'suffix',
    args: ['string'],
    nonEmpty: true,
    appliesTo: ['headers'],
    syntax: 'suffix("s")',
    description: 'The value ends with s (case-sensitive).',
    envoy: 'string_match: {suffix: s}',
    example: 'requestHeaders[":path"] == suffix(".json")',
  },
  {
    name: 'contains',
    call: 'contains',
    args: ['string'],
    nonEmpty: true,
    appliesTo: ['headers', 'body'],
    syntax: 'contains("s")',
    description: 'The value (or body bytes) contains s (case-sensitive).',
    envoy: 'string_match: {contains: s}; bodies: patterns: [{string_match: s}]',
    example: 'requestHeaders["user-agent"] == contains("curl")',
  },
  {
    name: 'regex',
    call: 'regex',
    args: ['string'],
    nonEmpty: true,
    appliesTo: ['headers'],
    syntax: 'regex("re")',
    description:
      'The whole value matches the RE2 regular expression re (anchored at both ends), run on RE2\'s engine (re2js): time linear in the value, whatever the pattern. Backreferences and lookaround are not RE2 and are rejected; flag groups such as (?i) and (?s) are RE2\'s.',
    envoy: 'string_match: {safe_regex: {regex: re}}',
    example: 'requestHeaders[":path"] == regex("/orders/[0-9]+")',
  },
  {
    name: 'present',
    call: 'present',
    args: [],
    nonEmpty: false,
    appliesTo: ['headers'],
    syntax: 'present()',
    description: 'The header exists, whatever its value. `!= present()` is true when it is absent.',
    envoy: 'present_match: true',
    example: 'requestHeaders["x-debug"] == present()',
  },
  {
    name: 'range',
    call: 'range',
    args: ['integer', 'integer'],
    nonEmpty: false,
    appliesTo: ['headers'],
    syntax: 'range(lo, hi)',
    description:
      'The value is a base-10 integer n with lo <= n < hi; a value that is not an integer never matches. Needs lo < hi.',
    envoy: 'range_match: {start: lo, end: hi}',
    example: 'responseHeaders[":status"] == range(500, 600)',
  },
];

export const OPERATORS: readonly OperatorDefinition[] = [
  {
    symbol: '==',
    name: 'matches',
    syntax: 'field == matcher',
    description: 'The field is present and matches. An absent header never matches.',
    envoy: 'HeaderMatcher',
    example: 'responseHeaders[":status"] == "503"',
  },
  {
    symbol: '!=',
    name: 'does not match',
    syntax: 'field != matcher',
    description:
      'The field is present and does not match. As in Envoy, an absent header is false for != too; only `!= present()` is true for an absent header. Use !(...) for "absent or different".',
    envoy: 'HeaderMatcher with invert_match: true (bodies: not_match)',
    example: 'responseHeaders["content-type"] != prefix("application/json")',
  },
  {
    symbol: '&&',
    name: 'and',
    syntax: 'a && b',
    description: 'Both hold. Binds tighter than ||.',
    envoy: 'and_match: {rules: [a, b]}',
    example: 'requestHeaders[":method"] == "POST" && responseHeaders[":status"] == prefix("5")',
  },
  {
    symbol: '||',
    name: 'or',
    syntax: 'a || b',
    description: 'Either holds.',
    envoy: 'or_match: {rules: [a, b]}',
    example: 'responseHeaders[":status"] == "502" || responseHeaders[":status"] == "504"',
  },
  {
    symbol: '!',
    name: 'not',
    syntax: '!a',
    description:
      'Plain logical not: !(requestHeaders["x"] == "a") is true when x is absent, unlike requestHeaders["x"] != "a".',
    envoy: 'not_match: a',
    example: '!(requestHeaders[":path"] == prefix("/healthz"))',
  },
  {
    symbol: '( )',
    name: 'grouping',
    syntax: '(a)',
    description: 'Groups a sub-expression.',
    envoy: '(structure of the predicate tree)',
    example: '(a || b) && c',
  },
  {
    symbol: 'true',
    name: 'always',
    syntax: 'true',
    description: 'Matches every exchange.',
    envoy: 'any_match: true',
    example: 'true',
  },
];

/** Longest accepted expression, in UTF-16 code units: a config field, not a program. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Deepest nesting of `(` and `!`: keeps the recursive parser, evaluator and compiler off the stack limit. */
export const MAX_NESTING_DEPTH = 64;

const FIELD_BY_NAME = new Map(FIELDS.map((f) => [f.name as string, f]));
const MATCHER_BY_CALL = new Map(MATCHERS.filter((m) => m.call !== null).map((m) => [m.call as string, m]));

export function fieldDefinition(name: string): FieldDefinition | undefined {
  return FIELD_BY_NAME.get(name);
}

export function matcherByCall(call: string): MatcherDefinition | undefined {
  return MATCHER_BY_CALL.get(call);
}

export function matcherDefinition(name: MatcherName): MatcherDefinition {
  const def = MATCHERS.find((m) => m.name === name);
  if (!def) throw new Error(`no matcher definition for ${name}`);
  return def;
}

// RFC 9110 token characters, with an optional leading ":" for HTTP/2 pseudo-headers.
const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True for a header name Envoy and HTTP accept: an RFC 9110 token, or a pseudo-header like `:status`. */
export function isValidHeaderName(name: string): boolean {
  return HEADER_NAME.test(name);
}

export interface LanguageNote {
  title: string;
  text: string;
}

/** Rules that belong to no single entry; rendered under the tables. */
export const LANGUAGE_NOTES: readonly LanguageNote[] = [
  {
    title: 'Precedence',
    text: '! binds tightest, then &&, then ||; use parentheses to group. a || b && c means a || (b && c).',
  },
  {
    title: 'Strings and numbers',
    text: 'Strings are double-quoted with the escapes \\" \\\\ \\n \\t \\uXXXX (a regex escape needs a doubled backslash: regex("[0-9]\\\\.json")). range bounds are base-10 integers and may be negative. Whitespace and newlines may appear between any two tokens, so an expression can span lines in YAML.',
  },
  {
    title: 'Missing headers',
    text: 'A comparison on a header that is absent is false, with == and with != alike; only `!= present()` is true for an absent header. `!(field == m)` is a plain not and is true when the header is absent. This is how Envoy evaluates HeaderMatcher with invert_match.',
  },
  {
    title: 'Several values',
    text: 'A header sent several times is matched as its values joined with ",", as Envoy does.',
  },
  {
    title: 'Bodies',
    text: 'requestBody and responseBody accept == or != with contains("s") only; the search is over the body bytes as captured (up to the TapConfig\'s maxBodyBytes).',
  },
];
