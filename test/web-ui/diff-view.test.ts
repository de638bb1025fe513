// How the web UI shows a replay's diff (web/src/logic/diff-view.ts): one row per change, whatever the body kind.
import { describe, expect, it } from 'vitest';
import type { ResponseDiff } from '../../web/src/logic/api-types.js';
import { diffView, jsonPreview } from '../../web/src/logic/diff-view.js';

const base: ResponseDiff = { identical: false, headers: [], body: { kind: 'identical' }, notes: [] };

describe('diffView', () => {
  it('says when a replay is identical', () => {
    const v = diffView({ ...base, identical: true });
    expect(v.headline).toBe('identical to the original response');
    expect(v.status).toBeUndefined();
    expect(v.body).toEqual({ kind: 'identical', rows: [] });
  });

  it('shows a capture that had no response (status 0) as "none", not 0', () => {
    const v = diffView({ ...base, status: { original: 0, replayed: 500 } });
    expect(v.headline).toBe('differs: status none → 500');
    expect(v.status).toEqual({ label: 'status', change: 'changed', original: 'none', replayed: '500' });
  });

  it('lists status, header and JSON body changes as rows, with a headline counting them', () => {
    const v = diffView({
      ...base,
      status: { original: 500, replayed: 200 },
      headers: [{ name: 'x-version', original: 'green', replayed: 'blue' }, { name: 'x-new', replayed: '1' }, { name: 'retry-after', original: '5' }],
      body: { kind: 'json', truncatedChanges: false, changes: [
        { path: '$.error', kind: 'removed', original: 'timeout' },
        { path: '$.ok', kind: 'changed', original: false, replayed: true },
        { path: '$.items[0]', kind: 'added', replayed: { sku: 'a' } },
      ] },
      notes: ['the original body was captured truncated at 10 bytes'],
      warnings: ['header authorization was redacted at capture and is not sent'],
    });
    expect(v.headline).toBe('differs: status 500 → 200, 3 headers, 3 JSON changes');
    expect(v.status).toEqual({ label: 'status', change: 'changed', original: '500', replayed: '200' });
    expect(v.headers).toEqual([
      { label: 'x-version', change: 'changed', original: 'green', replayed: 'blue' },
      { label: 'x-new', change: 'added', replayed: '1' },
      { label: 'retry-after', change: 'removed', original: '5' },
    ]);
    expect(v.body.rows).toEqual([
      { label: '$.error', change: 'removed', original: '"timeout"' },
      { label: '$.ok', change: 'changed', original: 'false', replayed: 'true' },
      { label: '$.items[0]', change: 'added', replayed: '{"sku":"a"}' },
    ]);
    expect(v.notes).toEqual(['the original body was captured truncated at 10 bytes', 'header authorization was redacted at capture and is not sent']);
  });

  it('shows text diffs line by line and binary diffs as a sentence', () => {
    const text = diffView({ ...base, body: { kind: 'text', truncatedLines: true, lines: [{ op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: '+', text: 'c' }] } });
    expect(text.body.rows.map((r) => [r.change, r.original ?? r.replayed])).toEqual([['context', 'a'], ['removed', 'b'], ['added', 'c']]);
    expect(text.body.note).toBe('only the first 3 lines are shown');
    const binary = diffView({ ...base, body: { kind: 'binary', originalSize: 10, replayedSize: 12, firstDifferenceAt: 4 } });
    expect(binary.body.note).toBe('binary bodies differ: 10 bytes originally, 12 replayed, first difference at byte 4');
    expect(binary.headline).toBe('differs: binary body');
  });

  it('shows the controls in a warning that quotes a captured header name', () => {
    const v = diffView({ ...base, warnings: ['header "x-\u202eevil" holds characters an HTTP/1.1 header cannot carry and is not sent'] });
    expect(v.notes).toEqual(['header "x-⟨U+202E⟩evil" holds characters an HTTP/1.1 header cannot carry and is not sent']);
  });

  it('cuts long JSON values', () => {
    expect(jsonPreview('x'.repeat(200), 20)).toBe(`"${'x'.repeat(18)}…`);
    expect(jsonPreview(undefined)).toBe('');
  });
});
