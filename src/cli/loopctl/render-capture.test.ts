import { describe, expect, it } from 'vitest';
import type { BodyDiff } from '../../loop/replay/response-diff.js';
import { colorStyle, plainStyle, renderCapture, renderReplay, type ReplayJson, type StoredCaptureJson } from './render-capture.js';

const EVIL = '\x1b]0;pwned\x07\x1b[2J\u009b31m';
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex

const replay = (diff: ReplayJson['diff'], extra: Partial<ReplayJson> = {}): ReplayJson =>
  ({
    id: 1,
    captureId: 3,
    createdAt: '2026-11-27T00:00:00.000Z',
    destination: `web${EVIL}`,
    target: '127.0.0.1:9090',
    durationMs: 5,
    response: { headers: [[':status', '200']], trailers: [] },
    ...(diff ? { diff } : {}),
    ...extra,
  }) as unknown as ReplayJson;

describe("renderReplay: the diff of a replay shows captured text escaped", () => {
  it('headers, JSON paths and values, text lines, notes and warnings', () => {
    const r = replay({
      identical: false,
      headers: [
        { name: `x-a${EVIL}`, replayed: EVIL },
        { name: 'x-b', original: EVIL },
        { name: 'x-c', original: EVIL, replayed: `${EVIL}2` },
      ],
      body: { kind: 'json', changes: [{ path: `$.k${EVIL}`, kind: 'changed', original: EVIL, replayed: { v: '\u009b' } }], truncatedChanges: false },
      notes: [`note ${EVIL}`],
      warnings: [`warning ${EVIL}`],
    } as unknown as ReplayJson['diff']);
    for (const style of [plainStyle, colorStyle]) {
      const text = renderReplay(r, style).replace(/\x1b\[(?:1|2|22|31|32|39)m/g, ''); // eslint-disable-line no-control-regex
      expect(text).not.toMatch(CONTROLS_BUT_NEWLINE);
    }
    const plain = renderReplay(r, plainStyle);
    expect(plain).toContain('replayed capture 3 to web\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m (127.0.0.1:9090): 200');
    expect(plain).toContain('  ~ header x-c: \\x1b]0;pwned');
    expect(plain).toContain('    ~ $.k\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m: "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m" → {"v":"\\u009b"}');
  });

  it('text body lines keep their tabs; a failed replay\'s message is escaped', () => {
    const text = renderReplay(
      replay({ identical: false, headers: [], body: { kind: 'text', lines: [{ op: '+', text: `\tnew ${EVIL}` }], truncatedLines: false }, notes: [] } as unknown as ReplayJson['diff']),
      plainStyle,
    );
    expect(text).toContain('    + \tnew \\x1b]0;pwned');
    const failed = renderReplay(replay(undefined, { error: { code: 'REPLAY_FAILED', message: `upstream said ${EVIL}` } } as Partial<ReplayJson>), plainStyle);
    expect(failed).not.toMatch(CONTROLS_BUT_NEWLINE);
  });
});

describe('renderReplay: what differs and what does not', () => {
  const differs = (diff: Partial<NonNullable<ReplayJson['diff']>>): string =>
    renderReplay(replay({ identical: false, headers: [], body: { kind: 'identical' }, notes: [], ...diff } as unknown as ReplayJson['diff'], { response: { headers: [[':status', '500']], trailers: [] } } as Partial<ReplayJson>), plainStyle);

  it('names the parts that did not differ after the differences', () => {
    const body: BodyDiff = { kind: 'json', changes: [{ path: '$.extra', kind: 'added', replayed: [1] }], truncatedChanges: false };
    expect(differs({ body })).toBe('replayed capture 3 to web\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m (127.0.0.1:9090): 500 in 5 ms\ndifferences from the original response:\n  body (JSON):\n    + $.extra: [1]\n  unchanged: status 500, headers\n');
    expect(differs({ status: { original: 200, replayed: 500 }, headers: [{ name: 'x-a', replayed: '1' }] })).toMatch(/\n {2}\+ header x-a: 1\n {2}unchanged: body\n$/);
    expect(differs({ status: { original: 200, replayed: 500 }, headers: [{ name: 'x-a', replayed: '1' }], body })).not.toContain('unchanged');
  });
});

describe('renderReplay: a long diff line', () => {
  it('shows its first 400 characters and counts the rest, in text and JSON diffs', () => {
    const long = 'a'.repeat(262_144);
    const text = renderReplay(replay({ identical: false, headers: [], body: { kind: 'text', lines: [{ op: '+', text: long }], truncatedLines: false }, notes: [] } as unknown as ReplayJson['diff']), plainStyle);
    expect(text).toContain(`    + ${'a'.repeat(400)}… (261744 more characters; -o json shows them)\n`);
    expect(text.length).toBeLessThan(1_000);
    const json = renderReplay(replay({ identical: false, headers: [], body: { kind: 'json', changes: [{ path: '$.blob', kind: 'added', replayed: long }], truncatedChanges: false }, notes: [] } as unknown as ReplayJson['diff']), plainStyle);
    expect(json).toContain(`    + $.blob: "${'a'.repeat(399)}… (261746 more characters; -o json shows them)\n`);
  });
});

describe('renderReplay: a capture without a response', () => {
  it('shows its status as none', () => {
    const text = renderReplay(replay({ identical: false, status: { original: 0, replayed: 500 }, headers: [], body: { kind: 'identical' }, notes: ['the capture holds no response'] } as unknown as ReplayJson['diff']), plainStyle);
    expect(text).toContain('\n  status: none → 500\n');
  });
});

describe('renderCapture: a capture without a response', () => {
  it('says there was none instead of an empty Response section', () => {
    const c = { id: 16, capturedAt: '2026-11-28T03:00:00.000Z', tapConfig: '', source: 'envoy', destination: '', durationMs: null, request: { headers: [[':method', 'GET'], [':path', '/noresp']], trailers: [] }, response: { headers: [], trailers: [] } } as unknown as StoredCaptureJson;
    expect(renderCapture(c, plainStyle)).toMatch(/\nResponse\n {2}none: the upstream never answered this request\n$/);
  });
});
