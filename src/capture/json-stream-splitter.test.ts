import { describe, expect, it } from 'vitest';
import { LoopError, isLoopError } from '../core/errors.js';
import { ENVOY_TRACE_TEXT } from './capture-fixtures.test-helper.js';
import { JsonStreamSplitter, type JsonStreamSplitterOptions, splitJsonTexts } from './json-stream-splitter.js';

// Strings full of the bytes a naive splitter trips on: braces, brackets, quotes, escapes, multibyte UTF-8.
const TRICKY = JSON.stringify({ s: '}{][ \\" \\\\ "\\" é 🦀 \u2028', arr: [[], {}, [{ '}': ']' }]], n: null });
const TEXTS = [ENVOY_TRACE_TEXT.trim(), TRICKY, '[1,2,{"a":"]"}]', '{}'];
const STREAM = Buffer.from(`${TEXTS[0]}${TEXTS[1]}\n\n${TEXTS[2]} \t\r\n${TEXTS[3]}\n`);

function splitChunks(buf: Buffer, cuts: number[]): string[] {
  const s = new JsonStreamSplitter();
  const out: string[] = [];
  let prev = 0;
  for (const cut of [...cuts, buf.length]) {
    for (const t of s.push(buf.subarray(prev, cut))) out.push(t.toString('utf8'));
    prev = cut;
  }
  s.end();
  return out;
}

function errorOf(fn: () => unknown): LoopError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LoopError) return err;
    throw err;
  }
  throw new Error('expected a LoopError');
}

describe('JsonStreamSplitter', () => {
  it('splits concatenated pretty-printed objects (Envoy admin /tap) into parseable texts', () => {
    const texts = splitJsonTexts(STREAM).map((b) => b.toString('utf8'));
    expect(texts).toEqual(TEXTS);
    expect(JSON.parse(texts[0]!)).toEqual(JSON.parse(ENVOY_TRACE_TEXT));
  });

  it('gives the same texts when the stream is cut in two at every byte boundary', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      expect(splitChunks(STREAM, [cut])).toEqual(TEXTS);
    }
  });

  it('gives the same texts for random chunkings, including one-byte chunks', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const cuts: number[] = [];
      let at = 0;
      const maxChunk = round % 10 === 0 ? 1 : 1 + Math.floor(random() * 64);
      while ((at += 1 + Math.floor(random() * maxChunk)) < STREAM.length) cuts.push(at);
      expect(splitChunks(STREAM, cuts)).toEqual(TEXTS);
    }
  });

  it('splits NDJSON', () => {
    const nd = Buffer.from('{"a":1}\n{"b":"x\\ny"}\r\n[true]\n');
    expect(splitJsonTexts(nd).map((b) => JSON.parse(b.toString()) as unknown)).toEqual([{ a: 1 }, { b: 'x\ny' }, [true]]);
  });

  it('returns zero-copy views when a text lies within one chunk', () => {
    const buf = Buffer.from(' {"a":1} ');
    const [text] = splitJsonTexts(buf);
    expect(text!.buffer).toBe(buf.buffer);
    expect(text!.byteOffset).toBe(buf.byteOffset + 1);
  });

  it('returns nothing for an empty or all-whitespace stream', () => {
    expect(splitJsonTexts(Buffer.from(''))).toEqual([]);
    expect(splitJsonTexts(Buffer.from(' \n\t\r '))).toEqual([]);
  });

  it('tracks the stream offset', () => {
    const s = new JsonStreamSplitter();
    s.push(Buffer.from('{"a":'));
    s.push(Buffer.from('1}'));
    expect(s.offset).toBe(7);
  });

  const bad: Array<[string, string, string, string, JsonStreamSplitterOptions?]> = [
    ['garbage between objects', '{"a":1} x {"b":2}', 'INGEST_INVALID', "unexpected 'x' (0x78) between JSON texts; expected '{', '[' or whitespace (at byte offset 8)"],
    ['a top-level number', '42', 'INGEST_INVALID', "unexpected '4' (0x34) between JSON texts; expected '{', '[' or whitespace (at byte offset 0)"],
    ['a stray closer', '{}}', 'INGEST_INVALID', "unexpected '}' (0x7d) between JSON texts; expected '{', '[' or whitespace (at byte offset 2)"],
    ['a control byte', '{}\u0000', 'INGEST_INVALID', 'unexpected byte 0x00 between JSON texts'],
    ['mismatched brackets', '{"a":[1}', 'INGEST_INVALID', "unexpected '}'; expected ']' (at byte offset 7)"],
    ['a stream ending mid-object', '{"a":{"b":1}', 'INGEST_INVALID', 'stream ended inside a JSON text that started at byte offset 0 (12 bytes, 1 unclosed bracket(s))'],
    ['a stream ending mid-string', '  {"a":"}}}', 'INGEST_INVALID', 'stream ended inside a JSON text that started at byte offset 2'],
    ['nesting too deep', '[[[[[]]]]]', 'INGEST_INVALID', 'JSON nested deeper than 4 levels (at byte offset 4)', { maxDepth: 4 }],
    ['a text too large', '{"a":1}{"abcdefgh":12345}', 'INGEST_TOO_LARGE', 'JSON text starting at byte offset 7 is larger than 10 bytes (at byte offset 17)', { maxTextBytes: 10 }],
    ['garbage at the start', '\ufeff{}', 'INGEST_INVALID', 'unexpected byte 0xef between JSON texts'],
  ];

  it.each(bad)('rejects %s with the byte offset', (_name, input, code, message, opts) => {
    const err = errorOf(() => splitJsonTexts(Buffer.from(input), opts));
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
  });

  it('bounds memory: a never-ending text fails once it passes the size limit, across chunks', () => {
    const s = new JsonStreamSplitter({ maxTextBytes: 1000 });
    s.push(Buffer.from('{"a":"'));
    const chunk = Buffer.alloc(100, 0x61);
    const err = errorOf(() => {
      for (let i = 0; i < 100; i++) s.push(chunk);
    });
    expect(err.code).toBe('INGEST_TOO_LARGE');
    expect(err.details?.offset).toBe(1000);
  });

  it('stays failed after an error', () => {
    const s = new JsonStreamSplitter();
    expect(() => s.push(Buffer.from('x'))).toThrow(/offset 0/);
    const again = errorOf(() => s.push(Buffer.from('{}')));
    expect(isLoopError(again, 'INGEST_INVALID')).toBe(true);
    expect(() => s.end()).toThrow(/offset 0/);
  });

  it('accepts plain Uint8Array chunks', () => {
    const s = new JsonStreamSplitter();
    expect(s.push(new TextEncoder().encode('{"k":"v"}')).map(String)).toEqual(['{"k":"v"}']);
  });
});
