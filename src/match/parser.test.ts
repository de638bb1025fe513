import { describe, expect, it } from 'vitest';
import type { HeaderComparison, MatchExpr, MatcherNode } from './ast.js';
import { formatMatchError, MatchSyntaxError } from './match-error.js';
import { parseMatch } from './parser.js';

const req = (header: string, op: '==' | '!=', matcher: MatcherNode): HeaderComparison => ({
  kind: 'header',
  field: 'requestHeaders',
  header,
  op,
  matcher,
});
const res = (header: string, op: '==' | '!=', matcher: MatcherNode): HeaderComparison => ({
  kind: 'header',
  field: 'responseHeaders',
  header,
  op,
  matcher,
});
const status5xx = res(':status', '==', { kind: 'prefix', value: '5' });
const A = req('a', '==', { kind: 'exact', value: '1' });
const B = req('b', '==', { kind: 'exact', value: '2' });
const C = req('c', '==', { kind: 'exact', value: '3' });

describe('parseMatch: valid expressions', () => {
  const cases: Array<[string, MatchExpr]> = [
    ['responseHeaders[":status"] == prefix("5")', status5xx],
    ['  responseHeaders [ ":status" ]==prefix ( "5" )  ', status5xx],
    ['responseHeaders[":status"]\n  == prefix("5")\n', status5xx],
    ['requestHeaders[":method"] == "POST"', req(':method', '==', { kind: 'exact', value: 'POST' })],
    ['requestHeaders["x"] == ""', req('x', '==', { kind: 'exact', value: '' })],
    ['requestHeaders[":path"] == suffix(".json")', req(':path', '==', { kind: 'suffix', value: '.json' })],
    ['requestHeaders["user-agent"] == contains("curl")', req('user-agent', '==', { kind: 'contains', value: 'curl' })],
    ['requestHeaders[":path"] == regex("/orders/[0-9]+")', req(':path', '==', { kind: 'regex', pattern: '/orders/[0-9]+' })],
    ['requestHeaders[":path"] == regex("(?i)/a\\\\.b")', req(':path', '==', { kind: 'regex', pattern: '(?i)/a\\.b' })],
    ['requestHeaders["x-debug"] == present()', req('x-debug', '==', { kind: 'present' })],
    ['requestHeaders["x-debug"] != present()', req('x-debug', '!=', { kind: 'present' })],
    ['responseHeaders[":status"] == range(500, 600)', res(':status', '==', { kind: 'range', lo: 500, hi: 600 })],
    ['requestHeaders["t"] == range(-10, 0)', req('t', '==', { kind: 'range', lo: -10, hi: 0 })],
    ['requestHeaders["X-Trace"] != "on"', req('X-Trace', '!=', { kind: 'exact', value: 'on' })],
    ['requestHeaders["q"] == "say \\"hi\\"\\n\\t\\\\ \\u00e9"', req('q', '==', { kind: 'exact', value: 'say "hi"\n\t\\ é' })],
    ['requestTrailers["x-sum"] == present()', { kind: 'header', field: 'requestTrailers', header: 'x-sum', op: '==', matcher: { kind: 'present' } }],
    ['responseTrailers["grpc-status"] != "0"', { kind: 'header', field: 'responseTrailers', header: 'grpc-status', op: '!=', matcher: { kind: 'exact', value: '0' } }],
    ['requestBody == contains("retry")', { kind: 'body', field: 'requestBody', op: '==', matcher: { kind: 'contains', value: 'retry' } }],
    ['responseBody != contains("ok")', { kind: 'body', field: 'responseBody', op: '!=', matcher: { kind: 'contains', value: 'ok' } }],
    ['true', { kind: 'true' }],
    ['!true', { kind: 'not', operand: { kind: 'true' } }],
    ['!!true', { kind: 'not', operand: { kind: 'not', operand: { kind: 'true' } } }],
    ['(true)', { kind: 'true' }],
    ['((((true))))', { kind: 'true' }],
    ['requestHeaders["a"] == "1" && requestHeaders["b"] == "2"', { kind: 'and', operands: [A, B] }],
    ['requestHeaders["a"] == "1" || requestHeaders["b"] == "2"', { kind: 'or', operands: [A, B] }],
    ['requestHeaders["a"] == "1" || requestHeaders["b"] == "2" && requestHeaders["c"] == "3"', { kind: 'or', operands: [A, { kind: 'and', operands: [B, C] }] }],
    ['requestHeaders["a"] == "1" && requestHeaders["b"] == "2" || requestHeaders["c"] == "3"', { kind: 'or', operands: [{ kind: 'and', operands: [A, B] }, C] }],
    ['(requestHeaders["a"] == "1" || requestHeaders["b"] == "2") && requestHeaders["c"] == "3"', { kind: 'and', operands: [{ kind: 'or', operands: [A, B] }, C] }],
    ['requestHeaders["a"] == "1" && requestHeaders["b"] == "2" && requestHeaders["c"] == "3"', { kind: 'and', operands: [A, B, C] }],
    ['!requestHeaders["a"] == "1" && true', { kind: 'and', operands: [{ kind: 'not', operand: A }, { kind: 'true' }] }],
    ['!(requestHeaders["a"] == "1" || true)', { kind: 'not', operand: { kind: 'or', operands: [A, { kind: 'true' }] } }],
  ];
  it.each(cases)('%s', (source, expected) => {
    expect(parseMatch(source)).toEqual(expected);
  });
});

describe('parseMatch: malformed expressions', () => {
  const deep = `${'('.repeat(65)}true${')'.repeat(65)}`;
  const cases: Array<[source: string, at: string, message: RegExp]> = [
    ['', '1:1', /empty expression/],
    ['   \n  ', '2:3', /empty expression/],
    ['responseHeaders[":status"] == prefix("5"', '1:41', /expected "\)" to close prefix\(, found end of input/],
    ['responseHeaders[":status"] == prefix("5" "6")', '1:42', /expected "\)" to close prefix\(, found string "6"/],
    ['requestHeader["x"] == "a"', '1:1', /unknown field "requestHeader"; expected one of requestHeaders, .*did you mean "requestHeaders"/],
    ['responseheaders["x"] == "a"', '1:1', /did you mean "responseHeaders"/],
    ['status == "500"', '1:1', /unknown field "status"; expected one of/],
    ['requestHeaders == "a"', '1:16', /expected "\[" after requestHeaders .*found "=="/],
    ['requestHeaders[x] == "a"', '1:16', /expected a header name string in requestHeaders\[\.\.\.\], found "x"/],
    ['requestHeaders[""] == "a"', '1:16', /empty header name/],
    ['requestHeaders["a b"] == "1"', '1:16', /invalid header name "a b"/],
    ['requestHeaders["x" == "a"', '1:20', /expected "\]" to close requestHeaders\[, found "=="/],
    ['requestHeaders["x"] = "a"', '1:21', /unexpected character "="; did you mean "=="\?/],
    ['requestHeaders["x"] "a"', '1:21', /expected "==" or "!=" after requestHeaders\["x"\], found string "a"/],
    ['requestHeaders["x"] ==', '1:23', /expected a matcher .*found end of input/],
    ['requestHeaders["x"] == 500', '1:24', /found 500; header values are strings: write "500"/],
    ['requestHeaders["x"] == prefx("a")', '1:24', /unknown matcher "prefx".*did you mean "prefix"/],
    ['requestHeaders["x"] == prefix "a"', '1:31', /expected "\(" after prefix/],
    ['requestHeaders["x"] == prefix(5)', '1:31', /prefix\(\.\.\.\) expects a string as argument 1, found integer 5/],
    ['requestHeaders["x"] == prefix("")', '1:31', /prefix\(""\) is empty/],
    ['requestHeaders["x"] == contains("")', '1:33', /contains\(""\) is empty/],
    ['requestHeaders["x"] == present("a")', '1:32', /expected "\)" to close present\(, found string "a"/],
    ['requestHeaders["x"] == range(5)', '1:31', /expected "," after argument 1 of range\(lo, hi\), found "\)"/],
    ['requestHeaders["x"] == range(1.5, 3)', '1:30', /expected an integer, found 1\.5/],
    ['requestHeaders["x"] == range("1", "2")', '1:30', /range\(\.\.\.\) expects an integer as argument 1/],
    ['requestHeaders["x"] == range(10, 5)', '1:30', /range\(10, 5\) matches nothing; expected lo < hi/],
    ['requestHeaders["x"] == range(5, 5)', '1:30', /matches nothing/],
    ['requestHeaders["x"] == regex("(a)\\\\1")', '1:30', /backreference "\\1" is not supported by RE2/],
    ['requestHeaders["x"] == regex("a(?=b)")', '1:30', /lookahead/],
    ['requestHeaders["x"] == regex("(?<!a)b")', '1:30', /lookbehind/],
    ['requestHeaders["x"] == regex("a[")', '1:30', /not an RE2 regular expression: missing closing \]/],
    ['requestHeaders["x"] == regex("")', '1:30', /regex\(""\) is empty/],
    ['requestBody == prefix("a")', '1:16', /requestBody only supports contains\("s"\), found prefix\(\.\.\.\)/],
    ['responseBody == "a"', '1:17', /responseBody only supports contains\("s"\), found an exact string/],
    ['requestBody["x"] == contains("a")', '1:12', /requestBody takes no \[\.\.\.\] index/],
    ['requestBody == contains("")', '1:25', /contains\(""\) is empty/],
    ['requestHeaders["x"] == "a" requestHeaders["y"] == "b"', '1:28', /unexpected "requestHeaders" after a complete expression; expected "&&", "\|\|" or end of input/],
    ['true)', '1:5', /unmatched "\)"/],
    ['(true', '1:6', /expected "\)" to close "\(" opened at 1:1, found end of input/],
    ['(true\n  && true', '2:10', /opened at 1:1/],
    ['true &&', '1:8', /expected a comparison, "!", "\(" or "true", found end of input/],
    ['|| true', '1:1', /expected a comparison, "!", "\(" or "true", found "\|\|"/],
    ['true & true', '1:6', /did you mean "&&"/],
    ['true | true', '1:6', /did you mean "\|\|"/],
    ["requestHeaders['x'] == 'a'", '1:16', /strings are written in double quotes/],
    ['requestHeaders["x"] == "abc', '1:24', /unterminated string/],
    ['requestHeaders["x"] == "a\nb"', '1:24', /strings cannot span lines/],
    ['requestHeaders["x"] == "\\d+"', '1:25', /unknown escape "\\d"/],
    ['requestHeaders["x"] == "\\u12"', '1:25', /bad \\u escape/],
    ['requestHeaders["x"] == "a" #', '1:28', /unexpected character "#"/],
    ['requestHeaders["x"] ==\n  prefix("5"\n', '3:1', /expected "\)" to close prefix\(/],
    ['requestHeaders["x"] == range(1, 99999999999999999999)', '1:33', /out of range/],
    [deep, '1:65', /nests deeper than 64 levels/],
    [`${'!'.repeat(100)}true`, '1:65', /nests deeper than 64 levels/],
    [`true${' '.repeat(10_000)}`, '1:10001', /10004 characters long; the limit is 10000/],
  ];

  it('has at least 35 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  it.each(cases)('%j fails at %s', (source, at, message) => {
    let err: unknown;
    try {
      parseMatch(source);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MatchSyntaxError);
    const syntax = err as MatchSyntaxError;
    expect(syntax.code).toBe('MATCH_SYNTAX');
    expect(`${syntax.line}:${syntax.column}`).toBe(at);
    expect(syntax.message.startsWith(`${at}: `)).toBe(true);
    expect(syntax.message).toMatch(message);
    expect(syntax.expression).toBe(source);

    // The caret sits under the reported column of the reported line.
    const [, sourceLine, caretLine] = formatMatchError(syntax).split('\n');
    const prefix = `  ${syntax.line} | `;
    expect(sourceLine).toBe(`${prefix}${source.split('\n')[syntax.line - 1]}`);
    expect(caretLine!.indexOf('^')).toBe(prefix.length + syntax.column - 1);
  });
});

describe('formatMatchError', () => {
  it('shows the message, the line and a caret under the column', () => {
    try {
      parseMatch('responseHeaders[":status"] == prefx("5")');
      expect.unreachable();
    } catch (e) {
      expect(formatMatchError(e as MatchSyntaxError)).toBe(
        [
          '1:31: unknown matcher "prefx"; expected a string or one of prefix("s"), suffix("s"), contains("s"), regex("re"), present(), range(lo, hi) (did you mean "prefix"?)',
          '  1 | responseHeaders[":status"] == prefx("5")',
          '    |                               ^',
        ].join('\n'),
      );
    }
  });

  it('keeps tabs before the caret so it lines up in a terminal', () => {
    try {
      parseMatch('\ttrue &&');
      expect.unreachable();
    } catch (e) {
      expect(formatMatchError(e as MatchSyntaxError).split('\n')[2]).toBe('    | \t       ^');
    }
  });

  it('carries line and column in details for API clients', () => {
    try {
      parseMatch('true\n&& nope == "x"');
      expect.unreachable();
    } catch (e) {
      expect((e as MatchSyntaxError).toJSON()).toMatchObject({ code: 'MATCH_SYNTAX', details: { line: 2, column: 4 } });
    }
  });
});
