// Text from captured traffic (paths, header values, bodies) is attacker-controlled: written to a terminal
// as is, `\x1b[…` or `\x1b]0;…\x07` would recolour, retitle or rewrite the operator's screen. Everything
// the CLIs print for humans is escaped: plain text with escapeControls (core/escape-controls.ts); JSON and
// YAML here, where DEL and C1 controls become escapes and the documents stay valid with the same values.

// What JSON.stringify and the yaml package leave raw inside strings: DEL and C1.
const DEL_AND_C1 = /[\u007f-\u009f]/g;

const hex2 = (c: number): string => c.toString(16).padStart(2, '0');

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
