// How a captured body is shown: JSON pretty-printed, other text as it is, binary as base64 with a note,
// and always whether the capture kept only a prefix of it.
import type { BodyJson, HeaderList } from './api-types.js';

export interface BodyView {
  kind: 'json' | 'text' | 'binary' | 'empty';
  /** What the heading says the body is: its kind, and for binary how `text` shows it. */
  label: string;
  text: string;
  /** Bytes captured (a prefix when truncated). */
  size: number;
  truncated: boolean;
}

/**
 * Captured text as it can be trusted on screen: characters that reorder or hide text (bidi overrides and
 * isolates, as in "Trojan Source"; zero-width spaces; C0 and C1 controls other than line breaks and tab)
 * are shown as ⟨U+202E⟩ instead of acting on the text around them, so a capture cannot display what it
 * does not hold.
 */
export function visible(text: string): string {
  return text.replace(HIDES_TEXT, (ch) => `⟨U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

// C0 but tab, LF and CR; DEL and C1; the Arabic letter mark, zero-width space, LRM/RLM, the bidi embeddings
// and overrides (U+202A–U+202E), the isolates (U+2066–U+2069) and the BOM.
const HIDES_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g; // eslint-disable-line no-control-regex

export function headerOf(headers: HeaderList, name: string): string | undefined {
  const want = name.toLowerCase();
  const values = headers.filter(([k]) => k.toLowerCase() === want).map(([, v]) => v);
  return values.length > 0 ? values.join(',') : undefined;
}

export function formatBody(body: BodyJson | undefined, contentType: string | undefined): BodyView {
  if (!body || body.size === 0) return { kind: 'empty', label: 'empty', text: '', size: 0, truncated: body?.truncated ?? false };
  const base = { size: body.size, truncated: body.truncated };
  if (body.encoding === 'base64') return { ...base, kind: 'binary', label: 'binary, shown as base64', text: body.data };
  const looksJson = (contentType ?? '').toLowerCase().includes('json') || /^\s*[{[]/.test(body.data);
  if (looksJson) {
    try {
      return { ...base, kind: 'json', label: 'json', text: visible(JSON.stringify(JSON.parse(body.data), null, 2)) };
    } catch {
      // not JSON after all (or cut short by truncation): show it as text
    }
  }
  return { ...base, kind: 'text', label: 'text', text: visible(body.data) };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/**
 * Header overrides for a replay, one `Name: value` per line (blank lines ignored), as the replay API's
 * `headers` object; problems name the line.
 */
export function parseHeaderOverrides(text: string): { headers: Record<string, string>; errors: string[] } {
  const headers: Record<string, string> = {};
  const errors: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      errors.push(`line ${i + 1}: expected "Name: value", got ${JSON.stringify(line.trim())}`);
      return;
    }
    headers[name] = line.slice(colon + 1).trim();
  });
  return { headers, errors };
}

/** Methods the server replays without being asked twice (src/loop/replay/replay-policy.ts): they change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Whether replaying a request with this method may change state at the destination (the API then wants allowUnsafe). */
export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}
