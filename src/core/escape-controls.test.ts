import { describe, expect, it } from 'vitest';
import { escapeControls } from './escape-controls.js';

describe('escapeControls', () => {
  it('escapes C0, DEL and C1 as \\xNN and \\u00NN; printable text (non-ASCII included) stays', () => {
    expect(escapeControls('a\x1b[31mb\x1b]0;t\x07\x7f\u009b\u0085é→')).toBe('a\\x1b[31mb\\x1b]0;t\\x07\\x7f\\u009b\\u0085é→');
    expect(escapeControls('one\ntwo\tthree\r')).toBe('one\\x0atwo\\x09three\\x0d');
    expect(escapeControls('one\ntwo\tthree\r', 'block')).toBe('one\ntwo\tthree\\x0d');
    expect(escapeControls('one\ntwo\tthree\r', 'lines')).toBe('one\ntwo\\x09three\\x0d');
  });
});
