import { describe, expect, it } from 'vitest';
import type { CapturedMessage } from '../../capture/capture.js';
import { diffLines, diffResponses } from './response-diff.js';

const msg = (status: number, headers: Array<[string, string]>, body?: string): CapturedMessage => ({
  headers: [[':status', String(status)], ...headers],
  trailers: [],
  ...(body !== undefined ? { body: { bytes: Buffer.from(body), truncated: false } } : {}),
});

describe('diffResponses', () => {
  it('reports the status change the tutorial shows (500 → 200)', () => {
    const d = diffResponses(msg(500, [['content-type', 'text/plain']], 'timeout'), msg(200, [['content-type', 'text/plain']], 'ok'));
    expect(d.identical).toBe(false);
    expect(d.status).toEqual({ original: 500, replayed: 200 });
    expect(d.body.kind).toBe('text');
  });

  it('ignores volatile headers such as date and x-request-id', () => {
    const d = diffResponses(
      msg(200, [['Date', 'Mon, 01 Jan 2026 00:00:00 GMT'], ['x-request-id', 'a']], 'same'),
      msg(200, [['date', 'Tue, 02 Jan 2026 00:00:00 GMT'], ['X-Request-Id', 'b']], 'same'),
    );
    expect(d).toMatchObject({ identical: true, headers: [] });
    expect(d.status).toBeUndefined();
  });

  it('lists added, removed and changed headers case-insensitively', () => {
    const d = diffResponses(msg(200, [['X-Old', '1'], ['Cache-Control', 'no-store']]), msg(200, [['x-new', '2'], ['cache-control', 'max-age=60']]));
    expect(d.headers).toEqual([
      { name: 'cache-control', original: 'no-store', replayed: 'max-age=60' },
      { name: 'x-new', replayed: '2' },
      { name: 'x-old', original: '1' },
    ]);
  });

  it('compares JSON bodies structurally: key order and whitespace do not matter', () => {
    const d = diffResponses(msg(200, [['content-type', 'application/json']], '{"a":1,"b":[1,2]}'), msg(200, [['content-type', 'application/json']], '{ "b": [1, 2], "a": 1 }'));
    expect(d.identical).toBe(true);
  });

  it('reports JSON changes by path', () => {
    const d = diffResponses(
      msg(500, [], '{"error":"upstream timeout","retry":true,"items":[{"id":1}]}'),
      msg(200, [], '{"total":42,"retry":true,"items":[{"id":2},{"id":3}]}'),
    );
    expect(d.body).toEqual({
      kind: 'json',
      truncatedChanges: false,
      changes: [
        { path: '$.error', kind: 'removed', original: 'upstream timeout' },
        { path: '$.items[0].id', kind: 'changed', original: 1, replayed: 2 },
        { path: '$.items[1]', kind: 'added', replayed: { id: 3 } },
        { path: '$.total', kind: 'added', replayed: 42 },
      ],
    });
  });

  it('describes binary bodies by size and first differing byte', () => {
    const a: CapturedMessage = { headers: [[':status', '200']], trailers: [], body: { bytes: Buffer.from([0, 1, 2, 3]), truncated: false } };
    const b: CapturedMessage = { headers: [[':status', '200']], trailers: [], body: { bytes: Buffer.from([0, 1, 9]), truncated: false } };
    expect(diffResponses(a, b).body).toEqual({ kind: 'binary', originalSize: 4, replayedSize: 3, firstDifferenceAt: 2 });
  });

  it('notes a truncated original body', () => {
    const a: CapturedMessage = { headers: [[':status', '200']], trailers: [], body: { bytes: Buffer.from('abc'), truncated: true } };
    expect(diffResponses(a, msg(200, [], 'abcdef')).notes).toEqual(['the original body was captured truncated at 3 bytes']);
  });
});

// A request the upstream never answered is captured without a response: the diff said 'status: 0 → 500'
// and listed a removed empty line as the original body.
describe('diffResponses of a capture without a response', () => {
  it('notes that there was none, and lists no original body lines', () => {
    const d = diffResponses({ headers: [], trailers: [] }, msg(500, [['content-type', 'text/plain']], 'late\nanswer'));
    expect(d.status).toEqual({ original: 0, replayed: 500 });
    expect(d.notes).toEqual(['the capture holds no response (the upstream never answered it): everything the destination sent is new']);
    expect(d.body).toEqual({ kind: 'text', lines: [{ op: '+', text: 'late' }, { op: '+', text: 'answer' }], truncatedLines: false });
  });

  it('an empty body against a text one is only added lines, either way round', () => {
    expect(diffResponses(msg(200, [], ''), msg(200, [], 'x')).body).toEqual({ kind: 'text', lines: [{ op: '+', text: 'x' }], truncatedLines: false });
    expect(diffResponses(msg(200, [], 'x'), msg(200, [])).body).toEqual({ kind: 'text', lines: [{ op: '-', text: 'x' }], truncatedLines: false });
  });
});

describe('diffLines', () => {
  it('keeps common lines as context and marks the changed ones', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'c' },
    ]);
  });

  it('elides long runs of unchanged lines', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[10] = 'changed';
    const out = diffLines(a, b);
    expect(out[0]).toEqual({ op: ' ', text: '…' });
    expect(out.filter((l) => l.op !== ' ')).toEqual([
      { op: '-', text: 'line 10' },
      { op: '+', text: 'changed' },
    ]);
    expect(out.length).toBeLessThan(12);
  });
});
