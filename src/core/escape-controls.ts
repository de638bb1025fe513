// Text from captured traffic (paths, header values, bodies) is attacker-controlled: shown to a person as is,
// `\x1b[…` or `\x1b]0;…\x07` would recolour, retitle or rewrite their terminal, and a newline would start a
// new line wherever the text is embedded. Here C0 controls, DEL and C1 controls become visible escapes
// (`\x1b`, `\x7f`, `\u009b`); printable text, non-ASCII included, stays as it is.

// C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F).
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex
const CONTROLS_BUT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex

const hex2 = (c: number): string => c.toString(16).padStart(2, '0');
const visible = (ch: string): string => {
  const c = ch.charCodeAt(0);
  return c < 0x80 ? `\\x${hex2(c)}` : `\\u00${hex2(c)}`;
};

/**
 * `text` with its control characters escaped. `line` (table cells, header values, titles): all of them,
 * so the text stays on one line; `block` (bodies, diff lines): newlines and tabs kept; `lines` (messages,
 * commands): newlines kept.
 *
 * @example escapeControls('a\n\x1b[2J') → 'a\\x0a\\x1b[2J'
 */
export function escapeControls(text: string, mode: 'line' | 'block' | 'lines' = 'line'): string {
  const re = mode === 'line' ? CONTROLS : mode === 'block' ? CONTROLS_BUT_NEWLINE_AND_TAB : CONTROLS_BUT_NEWLINE;
  return text.replace(re, visible);
}
