// Recursive-descent parser of the match language into the tree of ast.ts. Field and matcher names,
// their arguments and where they apply come from match-definitions.ts. Every error names what was found
// and what was expected, at a 1-based line:column within the expression.

import type { BodyFieldName, HeaderFieldName, MatchExpr, MatcherNode } from './ast.js';
import { didYouMean } from '../core/did-you-mean.js';
import { describeToken, tokenize, type Token } from './lexer.js';
import { MatchSyntaxError, positionAt } from './match-error.js';
import {
  FIELDS,
  MATCHERS,
  MAX_EXPRESSION_LENGTH,
  MAX_NESTING_DEPTH,
  fieldDefinition,
  isValidHeaderName,
  matcherByCall,
  type FieldDefinition,
  type MatcherDefinition,
} from './match-definitions.js';
import { compileRe2, isRe2Problem } from './regex-check.js';

const FIELD_NAMES = FIELDS.map((f) => f.name);
const MATCHER_CALLS = MATCHERS.flatMap((m) => (m.call === null ? [] : [m.call]));
const MATCHER_LIST = MATCHERS.filter((m) => m.call !== null)
  .map((m) => m.syntax)
  .join(', ');

/**
 * Parses a match expression into its syntax tree.
 *
 * @example parseMatch('responseHeaders[":status"] == prefix("5")')
 * // { kind: 'header', field: 'responseHeaders', header: ':status', op: '==', matcher: { kind: 'prefix', value: '5' } }
 * @throws MatchSyntaxError (code MATCH_SYNTAX) with the line and column of the problem.
 */
export function parseMatch(source: string): MatchExpr {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new MatchSyntaxError(
      `expression is ${source.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`,
      source,
      positionAt(source, MAX_EXPRESSION_LENGTH),
    );
  }
  return new Parser(source, tokenize(source)).parseExpression();
}

class Parser {
  private pos = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parseExpression(): MatchExpr {
    if (this.peek().kind === 'eof') {
      this.fail(this.peek(), 'empty expression; expected a comparison such as responseHeaders[":status"] == prefix("5")');
    }
    const expr = this.parseOr(0);
    const tok = this.peek();
    if (tok.kind !== 'eof') {
      if (tok.text === ')') this.fail(tok, 'unmatched ")"; expected "&&", "||" or end of input');
      this.fail(tok, `unexpected ${describeToken(tok)} after a complete expression; expected "&&", "||" or end of input`);
    }
    return expr;
  }

  private parseOr(depth: number): MatchExpr {
    const operands = [this.parseAnd(depth)];
    while (this.peekPunct('||')) {
      this.next();
      operands.push(this.parseAnd(depth));
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private parseAnd(depth: number): MatchExpr {
    const operands = [this.parseUnary(depth)];
    while (this.peekPunct('&&')) {
      this.next();
      operands.push(this.parseUnary(depth));
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private parseUnary(depth: number): MatchExpr {
    const tok = this.peek();
    if (tok.kind === 'punct' && (tok.text === '!' || tok.text === '(')) {
      if (depth + 1 > MAX_NESTING_DEPTH) {
        this.fail(tok, `expression nests deeper than ${MAX_NESTING_DEPTH} levels of "(" and "!"; simplify it`);
      }
      this.next();
      if (tok.text === '!') return { kind: 'not', operand: this.parseUnary(depth + 1) };
      const inner = this.parseOr(depth + 1);
      const close = this.peek();
      if (!this.peekPunct(')')) {
        const at = positionAt(this.source, tok.start);
        this.fail(close, `expected ")" to close "(" opened at ${at.line}:${at.column}, found ${describeToken(close)}`);
      }
      this.next();
      return inner;
    }
    if (tok.kind === 'ident' && tok.text === 'true') {
      this.next();
      return { kind: 'true' };
    }
    if (tok.kind === 'ident') return this.parseComparison();
    return this.fail(tok, `expected a comparison, "!", "(" or "true", found ${describeToken(tok)}`);
  }

  private parseComparison(): MatchExpr {
    const fieldTok = this.next();
    const field = fieldDefinition(fieldTok.text);
    if (!field) {
      this.fail(
        fieldTok,
        `unknown field "${fieldTok.text}"; expected one of ${FIELD_NAMES.join(', ')}${didYouMean(fieldTok.text, FIELD_NAMES)}`,
      );
    }
    let header = '';
    let fieldText: string = field.name;
    if (field.kind === 'headers') {
      this.expectPunct('[', () => `expected "[" after ${field.name} (as in ${field.syntax})`);
      const nameTok = this.next();
      if (nameTok.kind !== 'string') {
        this.fail(nameTok, `expected a header name string in ${field.name}[...], found ${describeToken(nameTok)}`);
      }
      header = nameTok.value;
      if (header === '') this.fail(nameTok, `empty header name in ${field.name}[""]; expected a name such as ":status"`);
      if (!isValidHeaderName(header)) {
        this.fail(
          nameTok,
          `invalid header name ${nameTok.text}; expected letters, digits and !#$%&'*+-.^_\`|~, or a pseudo-header such as ":status"`,
        );
      }
      this.expectPunct(']', () => `expected "]" to close ${field.name}[`);
      fieldText = `${field.name}[${nameTok.text}]`;
    } else if (this.peekPunct('[')) {
      this.fail(this.peek(), `${field.name} takes no [...] index; write ${field.name} == contains("...")`);
    }
    const opTok = this.next();
    if (opTok.kind !== 'punct' || (opTok.text !== '==' && opTok.text !== '!=')) {
      this.fail(opTok, `expected "==" or "!=" after ${fieldText}, found ${describeToken(opTok)}`);
    }
    const op = opTok.text;
    const matcher = this.parseMatcher(field);
    if (field.kind === 'body') {
      // parseMatcher already refused everything but contains for bodies.
      return { kind: 'body', field: field.name as BodyFieldName, op, matcher: matcher as { kind: 'contains'; value: string } };
    }
    return { kind: 'header', field: field.name as HeaderFieldName, header, op, matcher };
  }

  private parseMatcher(field: FieldDefinition): MatcherNode {
    const tok = this.peek();
    let def: MatcherDefinition | undefined;
    if (tok.kind === 'string') {
      def = MATCHERS.find((m) => m.call === null);
    } else if (tok.kind === 'ident') {
      def = matcherByCall(tok.text);
      if (!def) {
        this.fail(
          tok,
          `unknown matcher "${tok.text}"; expected a string or one of ${MATCHER_LIST}${didYouMean(tok.text, MATCHER_CALLS)}`,
        );
      }
    } else if (tok.kind === 'integer') {
      this.fail(tok, `expected a matcher, found ${tok.text}; header values are strings: write "${tok.text}" or range(lo, hi)`);
    } else {
      this.fail(tok, `expected a matcher (a string or one of ${MATCHER_LIST}), found ${describeToken(tok)}`);
    }
    if (!def) throw new Error('unreachable: matcher definition');
    if (!def.appliesTo.includes(field.kind)) {
      const allowed = MATCHERS.filter((m) => m.appliesTo.includes(field.kind)).map((m) => m.syntax);
      this.fail(
        tok,
        `${field.name} only supports ${allowed.join(', ')}, found ${def.call === null ? 'an exact string' : `${def.call}(...)`}; Envoy's generic body match can only search for a substring`,
      );
    }
    if (def.call === null) {
      this.next();
      return { kind: 'exact', value: (tok as Extract<Token, { kind: 'string' }>).value };
    }
    return this.parseCall(def, def.call);
  }

  private parseCall(def: MatcherDefinition, call: string): MatcherNode {
    this.next();
    this.expectPunct('(', () => `expected "(" after ${call} (as in ${def.syntax})`);
    const args: Token[] = [];
    def.args.forEach((kind, index) => {
      if (index > 0) this.expectPunct(',', () => `expected "," after argument ${index} of ${def.syntax}`);
      const arg = this.next();
      if (arg.kind !== kind) {
        const what = kind === 'string' ? 'a string' : 'an integer';
        this.fail(arg, `${call}(...) expects ${what} as argument ${index + 1}, found ${describeToken(arg)}`);
      }
      args.push(arg);
    });
    this.expectPunct(')', () => `expected ")" to close ${call}(`);
    const [first, second] = args;
    if (first?.kind === 'string') {
      if (def.nonEmpty && first.value === '') {
        this.fail(first, `${call}("") is empty; Envoy rejects it, use present() to test that a header exists`);
      }
      if (def.name === 'regex') {
        const re = compileRe2(first.value);
        if (isRe2Problem(re)) this.fail(first, `regex(${first.text}): ${re.reason}`);
        return { kind: 'regex', pattern: first.value };
      }
      return { kind: def.name as 'prefix' | 'suffix' | 'contains', value: first.value };
    }
    if (first?.kind === 'integer' && second?.kind === 'integer') {
      if (first.value >= second.value) {
        this.fail(first, `range(${first.value}, ${second.value}) matches nothing; expected lo < hi (the range is [lo, hi))`);
      }
      return { kind: 'range', lo: first.value, hi: second.value };
    }
    return { kind: 'present' };
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const tok = this.tokens[this.pos]!;
    if (tok.kind !== 'eof') this.pos++;
    return tok;
  }

  private peekPunct(text: string): boolean {
    const tok = this.peek();
    return tok.kind === 'punct' && tok.text === text;
  }

  private expectPunct(text: string, expected: () => string): void {
    const tok = this.peek();
    if (!this.peekPunct(text)) this.fail(tok, `${expected()}, found ${describeToken(tok)}`);
    this.next();
  }

  private fail(tok: Token, reason: string): never {
    throw new MatchSyntaxError(reason, this.source, positionAt(this.source, tok.start));
  }
}
