// One call from source text to everything a tap needs: the tree, a fast evaluator, which fields it reads
// and the equivalent Envoy predicate.

import type { CaptureInput } from '../capture/capture.js';
import { decidableAtRequestHeaders, fieldsOf, needsResponse, type MatchExpr } from './ast.js';
import { toEnvoyMatchPredicate, type EnvoyMatchPredicate } from './envoy-compile.js';
import { createEvaluator, createHeadsEvaluator, createPartialEvaluator, type HeadsPredicate } from './evaluate.js';
import type { FieldName } from './match-definitions.js';
import { parseMatch } from './parser.js';

export interface CompiledMatch {
  source: string;
  expr: MatchExpr;
  /** Fields the expression reads, in first-use order. */
  fields: readonly FieldName[];
  /** Reads a response field, so it is decided at response time at the earliest. */
  needsResponse: boolean;
  /** Reads request headers only, so a gateway decides it when the request headers arrive. */
  decidableAtRequestHeaders: boolean;
  matches(input: CaptureInput): boolean;
  /** Three-valued: undefined while fields not in `known` could still change the answer. */
  matchesKnown(input: CaptureInput, known: readonly FieldName[]): boolean | undefined;
  /** `matchesKnown` with the heads known, read where a tap point has them (see `HeadsPredicate`). */
  matchesHeads: HeadsPredicate;
  toEnvoy(): EnvoyMatchPredicate;
}

/**
 * Parses and compiles an expression once, for evaluating it on many exchanges.
 *
 * @example
 * const m = compileMatch('responseHeaders[":status"] == prefix("5")');
 * if (m.matches(capture)) queue.push(capture);
 * @throws MatchSyntaxError (code MATCH_SYNTAX).
 */
export function compileMatch(source: string): CompiledMatch {
  const expr = parseMatch(source);
  const matches = createEvaluator(expr);
  const matchesKnown = createPartialEvaluator(expr);
  return {
    source,
    expr,
    fields: fieldsOf(expr),
    needsResponse: needsResponse(expr),
    decidableAtRequestHeaders: decidableAtRequestHeaders(expr),
    matches,
    matchesKnown,
    matchesHeads: createHeadsEvaluator(expr),
    toEnvoy: () => toEnvoyMatchPredicate(expr),
  };
}
