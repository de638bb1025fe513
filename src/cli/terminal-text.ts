// Text from captured traffic (paths, header values, bodies) is attacker-controlled: written to a terminal
// as is, `\x1b[…` or `\x1b]0;…\x07` would recolour, retitle or rewrite the operator's screen. Everything
// the CLIs print for humans goes through here: C0 controls, DEL and C1 controls become visible escapes
// (`\x1b`, `\x7f`, `\u009b`). JSON and YAML output stay valid documents with the same values.

// C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F).
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex
const CONTROLS_BUT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex
// What JSON.stringify and the yaml package leave raw inside strings: DEL and C1.
const DEL_AND_C1 = /[\u007f-\u009f]/g;

const hex2 = (c: number): string => c.toString(16).padStart(2, '0');
const visible = (ch: string): string => {
  const c = ch.charCodeAt(0);
  return c < 0x80 ? `\\x${hex2(c)}` : `\\u00${hex2(c)}`;
};

/**
 * `text` with its control characters escaped. `line` (table cells, header values, titles): all of them,
 * so the text stays on one line; `block` (bodies, diff lines): newlines and tabs kept; `lines` (messages,
 * commands): newlines kept.
 */
export function escapeControls(text: string, mode: 'line' | 'block' | 'lines' = 'line'): string {
  const re = mode === 'line' ? CONTROLS : mode === 'block' ? CONTROLS_BUT_NEWLINE_AND_TAB : CONTROLS_BUT_NEWLINE;
  return text.replace(re, visible);
}

/** JSON.stringify, with the DEL and C1 characters it leaves raw in strings as \u escapes (same value). */
export function jsonForTerminal(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(DEL_AND_C1, (ch) => `\\u00${hex2(ch.charCodeAt(0))}`);
}

/**
 * YAML from the yaml package with DEL and C1 characters escaped. The package double-quotes any string
 * holding one (they are not printable in YAML) but writes the character raw; `\xNN` is the same value
 * in a double-quoted scalar.
 */
export function yamlForTerminal(yaml: string): string {
  return yaml.replace(DEL_AND_C1, (ch) => `\\x${hex2(ch.charCodeAt(0))}`);
}
