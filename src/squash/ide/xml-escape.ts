// Escaping for XML 1.0 attribute values (JetBrains run configurations keep every setting in attributes).
import { LoopError } from '../../core/errors.js';

/**
 * `value` as the inside of a double-quoted attribute. Newlines and tabs become character references so
 * attribute-value normalisation does not turn them into spaces; characters XML 1.0 cannot carry at all
 * (other C0 controls, lone surrogates) are refused rather than silently dropped.
 */
export function xmlAttribute(value: string, field: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (ch === '\n') out += '&#10;';
    else if (ch === '\r') out += '&#13;';
    else if (ch === '\t') out += '&#9;';
    else if (code < 0x20 || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) {
      throw new LoopError('BAD_REQUEST', `${field} contains the character U+${code.toString(16).toUpperCase().padStart(4, '0')}, which XML cannot hold`);
    } else out += ch;
  }
  return out;
}
