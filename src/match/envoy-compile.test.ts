import { describe, expect, it } from 'vitest';
import { toEnvoyMatchPredicate, type EnvoyHeaderMatcher, type EnvoyMatchPredicate } from './envoy-compile.js';
import { parseMatch } from './parser.js';

const reqH = (m: EnvoyHeaderMatcher): EnvoyMatchPredicate => ({ http_request_headers_match: { headers: [m] } });
const resH = (m: EnvoyHeaderMatcher): EnvoyMatchPredicate => ({ http_response_headers_match: { headers: [m] } });
const a = reqH({ name: 'a', string_match: { exact: '1' } });
const b = reqH({ name: 'b', string_match: { exact: '2' } });
const c = reqH({ name: 'c', string_match: { exact: '3' } });

describe('toEnvoyMatchPredicate', () => {
  const cases: Array<[string, EnvoyMatchPredicate]> = [
    ['responseHeaders[":status"] == prefix("5")', resH({ name: ':status', string_match: { prefix: '5' } })],
    ['requestHeaders[":method"] == "POST"', reqH({ name: ':method', string_match: { exact: 'POST' } })],
    ['requestHeaders[":path"] == suffix(".json")', reqH({ name: ':path', string_match: { suffix: '.json' } })],
    ['requestHeaders["User-Agent"] == contains("curl")', reqH({ name: 'user-agent', string_match: { contains: 'curl' } })],
    ['requestHeaders[":path"] == regex("/orders/[0-9]+")', reqH({ name: ':path', string_match: { safe_regex: { regex: '/orders/[0-9]+' } } })],
    ['requestHeaders["X-Debug"] == present()', reqH({ name: 'x-debug', present_match: true })],
    ['requestHeaders["x-debug"] != present()', reqH({ name: 'x-debug', present_match: true, invert_match: true })],
    ['responseHeaders[":status"] == range(500, 600)', resH({ name: ':status', range_match: { start: '500', end: '600' } })],
    ['requestHeaders["t"] != range(-10, 0)', reqH({ name: 't', range_match: { start: '-10', end: '0' }, invert_match: true })],
    ['responseHeaders["content-type"] != prefix("application/json")', resH({ name: 'content-type', string_match: { prefix: 'application/json' }, invert_match: true })],
    ['requestTrailers["x-sum"] == present()', { http_request_trailers_match: { headers: [{ name: 'x-sum', present_match: true }] } }],
    ['responseTrailers["grpc-status"] != "0"', { http_response_trailers_match: { headers: [{ name: 'grpc-status', string_match: { exact: '0' }, invert_match: true }] } }],
    ['requestBody == contains("retry")', { http_request_generic_body_match: { patterns: [{ string_match: 'retry' }] } }],
    ['responseBody == contains("OOM")', { http_response_generic_body_match: { patterns: [{ string_match: 'OOM' }] } }],
    ['responseBody != contains("ok")', { not_match: { http_response_generic_body_match: { patterns: [{ string_match: 'ok' }] } } }],
    ['true', { any_match: true }],
    ['!true', { not_match: { any_match: true } }],
    ['!(requestHeaders["a"] == "1")', { not_match: a }],
    ['requestHeaders["a"] == "1" && requestHeaders["b"] == "2"', { and_match: { rules: [a, b] } }],
    ['requestHeaders["a"] == "1" || requestHeaders["b"] == "2"', { or_match: { rules: [a, b] } }],
    ['requestHeaders["a"] == "1" || requestHeaders["b"] == "2" && requestHeaders["c"] == "3"', { or_match: { rules: [a, { and_match: { rules: [b, c] } }] } }],
    ['(requestHeaders["a"] == "1" || requestHeaders["b"] == "2") && requestHeaders["c"] == "3"', { and_match: { rules: [{ or_match: { rules: [a, b] } }, c] } }],
    ['requestHeaders["a"] == "1" && requestHeaders["b"] == "2" && requestHeaders["c"] == "3"', { and_match: { rules: [a, b, c] } }],
  ];
  it.each(cases)('%s', (source, expected) => {
    expect(toEnvoyMatchPredicate(parseMatch(source))).toEqual(expected);
  });

  it('writes the tutorial predicate as Envoy proto3 JSON with snake_case names', () => {
    expect(JSON.stringify(toEnvoyMatchPredicate(parseMatch('responseHeaders[":status"] == prefix("5")')))).toBe(
      '{"http_response_headers_match":{"headers":[{"name":":status","string_match":{"prefix":"5"}}]}}',
    );
  });

  it('never emits a MatchSet with fewer than two rules (Envoy requires min_items 2)', () => {
    expect(toEnvoyMatchPredicate({ kind: 'and', operands: [{ kind: 'true' }] })).toEqual({ any_match: true });
    expect(toEnvoyMatchPredicate({ kind: 'or', operands: [] })).toEqual({ not_match: { any_match: true } });
  });
});
