// Human-readable views of captures, replays and diffs for loopctl. Works on the API's JSON form.
// Captured text is escaped before it is styled (see core/escape-controls.ts): only our own styling reaches the
// terminal as control sequences.
import type { BodyJson, CaptureJson, MessageJson } from '../../capture/capture-json.js';
import { escapeControls } from '../../core/escape-controls.js';
import type { BodyDiff, ResponseDiff } from '../../loop/replay/response-diff.js';
import type { ReplayRecord } from '../../store/capture-store.js';

/** A stored capture as the API returns it (it always has an id). */
export type StoredCaptureJson = CaptureJson & { id: number };

/** A replay as the API returns it: the stored record with its response in the JSON form. */
export type ReplayJson = Omit<ReplayRecord, 'response' | 'diff'> & {
  response?: MessageJson;
  diff?: ResponseDiff & { warnings?: string[] };
};

export interface Style {
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  dim(s: string): string;
}

export const plainStyle: Style = { bold: (s) => s, red: (s) => s, green: (s) => s, dim: (s) => s };
export const colorStyle: Style = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  green: (s) => `\x1b[32m${s}\x1b[39m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
};

const header = (m: MessageJson, name: string): string | undefined => m.headers.find(([k]) => k.toLowerCase() === name)?.[1];

export function renderCapture(c: StoredCaptureJson, style: Style): string {
  const method = header(c.request, ':method') ?? '?';
  const path = header(c.request, ':path') ?? '?';
  const status = header(c.response, ':status') ?? 'no response';
  const facts = [c.capturedAt, c.tapConfig && `tap ${c.tapConfig}`, c.source && `source ${c.source}`, c.destination && `destination ${c.destination}`, c.durationMs !== null && `${c.durationMs} ms`]
    .filter(Boolean)
    .join(', ');
  return [
    style.bold(escapeControls(`Capture ${c.id}: ${method} ${path} → ${status}`)),
    style.dim(escapeControls(facts)),
    '',
    style.bold('Request'),
    renderMessage(c.request, style),
    '',
    style.bold('Response'),
    c.response.headers.length === 0 && !c.response.body ? style.dim('  none: the upstream never answered this request') : renderMessage(c.response, style),
  ].join('\n') + '\n';
}

export function renderMessage(m: MessageJson, style: Style): string {
  const lines = m.headers.map(([k, v]) => `  ${k.startsWith(':') ? style.dim(escapeControls(k)) : escapeControls(k)}: ${escapeControls(v)}`);
  if (m.body) lines.push('', indent(escapeControls(renderBody(m.body, header(m, 'content-type')), 'block')));
  if (m.trailers.length > 0) lines.push('', '  trailers:', ...m.trailers.map(([k, v]) => `    ${escapeControls(k)}: ${escapeControls(v)}`));
  return lines.join('\n');
}

/** JSON bodies pretty-printed, text as is, binary as a size note; truncation said out loud. */
export function renderBody(body: BodyJson, contentType: string | undefined): string {
  const note = body.truncated ? `[body truncated: ${body.size} bytes kept]\n` : '';
  if (body.encoding === 'base64') return `${note}[${body.size} bytes of binary data]`;
  if (!body.truncated && (contentType?.includes('json') || /^\s*[[{]/.test(body.data))) {
    try {
      return note + JSON.stringify(JSON.parse(body.data), null, 2);
    } catch {
      // not JSON after all
    }
  }
  return note + body.data;
}

const indent = (s: string): string => s.split('\n').map((l) => `  ${l}`).join('\n');

export function renderReplay(r: ReplayJson, style: Style): string {
  const destination = escapeControls(r.destination);
  const via = r.target !== r.destination ? ` (${escapeControls(r.target)})` : '';
  if (r.error) return `${style.red('replay failed')}: capture ${r.captureId} to ${destination}${via}: ${escapeControls(r.error.message, 'lines')}\n`;
  const status = escapeControls(r.response ? header(r.response, ':status') ?? '?' : '?');
  const lines = [`replayed capture ${r.captureId} to ${destination}${via}: ${style.bold(status)} in ${r.durationMs} ms`];
  for (const w of r.diff?.warnings ?? []) lines.push(style.dim(escapeControls(`note: ${w}`, 'lines')));
  if (r.diff) lines.push(renderDiff(r.diff, style, status));
  return lines.join('\n') + '\n';
}

/**
 * The differences, then what did not differ: without that line a body change alone left the reader to
 * guess whether status and headers had been compared at all. `status` is the replayed one, when known.
 */
export function renderDiff(d: ResponseDiff, style: Style, status?: string): string {
  if (d.identical) return style.green('same as the original response') + notes(d, style);
  const out: string[] = ['differences from the original response:'];
  // Status 0 stands for a capture without a response (a note says so).
  if (d.status) out.push(`  status: ${style.red(d.status.original === 0 ? 'none' : String(d.status.original))} → ${style.green(String(d.status.replayed))}`);
  for (const h of d.headers) {
    const name = escapeControls(h.name);
    if (h.original === undefined) out.push(style.green(`  + header ${name}: ${escapeControls(h.replayed ?? '')}`));
    else if (h.replayed === undefined) out.push(style.red(`  - header ${name}: ${escapeControls(h.original)}`));
    else out.push(`  ~ header ${name}: ${style.red(escapeControls(h.original))} → ${style.green(escapeControls(h.replayed))}`);
  }
  out.push(...renderBodyDiff(d.body, style));
  const unchanged = [!d.status && (status && status !== '?' ? `status ${escapeControls(status)}` : 'status'), d.headers.length === 0 && 'headers', d.body.kind === 'identical' && 'body'].filter(Boolean);
  if (unchanged.length > 0) out.push(`  unchanged: ${unchanged.join(', ')}`);
  return out.join('\n') + notes(d, style);
}

function renderBodyDiff(b: BodyDiff, style: Style): string[] {
  switch (b.kind) {
    case 'identical':
      return [];
    case 'json':
      return [
        '  body (JSON):',
        ...b.changes.map((c) => {
          const path = escapeControls(clip(c.path));
          if (c.kind === 'added') return style.green(`    + ${path}: ${jsonValue(c.replayed)}`);
          if (c.kind === 'removed') return style.red(`    - ${path}: ${jsonValue(c.original)}`);
          return `    ~ ${path}: ${style.red(jsonValue(c.original))} → ${style.green(jsonValue(c.replayed))}`;
        }),
        ...(b.truncatedChanges ? ['    … more changes not shown'] : []),
      ];
    case 'text':
      return [
        '  body:',
        ...b.lines.map((l) => {
          const text = escapeControls(clip(l.text), 'block');
          return l.op === '+' ? style.green(`    + ${text}`) : l.op === '-' ? style.red(`    - ${text}`) : style.dim(`      ${text}`);
        }),
        ...(b.truncatedLines ? ['    … more lines not shown'] : []),
      ];
    case 'binary':
      return [`  body: binary, ${b.originalSize} → ${b.replayedSize} bytes, first difference at byte ${b.firstDifferenceAt}`];
  }
}

const notes = (d: ResponseDiff, style: Style): string => d.notes.map((n) => '\n' + style.dim(escapeControls(`note: ${n}`, 'lines'))).join('');

/** A JSON value in a diff line: JSON.stringify escapes C0 in strings; DEL and C1 (and keys) too here. */
const jsonValue = (v: unknown): string => escapeControls(clip(JSON.stringify(v) ?? 'undefined'));

/** Longest text of one diff line shown; the rest is counted (`-o json` has it all). */
const MAX_DIFF_LINE_CHARS = 400;

/** A 256 KiB minified body is one diff line: shown whole it buried the rest of the diff. */
function clip(text: string): string {
  if (text.length <= MAX_DIFF_LINE_CHARS) return text;
  return `${text.slice(0, MAX_DIFF_LINE_CHARS)}… (${text.length - MAX_DIFF_LINE_CHARS} more characters; -o json shows them)`;
}
