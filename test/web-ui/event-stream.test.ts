import { describe, expect, it } from 'vitest';
import { parseEventStream, type ServerSentEvent } from '../../web/src/logic/event-stream.js';

function parse(chunks: string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const p = parseEventStream((e) => events.push(e));
  for (const c of chunks) p.push(c);
  return events;
}

describe('parseEventStream', () => {
  it('reads what the loop server sends: retry, a comment heartbeat, capture events with ids', () => {
    const text = 'retry: 2000\n\n: keep-alive\n\nevent: capture\nid: 7\ndata: {"id":7}\n\nevent: capture\nid: 8\ndata: {"id":8}\n\n';
    expect(parse([text])).toEqual([
      { event: 'message', data: '', retry: 2000 },
      { event: 'capture', id: '7', data: '{"id":7}' },
      { event: 'capture', id: '8', data: '{"id":8}' },
    ]);
  });

  it('gives the same events however the text is split, with CRLF, CR or LF line ends', () => {
    const lf = 'event: capture\nid: 1\ndata: a\ndata: b\n\ndata:c\n\n';
    const expected = [
      { event: 'capture', id: '1', data: 'a\nb' },
      { event: 'message', id: '1', data: 'c' },
    ];
    for (const text of [lf, lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r')]) {
      expect(parse([text])).toEqual(expected);
      for (let cut = 1; cut < text.length; cut++) expect(parse([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
      expect(parse([...text])).toEqual(expected);
    }
  });

  it('keeps an incomplete event until its blank line, ignores unknown fields and a non-numeric retry', () => {
    const p: ServerSentEvent[] = [];
    const parser = parseEventStream((e) => p.push(e));
    parser.push('data: half');
    expect(p).toEqual([]);
    parser.push('\nfoo: bar\nretry: soon\n\n');
    expect(p).toEqual([{ event: 'message', data: 'half' }]);
  });

  it('drops one leading space only, and an id holding NUL', () => {
    expect(parse(['data:  two spaces\nid: a\0b\n\n'])).toEqual([{ event: 'message', data: ' two spaces' }]);
  });
});
