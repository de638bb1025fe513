// Turns the replay API's diff (src/loop/replay/response-diff.ts) into what the UI lists: one headline and
// rows a table can show without knowing the diff's variants.
import type { JsonChange, ResponseDiff } from './api-types.js';
import { visible } from './body-format.js';

export interface DiffRow {
  /** `status`, a header name, or a JSON path / line marker. */
  label: string;
  change: 'added' | 'removed' | 'changed' | 'context';
  original?: string;
  replayed?: string;
}

export interface DiffView {
  headline: string;
  identical: boolean;
  status?: DiffRow;
  headers: DiffRow[];
  body: { kind: 'identical' | 'json' | 'text' | 'binary'; rows: DiffRow[]; note?: string };
  notes: string[];
}

/** A JSON value in one line, cut at `max` characters. */
export function jsonPreview(value: unknown, max = 120): string {
  const text = value === undefined ? '' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function jsonRow(c: JsonChange): DiffRow {
  return {
    label: c.path,
    change: c.kind,
    ...(c.kind !== 'added' ? { original: jsonPreview(c.original) } : {}),
    ...(c.kind !== 'removed' ? { replayed: jsonPreview(c.replayed) } : {}),
  };
}

export function diffView(diff: ResponseDiff): DiffView {
  const headers = diff.headers.map((h): DiffRow => ({
    label: h.name,
    change: h.original === undefined ? 'added' : h.replayed === undefined ? 'removed' : 'changed',
    ...(h.original !== undefined ? { original: h.original } : {}),
    ...(h.replayed !== undefined ? { replayed: h.replayed } : {}),
  }));
  let body: DiffView['body'];
  switch (diff.body.kind) {
    case 'identical':
      body = { kind: 'identical', rows: [] };
      break;
    case 'json':
      body = { kind: 'json', rows: diff.body.changes.map(jsonRow), ...(diff.body.truncatedChanges ? { note: `only the first ${diff.body.changes.length} changes are listed` } : {}) };
      break;
    case 'text':
      body = {
        kind: 'text',
        rows: diff.body.lines.map((l): DiffRow => (l.op === '-' ? { label: '-', change: 'removed', original: l.text } : l.op === '+' ? { label: '+', change: 'added', replayed: l.text } : { label: ' ', change: 'context', original: l.text })),
        ...(diff.body.truncatedLines ? { note: `only the first ${diff.body.lines.length} lines are shown` } : {}),
      };
      break;
    case 'binary':
      body = {
        kind: 'binary',
        rows: [],
        note: `binary bodies differ: ${diff.body.originalSize} bytes originally, ${diff.body.replayedSize} replayed, first difference at byte ${diff.body.firstDifferenceAt}`,
      };
      break;
  }
  const parts: string[] = [];
  if (diff.status) parts.push(`status ${statusText(diff.status.original)} → ${statusText(diff.status.replayed)}`);
  if (headers.length > 0) parts.push(`${headers.length} header${headers.length === 1 ? '' : 's'}`);
  if (body.kind === 'json') parts.push(`${body.rows.length} JSON change${body.rows.length === 1 ? '' : 's'}`);
  else if (body.kind === 'text') parts.push('body text');
  else if (body.kind === 'binary') parts.push('binary body');
  return {
    headline: diff.identical ? 'identical to the original response' : `differs: ${parts.join(', ')}`,
    identical: diff.identical,
    ...(diff.status ? { status: { label: 'status', change: 'changed', original: statusText(diff.status.original), replayed: statusText(diff.status.replayed) } } : {}),
    headers,
    body,
    // Warnings quote captured header names, which may hold bidi overrides and controls.
    notes: [...diff.notes, ...(diff.warnings ?? [])].map(visible),
  };
}

/** The server's status 0 stands for no response at all (the upstream never answered the captured request). */
function statusText(status: number): string {
  return status === 0 ? 'none' : String(status);
}
