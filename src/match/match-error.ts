// The syntax error of the match language: a position (1-based line and column within the expression)
// and a rendering with the offending line and a caret under the column.

import { LoopError } from '../core/errors.js';

export interface SourcePosition {
  /** 0-based offset in UTF-16 code units. */
  offset: number;
  line: number;
  column: number;
}

export class MatchSyntaxError extends LoopError {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly expression: string;
  /** The message without the `line:column: ` prefix. */
  readonly reason: string;

  constructor(reason: string, expression: string, at: SourcePosition, options: { cause?: unknown } = {}) {
    super('MATCH_SYNTAX', `${at.line}:${at.column}: ${reason}`, {
      ...options,
      hint: 'see "loopctl help match" for the match language',
      details: { line: at.line, column: at.column },
    });
    this.name = 'MatchSyntaxError';
    this.line = at.line;
    this.column = at.column;
    this.offset = at.offset;
    this.expression = expression;
    this.reason = reason;
  }
}

/** The line and column (1-based) of a 0-based offset into `source`. */
export function positionAt(source: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * The error message, then the offending line of the expression and a caret under the column:
 *
 * ```text
 * 1:39: expected ")" to close prefix(, found end of input
 *   1 | responseHeaders[":status"] == prefix("5"
 *     |                                       ^
 * ```
 */
export function formatMatchError(err: MatchSyntaxError): string {
  const lines = err.expression.split('\n');
  const text = (lines[err.line - 1] ?? '').replace(/\r$/, '');
  const gutter = String(err.line);
  // Keep tabs so the caret lines up however the terminal expands them.
  const before = text.slice(0, err.column - 1);
  const pad = before.replace(/[^\t]/g, ' ') + ' '.repeat(Math.max(0, err.column - 1 - before.length));
  return [
    err.message,
    `  ${gutter} | ${text}`,
    `  ${' '.repeat(gutter.length)} | ${pad}^`,
  ].join('\n');
}
