// Tokens of the match language. Whitespace (including newlines: expressions may span lines in YAML)
// separates tokens and is otherwise ignored. Strings are double-quoted with the escapes \" \\ \n \t \uXXXX.

import { MatchSyntaxError, positionAt } from './match-error.js';

export type Punctuation = '[' | ']' | '(' | ')' | ',' | '==' | '!=' | '!' | '&&' | '||';

export type Token =
  | { kind: 'ident'; text: string; start: number; end: number }
  | { kind: 'string'; text: string; value: string; start: number; end: number }
  | { kind: 'integer'; text: string; value: number; start: number; end: number }
  | { kind: 'punct'; text: Punctuation; start: number; end: number }
  | { kind: 'eof'; text: ''; start: number; end: number };

const TWO_CHAR: ReadonlySet<string> = new Set(['==', '!=', '&&', '||']);
const ONE_CHAR: ReadonlySet<string> = new Set(['[', ']', '(', ')', ',', '!']);
const LONE_HINTS: Readonly<Record<string, string>> = {
  '=': 'did you mean "=="?',
  '&': 'did you mean "&&"?',
  '|': 'did you mean "||"?',
  "'": 'strings are written in double quotes',
};

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** How a token or character is named in an error message. */
export function describeToken(tok: Token): string {
  if (tok.kind === 'eof') return 'end of input';
  const text = tok.text.length > 40 ? `${tok.text.slice(0, 37)}...` : tok.text;
  if (tok.kind === 'string') return `string ${text}`;
  return tok.kind === 'integer' ? `integer ${text}` : `"${text}"`;
}

function describeChar(code: number): string {
  const c = String.fromCodePoint(code);
  return /^[\x21-\x7e]$/.test(c) ? `"${c}"` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Splits `source` into tokens, ending with one `eof` token; throws MatchSyntaxError on a bad character or string. */
export function tokenize(source: string): Token[] {
  const fail = (reason: string, offset: number): never => {
    throw new MatchSyntaxError(reason, source, positionAt(source, offset));
  };
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    const two = source.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      tokens.push({ kind: 'punct', text: two as Punctuation, start, end: i + 2 });
      i += 2;
    } else if (ONE_CHAR.has(c)) {
      tokens.push({ kind: 'punct', text: c as Punctuation, start, end: i + 1 });
      i++;
    } else if (c === '"') {
      const { value, end } = readString(source, i, fail);
      tokens.push({ kind: 'string', text: source.slice(start, end), value, start, end });
      i = end;
    } else if (isDigit(c) || (c === '-' && isDigit(source[i + 1]))) {
      i++;
      while (isDigit(source[i])) i++;
      const text = source.slice(start, i);
      if (source[i] === '.' && isDigit(source[i + 1])) {
        let j = i + 1;
        while (isDigit(source[j])) j++;
        fail(`expected an integer, found ${source.slice(start, j)}`, start);
      }
      const value = Number(text);
      if (!Number.isSafeInteger(value)) {
        fail(`integer ${text} is out of range; expected at most ${Number.MAX_SAFE_INTEGER} in magnitude`, start);
      }
      tokens.push({ kind: 'integer', text, value, start, end: i });
    } else if (isIdentStart(c)) {
      i++;
      while (i < source.length && (isIdentStart(source[i]!) || isDigit(source[i]))) i++;
      tokens.push({ kind: 'ident', text: source.slice(start, i), start, end: i });
    } else {
      const hint = LONE_HINTS[c];
      fail(`unexpected character ${describeChar(source.codePointAt(start)!)}${hint ? `; ${hint}` : ''}`, start);
    }
  }
  tokens.push({ kind: 'eof', text: '', start: source.length, end: source.length });
  return tokens;
}

function readString(
  source: string,
  open: number,
  fail: (reason: string, offset: number) => never,
): { value: string; end: number } {
  let out = '';
  let i = open + 1;
  while (true) {
    if (i >= source.length) fail('unterminated string; expected a closing "', open);
    const c = source[i]!;
    if (c === '"') return { value: out, end: i + 1 };
    if (c === '\n' || c === '\r') fail('unterminated string; strings cannot span lines (use \\n for a newline)', open);
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = source[i + 1];
    if (e === '"' || e === '\\') out += e;
    else if (e === 'n') out += '\n';
    else if (e === 't') out += '\t';
    else if (e === 'u') {
      const hex = source.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape; expected four hex digits as in \\u00e9', i);
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else if (e === undefined) {
      fail('unterminated string; expected a closing "', open);
    } else {
      fail(
        `unknown escape "\\${e}" in string; expected one of \\" \\\\ \\n \\t \\uXXXX (a regex escape needs a doubled backslash: "\\\\${e}")`,
        i,
      );
    }
    i += 2;
  }
}
