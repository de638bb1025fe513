import { describe, expect, it } from 'vitest';
import { LoopError } from '../core/errors.js';
import { bareCapture, sampleCapture } from './capture-fixtures.test-helper.js';
import { LengthDelimitedSplitter, splitLengthDelimited } from './length-delimited-splitter.js';
import { decodeTraceWrapper, encodeTraceWrapper } from './tap-request-proto.js';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const hex = (b: Buffer) => b.toString('hex');

describe('length-delimited streams (.pb_length_delimited)', () => {
  const messages = [encodeTraceWrapper(sampleCapture()), Buffer.alloc(0), encodeTraceWrapper(bareCapture())];
  const stream = Buffer.concat(messages.flatMap((m) => [Buffer.from(varint(m.length)), m]));

  it('splits a whole file into TraceWrappers', () => {
    const parts = splitLengthDelimited(stream);
    expect(parts).toEqual(messages);
    expect(decodeTraceWrapper(parts[0]!, { source: 'file' }).request.headers).toEqual(sampleCapture().request.headers);
  });

  it('gives the same messages when cut at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const s = new LengthDelimitedSplitter();
      const out = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))];
      s.end();
      expect(out.map(hex)).toEqual(messages.map(hex));
    }
  });

  it('gives the same messages when fed one byte at a time', () => {
    const s = new LengthDelimitedSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...s.push(stream.subarray(i, i + 1)));
    s.end();
    expect(out).toEqual(messages);
  });

  it.each([
    ['a stream ending inside a message', Buffer.from([5, 1, 2]), 'INGEST_INVALID', 'ended inside the message whose prefix starts at byte offset 0'],
    ['a stream ending inside a prefix', Buffer.from([0, 0x80]), 'INGEST_INVALID', 'ended inside the message whose prefix starts at byte offset 1'],
    ['an over-long prefix', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 'INGEST_INVALID', 'length prefix longer than 4 bytes (length prefix at byte offset 0)'],
    ['a message over the limit', Buffer.from([0x01, 0x00, 0xe9, 0x07]), 'INGEST_TOO_LARGE', 'message of 1001 bytes is larger than the limit of 1000 (length prefix at byte offset 2)'],
  ])('rejects %s', (_name, bytes, code, message) => {
    let err: unknown;
    try {
      splitLengthDelimited(bytes, { maxMessageBytes: 1000 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoopError);
    expect((err as LoopError).code).toBe(code);
    expect((err as LoopError).message).toContain(message);
  });
});
