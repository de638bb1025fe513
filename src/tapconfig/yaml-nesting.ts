// A bound on how deeply a YAML text nests, checked before the YAML library composes it. The library
// builds documents recursively: a few hundred levels of `[[[…` or of indented mappings overflow the
// stack (reported as a "YAML syntax error: Maximum call stack size exceeded" after a second or more of
// CPU for a 200 KB body), and in a fresh process the overflow can land in V8's regexp compiler, which
// aborts the whole process instead of throwing. The scan runs the library's own lexer (iterative, and
// exact about quoting, comments and block scalars) and stops at the first level past the limit.
import { CST, Lexer } from 'yaml';

/** Nesting a TapConfig may use; real ones need about 6. */
export const MAX_YAML_NESTING = 64;

/**
 * The offset (UTF-16 code units) at which `text` first nests more than `limit` collections, or -1.
 * It over-estimates block nesting (two levels per indentation step, since a sequence may sit at its
 * parent mapping's indentation), never under-estimates it.
 */
export function yamlNestingOverflow(text: string, limit = MAX_YAML_NESTING): number {
  const indents: number[] = [];
  let flow = 0;
  let compact = 0; // "- " and "? " indicators opening nested collections on the current line
  let atLineStart = true;
  let indent = 0;
  let offset = 0;
  let scalarSource = false;
  const content = () => {
    if (!atLineStart) return;
    atLineStart = false;
    if (flow > 0) return;
    while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
    indents.push(indent);
    compact = 0;
  };
  for (const token of new Lexer().lex(text)) {
    if (scalarSource) {
      // The source of a plain or block scalar; a block scalar's ends with its last newline.
      scalarSource = false;
      offset += token.length;
      if (token.endsWith('\n')) {
        atLineStart = true;
        indent = 0;
      }
      continue;
    }
    switch (CST.tokenType(token)) {
      case 'doc-mode':
      case 'flow-error-end':
        continue; // control tokens, not source text
      case 'scalar': // a marker; the scalar's source is the next token
        content();
        scalarSource = true;
        if (2 * indents.length + compact + flow > limit) return offset;
        continue;
      case 'newline':
        atLineStart = true;
        indent = 0;
        break;
      case 'space':
        if (atLineStart) indent = token.length;
        break;
      case 'comment':
        break;
      case 'doc-start':
      case 'doc-end':
        indents.length = 0;
        flow = 0;
        compact = 0;
        break;
      case 'flow-seq-start':
      case 'flow-map-start':
        content();
        flow++;
        break;
      case 'flow-seq-end':
      case 'flow-map-end':
        flow = Math.max(0, flow - 1);
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        content();
        if (flow === 0) compact++;
        break;
      default:
        content();
    }
    if (2 * indents.length + compact + flow > limit) return offset;
    offset += token.length;
  }
  return -1;
}
