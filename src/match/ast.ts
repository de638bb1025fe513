// The syntax tree of a match expression, as `parseMatch` returns it. Plain data: JSON-serialisable and
// compared structurally in tests.

import type { FieldName } from './match-definitions.js';

export type StringMatcherNode =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string }
  | { kind: 'suffix'; value: string }
  | { kind: 'contains'; value: string }
  /** `pattern` as written (RE2 syntax); the evaluator anchors it for a full match. */
  | { kind: 'regex'; pattern: string };

export type MatcherNode = StringMatcherNode | { kind: 'present' } | { kind: 'range'; lo: number; hi: number };

export type HeaderFieldName = 'requestHeaders' | 'responseHeaders' | 'requestTrailers' | 'responseTrailers';
export type BodyFieldName = 'requestBody' | 'responseBody';

export interface HeaderComparison {
  kind: 'header';
  field: HeaderFieldName;
  /** As written; compared case-insensitively and lowercased for Envoy. */
  header: string;
  op: '==' | '!=';
  matcher: MatcherNode;
}

export interface BodyComparison {
  kind: 'body';
  field: BodyFieldName;
  op: '==' | '!=';
  matcher: { kind: 'contains'; value: string };
}

export type MatchExpr =
  | { kind: 'or'; operands: MatchExpr[] }
  | { kind: 'and'; operands: MatchExpr[] }
  | { kind: 'not'; operand: MatchExpr }
  | { kind: 'true' }
  | HeaderComparison
  | BodyComparison;

/** Every field the expression reads, in first-use order. */
export function fieldsOf(expr: MatchExpr): FieldName[] {
  const out = new Set<FieldName>();
  const walk = (e: MatchExpr): void => {
    switch (e.kind) {
      case 'or':
      case 'and':
        e.operands.forEach(walk);
        return;
      case 'not':
        walk(e.operand);
        return;
      case 'true':
        return;
      default:
        out.add(e.field);
    }
  };
  walk(expr);
  return [...out];
}

/** True when the expression reads a response field: it can only be decided once the response arrives. */
export function needsResponse(expr: MatchExpr): boolean {
  return fieldsOf(expr).some((f) => f.startsWith('response'));
}

/**
 * True when the expression reads request headers only, so a gateway can decide it as soon as the
 * request headers arrive (before the body, the trailers and the response).
 */
export function decidableAtRequestHeaders(expr: MatchExpr): boolean {
  return fieldsOf(expr).every((f) => f === 'requestHeaders');
}
