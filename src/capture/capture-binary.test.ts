import { describe, expect, it } from 'vitest';
import { LoopError } from '../core/errors.js';
import type { CaptureInput } from './capture.js';
import { bareCapture, sampleCapture } from './capture-fixtures.test-helper.js';
import { CaptureRecordWriter, captureBatchParts, decodeCaptureBatch, encodeCaptureBatch } from './capture-binary.js';

const roundTrip = (captures: CaptureInput[]): CaptureInput[] => decodeCaptureBatch(encodeCaptureBatch(captures));

describe('capture batch: encode then decode', () => {
  it.each<[string, CaptureInput]>([
    ['full capture', sampleCapture()],
    ['bare capture (no body, times, connections or duration)', bareCapture()],
    ['binary bodies, truncated', sampleCapture({ request: { headers: [], body: { bytes: Buffer.from([0xc3, 0x28, 0, 0xff]), truncated: true }, trailers: [] } })],
    ['an empty body (present, zero bytes)', sampleCapture({ response: { headers: [[':status', '204']], body: { bytes: Buffer.alloc(0), truncated: false }, trailers: [] } })],
    ['text beyond ASCII (Latin-1 as Node decodes headers, and emoji)', sampleCapture({ tapConfig: 'déjà/vu', destination: 'ümlaut:80', request: { headers: [['x-name', 'Ren\u00e9e \u{1F600}'], ['x-empty', '']], trailers: [['x-t', 'caf\u00e9']], headersReceivedAt: '2026-03-01T10:00:00.123456789+02:00' }, response: { headers: [], trailers: [] } })],
    ['connections with one address each', sampleCapture({ downstream: { remote: { address: '::1', port: 65535 } }, upstream: { local: { address: '10.0.0.2', port: 0 } } })],
    ['empty connection info', sampleCapture({ downstream: {}, upstream: undefined })],
    ['a fractional duration', sampleCapture({ durationMs: 0.125 })],
  ])('round-trips %s', (_name, capture) => {
    const expected = JSON.parse(JSON.stringify({ ...capture })) as unknown;
    const [decoded] = roundTrip([capture]);
    expect(JSON.parse(JSON.stringify(decoded))).toEqual(expected);
    expect(decoded!.request.body?.bytes).toEqual(capture.request.body?.bytes);
    expect(decoded!.response.body?.bytes).toEqual(capture.response.body?.bytes);
  });

  it('keeps order and count over many captures, and an empty batch is an empty list', () => {
    const many = Array.from({ length: 50 }, (_, i) => sampleCapture({ destination: `svc-${i}:80` }));
    expect(roundTrip(many).map((c) => c.destination)).toEqual(many.map((c) => c.destination));
    expect(roundTrip([])).toEqual([]);
  });

  it('decodes bodies as views of the batch, not copies', () => {
    const batch = encodeCaptureBatch([sampleCapture()]);
    const [c] = decodeCaptureBatch(batch);
    expect(c!.request.body!.bytes.buffer).toBe(batch.buffer);
  });
});

describe('CaptureRecordWriter', () => {
  it('moves a record that does not fit to a new chunk, leaving earlier records intact', () => {
    const writer = new CaptureRecordWriter(600);
    const records = Array.from({ length: 6 }, (_, i) => writer.write(sampleCapture({ source: `s${i}` })));
    expect(new Set(records.map((r) => r.buffer)).size).toBeGreaterThan(1);
    expect(decodeCaptureBatch(Buffer.concat(captureBatchParts(records))).map((c) => c.source)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
  });

  it('gives a capture bigger than a chunk a chunk of its own', () => {
    const writer = new CaptureRecordWriter(256);
    const big = sampleCapture({ request: { headers: [], body: { bytes: Buffer.alloc(4096, 7), truncated: false }, trailers: [] } });
    const [, c] = decodeCaptureBatch(Buffer.concat(captureBatchParts([writer.write(bareCapture()), writer.write(big)])));
    expect(c!.request.body!.bytes).toEqual(Buffer.alloc(4096, 7));
  });

  it('reuses the bytes of released records, and only those', () => {
    const writer = new CaptureRecordWriter(4096);
    const a = writer.write(sampleCapture({ source: 'a' }));
    const b = writer.write(sampleCapture({ source: 'b' }));
    writer.release(a); // b is still queued: nothing may be overwritten
    writer.write(sampleCapture({ source: 'c' }));
    expect(decodeCaptureBatch(Buffer.concat(captureBatchParts([b])))[0]!.source).toBe('b');
    const last = writer.write(sampleCapture({ source: 'd' }));
    writer.release(last); // everything released: the chunk starts over
    const e = writer.write(sampleCapture({ source: 'e' }));
    expect(e.byteOffset).toBe(a.byteOffset);
    expect(decodeCaptureBatch(Buffer.concat(captureBatchParts([e])))[0]!.source).toBe('e');
  });

  it('reuses released chunks, up to spareChunks of them, instead of allocating new ones', () => {
    const writer = new CaptureRecordWriter(4096, 3);
    const body = { bytes: Buffer.alloc(3000, 1), truncated: false };
    // Six records of ~3 KiB: one chunk each.
    const first = Array.from({ length: 6 }, () => writer.write(sampleCapture({ request: { headers: [], body, trailers: [] } })));
    const chunks = new Set(first.map((r) => r.buffer));
    expect(chunks.size).toBe(6);
    writer.release(first[5]!); // all released: five chunks retire, three kept as spares
    const next = Array.from({ length: 4 }, () => writer.write(sampleCapture({ request: { headers: [], body, trailers: [] } })));
    // The current chunk starts over, then the three spares: no new memory for the first four records.
    expect(next.map((r) => chunks.has(r.buffer))).toEqual([true, true, true, true]);
    const fifth = writer.write(sampleCapture({ request: { headers: [], body, trailers: [] } }));
    expect(chunks.has(fifth.buffer)).toBe(false); // spares used up: a fresh chunk
  });

  it('joins neighbouring records into one part', () => {
    const writer = new CaptureRecordWriter();
    const records = [writer.write(sampleCapture()), writer.write(bareCapture()), writer.write(sampleCapture())];
    const parts = captureBatchParts(records);
    expect(parts).toHaveLength(2); // the header and one run
    expect(parts[1]!.length).toBe(records.reduce((n, r) => n + r.length, 0));
  });

  it.each<[string, (c: CaptureInput) => void, string]>([
    ['a NUL in a header value', (c) => (c.request.headers[0] = ['x-a', 'b\0c']), 'request.headers: holds a NUL character'],
    ['a NUL in the destination', (c) => (c.destination = 'web\0:9090'), 'destination: holds a NUL character'],
    ['a NUL in a response trailer name', (c) => (c.response.trailers = [['x-\0', 'v']]), 'response.trailers: holds a NUL character'],
    ['a header name that is not a string', (c) => (c.response.headers[0] = [7 as unknown as string, 'x']), 'response.headers: expected a string, got number'],
    ['a source that is not a string', (c) => (c.source = null as unknown as string), 'source: expected a string, got null'],
    ['a duration that is a string', (c) => (c.durationMs = '5' as unknown as number), 'durationMs: expected a number or null, got string'],
    ['headers that are not a list', (c) => (c.request.headers = {} as unknown as CaptureInput['request']['headers']), 'request.headers: expected an array of [name, value] pairs'],
  ])('refuses %s, naming the field, and writes nothing', (_name, spoil, message) => {
    const writer = new CaptureRecordWriter();
    const first = writer.write(bareCapture());
    const bad = sampleCapture();
    spoil(bad);
    expect(() => writer.write(bad)).toThrow(message);
    const next = writer.write(bareCapture());
    expect(next.byteOffset).toBe(first.byteOffset + first.length);
  });
});

describe('decodeCaptureBatch refuses bad input with the field named', () => {
  const good = (): Buffer => encodeCaptureBatch([sampleCapture()]);
  const at = (b: Buffer, offset: number, bytes: number[]): Buffer => {
    const copy = Buffer.from(b);
    copy.set(bytes, offset);
    return copy;
  };
  // Offsets in the batch of sampleCapture(): header 0..11, record length 12..15, capture flags 16,
  // durationMs 17..24, request flags 25, request header count 26..29.
  it.each<[string, () => Buffer, string]>([
    ['a body shorter than the header', () => Buffer.from('LCAP'), 'body: expected a 12-byte capture-batch header, got 4 bytes'],
    ['another format', () => Buffer.from('{"captures":[]}'), 'body: expected a capture batch starting with "LCAP", got "{\\"ca"'],
    ['an unknown version', () => at(good(), 4, [2, 0]), 'body: capture-batch version 2 is not supported; expected 1'],
    ['unknown batch flags', () => at(good(), 6, [1, 0]), 'body: capture-batch flags 1 are not supported; expected 0'],
    ['a count the bytes cannot hold', () => at(good(), 8, [0xff, 0xff, 0, 0]), 'body: the header announces 65535 captures'],
    ['a record longer than the body', () => at(good(), 12, [0xff, 0xff, 0, 0]), 'captures[0]: the record is 65535 bytes but only'],
    ['unknown capture flags', () => at(good(), 16, [0x0f]), 'captures[0].flags: flags 15 have unknown bits (known: 7)'],
    ['truncated without a body', () => at(good(), 25, [0x02]), 'captures[0].request.flags: truncated is set for a message without body'],
    ['a header count the record cannot hold', () => at(good(), 26, [0xff, 0xff, 0xff, 0]), 'captures[0].request.headers: 16777215 pairs announced'],
    ['fewer text values than the counts need', () => at(good(), 26, [9, 0, 0, 0]), "captures[0]: the record's text holds 34 NUL-terminated values; its fields need 36"],
    ['a second capture announced but missing', () => at(good(), 8, [2, 0, 0, 0]), 'captures[1].length: the record ends before its length'],
    ['bytes after the last capture', () => Buffer.concat([good(), Buffer.from([0])]), 'body: 1 bytes after the last of 1 captures'],
  ])('%s', (_name, make, message) => {
    let err: unknown;
    try {
      decodeCaptureBatch(make());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoopError);
    expect((err as LoopError).code).toBe('INGEST_INVALID');
    expect((err as LoopError).message).toContain(message);
  });
});
