// How the web UI shows bodies and reads replay header overrides (web/src/logic/body-format.ts).
import { describe, expect, it } from 'vitest';
import { formatBody, formatDuration, parseHeaderOverrides, visible } from '../../web/src/logic/body-format.js';
import { hrefFor, parseRoute } from '../../web/src/logic/routes.js';

describe('formatBody', () => {
  it('pretty-prints JSON and keeps the truncated flag', () => {
    expect(formatBody({ encoding: 'utf8', data: '{"a":[1,2]}', truncated: false, size: 11 }, 'application/json')).toEqual({ kind: 'json', label: 'json', text: '{\n  "a": [\n    1,\n    2\n  ]\n}', size: 11, truncated: false });
    // A truncated JSON body no longer parses: shown as the text it is, still flagged.
    expect(formatBody({ encoding: 'utf8', data: '{"a":[1,', truncated: true, size: 8 }, 'application/json')).toMatchObject({ kind: 'text', text: '{"a":[1,', truncated: true });
  });

  it('shows other text as is, binary as base64, and no body as empty', () => {
    expect(formatBody({ encoding: 'utf8', data: 'oops', truncated: false, size: 4 }, 'text/plain').kind).toBe('text');
    // The heading says how a binary body is shown: "iVBORw…" alone read as the body's own text.
    expect(formatBody({ encoding: 'base64', data: 'AAE=', truncated: false, size: 2 }, undefined)).toMatchObject({ kind: 'binary', label: 'binary, shown as base64', text: 'AAE=' });
    expect(formatBody(undefined, undefined).kind).toBe('empty');
  });
});

// Found by a hostile user test: a header value '\u202eevil\u202c' showed as "live" in the UI.
describe('visible', () => {
  it.each([
    ['\u202eevil\u202c', '⟨U+202E⟩evil⟨U+202C⟩'],
    ['a\u2066b\u2069\u200f\u061c', 'a⟨U+2066⟩b⟨U+2069⟩⟨U+200F⟩⟨U+061C⟩'],
    ['ad\u200bmin\ufeff', 'ad⟨U+200B⟩min⟨U+FEFF⟩'],
    ['\x1b[31mred\x07 \x7f\u009b', '⟨U+001B⟩[31mred⟨U+0007⟩ ⟨U+007F⟩⟨U+009B⟩'],
    ['lines\r\nand\ttabs, café 😀 ש', 'lines\r\nand\ttabs, café 😀 ש'],
  ])('%j → %s', (text, shown) => {
    expect(visible(text)).toBe(shown);
  });

  it('applies to text and JSON bodies, not to base64', () => {
    expect(formatBody({ encoding: 'utf8', data: 'x\u202ey', truncated: false, size: 5 }, 'text/plain').text).toBe('x⟨U+202E⟩y');
    expect(formatBody({ encoding: 'utf8', data: '{"a":"\u202eevil"}', truncated: false, size: 14 }, 'application/json').text).toBe('{\n  "a": "⟨U+202E⟩evil"\n}');
  });
});

describe('parseHeaderOverrides', () => {
  it('reads one "Name: value" per line and names bad lines', () => {
    expect(parseHeaderOverrides('x-debug: 1\n\nx-trace:  a:b \n')).toEqual({ headers: { 'x-debug': '1', 'x-trace': 'a:b' }, errors: [] });
    expect(parseHeaderOverrides('no colon here\nbad name: 1').errors).toEqual(['line 1: expected "Name: value", got "no colon here"', 'line 2: expected "Name: value", got "bad name: 1"']);
  });
});

describe('routes and formats', () => {
  it.each([
    ['/ui/', '', { view: 'captures', search: '' }],
    ['/ui/', '?status=5xx', { view: 'captures', search: 'status=5xx' }],
    ['/ui/captures/12', '', { view: 'capture', id: 12 }],
    ['/ui/tapconfigs', '', { view: 'tapconfigs' }],
    ['/ui/captures/0', '', { view: 'not-found', path: '/ui/captures/0' }],
  ])('%s%s', (pathname, search, route) => {
    expect(parseRoute(pathname, search)).toEqual(route);
    const back = new URL(hrefFor(parseRoute(pathname, search)), 'http://loop.local');
    expect(parseRoute(back.pathname, back.search)).toEqual(route);
  });

  it('formats durations', () => {
    expect([formatDuration(null), formatDuration(0.4), formatDuration(12.4), formatDuration(1500)]).toEqual(['—', '<1 ms', '12 ms', '1.50 s']);
  });
});
