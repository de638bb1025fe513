// Reading Envoy file_per_tap output: formats by extension, one upload per file, and the expansion of
// directories and wildcards. Binary fixtures are encoded by protobufjs from proto/ in the test.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { encodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { decodeTapRequest } from '../../capture/tap-request-proto.js';
import { LoopError } from '../../core/errors.js';
import { loadTapProto, pbLengthDelimited, pbTraceWrapper, tapCapture, type TapProto } from '../gloo/tap-proto-fixtures.test-helper.js';
import { expandTapFileArgs, formatOfFile, resolveFileFormat, tapFileUpload } from './tap-files.js';

let proto: TapProto;
let dir: string;

beforeAll(async () => {
  proto = await loadTapProto();
  dir = await mkdtemp(path.join(tmpdir(), 'tap-files-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ctx = { source: 's', capturedAt: '2026-01-01T00:00:00.000Z' };
const pathOf = (headers: Array<[string, string]>): string | undefined => headers.find(([k]) => k === ':path')?.[1];

describe('formats', () => {
  it.each([
    ['/tmp/tap_123.json', 'auto', 'json'],
    ['/tmp/tap_123.pb', 'auto', 'pb'],
    ['/tmp/TAP_123.PB', 'auto', 'pb'],
    ['/tmp/tap_123.pb_length_delimited', 'auto', 'pb_length_delimited'],
    ['/tmp/trace.bin', 'pb', 'pb'],
    ['/tmp/tap_123.json', 'pb_length_delimited', 'pb_length_delimited'],
  ] as const)('%s read with --format %s is %s', (file, forced, want) => {
    expect(resolveFileFormat(file, forced)).toBe(want);
  });

  it.each([
    ['/tmp/tap_7.pb_text', /^\/tmp\/tap_7\.pb_text: PROTO_TEXT tap files \(\.pb_text\) are not supported$/],
    ['/tmp/notes.txt', /^\/tmp\/notes\.txt: cannot tell the format from the extension/],
  ])('%s is refused by name', (file, message) => {
    expect(() => resolveFileFormat(file, 'auto')).toThrow(message);
    expect(formatOfFile(file)).toBe(file.endsWith('.pb_text') ? 'pb_text' : undefined);
  });
});

describe('tapFileUpload', () => {
  it('sends a .json file as it is', () => {
    const text = Buffer.from(JSON.stringify(encodeEnvoyTrace(tapCapture('/j')), null, 2));
    expect(tapFileUpload('t.json', text, 'json')).toEqual({ contentType: 'application/json', body: text });
  });

  it('wraps a .pb TraceWrapper into the TapRequest the server reads', () => {
    const bytes = pbTraceWrapper(proto, tapCapture('/pb', 503));
    const upload = tapFileUpload('t.pb', bytes, 'pb');
    expect(upload.contentType).toBe('application/x-protobuf');
    // protobufjs sees a TapRequest whose trace_data is the file's message…
    const theirs = proto.TapRequest.toObject(proto.TapRequest.decode(upload.body), { bytes: String });
    expect(theirs.trace_data).toEqual(proto.TraceWrapper.toObject(proto.TraceWrapper.decode(bytes), { bytes: String }));
    // …and so does the server's decoder.
    const capture = decodeTapRequest(upload.body, ctx);
    expect(pathOf(capture.request.headers)).toBe('/pb');
    expect(capture.response.headers).toEqual([[':status', '503']]);
  });

  it('turns every trace of a .pb_length_delimited file into one NDJSON body', () => {
    const bytes = pbLengthDelimited(proto, [tapCapture('/1'), tapCapture('/2', 502), tapCapture('/3', 504)]);
    const upload = tapFileUpload('t.pb_length_delimited', bytes, 'pb_length_delimited');
    expect(upload.contentType).toBe('application/x-ndjson');
    const lines = upload.body.toString().trimEnd().split('\n');
    const captures = lines.map((l) => decodeEnvoyTrace(JSON.parse(l), ctx));
    expect(captures.map((c) => [pathOf(c.request.headers), c.response.headers[0]![1], c.response.body?.bytes.toString()])).toEqual([
      ['/1', '500', 'failed at /1'],
      ['/2', '502', 'failed at /2'],
      ['/3', '504', 'failed at /3'],
    ]);
  });

  it.each([
    ['a .pb without http_buffered_trace', 'bad.pb', 'pb', () => Buffer.alloc(0), /^bad\.pb: TraceWrapper: http_buffered_trace \(field 1\) is missing/],
    ['a truncated .pb', 'bad.pb', 'pb', () => pbTraceWrapper(proto, tapCapture('/x')).subarray(0, 10), /^bad\.pb: TraceWrapper.* runs past the end/],
    [
      'a .pb_length_delimited with a bad second trace',
      'bad.pb_length_delimited',
      'pb_length_delimited',
      () => Buffer.concat([pbLengthDelimited(proto, [tapCapture('/ok')]), Buffer.from([0x02, 0x12, 0x00]), pbLengthDelimited(proto, [tapCapture('/ok2')])]),
      /^bad\.pb_length_delimited: trace 2 of 3: .*http_streamed_trace_segment \(field 2\) is not supported/,
    ],
    [
      'a .pb_length_delimited cut inside a trace',
      'cut.pb_length_delimited',
      'pb_length_delimited',
      () => pbLengthDelimited(proto, [tapCapture('/a'), tapCapture('/b')]).subarray(0, -3),
      /^cut\.pb_length_delimited: length-delimited stream ended inside the message/,
    ],
    ['an empty .pb_length_delimited', 'empty.pb_length_delimited', 'pb_length_delimited', () => Buffer.alloc(0), /^empty\.pb_length_delimited: the file holds no traces$/],
  ] as const)('rejects %s, naming the file', (_name, file, format, bytes, message) => {
    let err: unknown;
    try {
      tapFileUpload(file, bytes(), format);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoopError);
    expect((err as LoopError).code).toBe('INGEST_INVALID');
    expect((err as LoopError).message).toMatch(message);
  });
});

describe('expandTapFileArgs', () => {
  let taps: string;
  beforeAll(async () => {
    taps = path.join(dir, 'taps');
    await mkdir(taps);
    for (const name of ['tap_10.json', 'tap_2.json', 'tap_1.pb', 'tap_3.pb_length_delimited', 'tap_4.pb_text', 'notes.txt', '.hidden.json']) {
      await writeFile(path.join(taps, name), '');
    }
    await mkdir(path.join(taps, 'sub.json'));
  });
  const rel = (files: string[]): string[] => files.map((f) => path.relative(taps, f));

  it('lists a directory in trace-id order, skipping files that are not tap output', async () => {
    const got = await expandTapFileArgs([taps], 'auto');
    expect(rel(got.files)).toEqual(['tap_1.pb', 'tap_2.json', 'tap_3.pb_length_delimited', 'tap_4.pb_text', 'tap_10.json']);
    expect(rel(got.skipped)).toEqual(['notes.txt']);
    expect(got.problems).toEqual([]);
  });

  it('takes every file of a directory when the format is forced', async () => {
    const got = await expandTapFileArgs([taps], 'json');
    expect(rel(got.files)).toContain('notes.txt');
    expect(got.skipped).toEqual([]);
  });

  it('expands wildcards in the file name, and names each file once', async () => {
    const got = await expandTapFileArgs([path.join(taps, 'tap_*.json'), path.join(taps, 'tap_[12].*'), path.join(taps, 'tap_2.json')], 'auto');
    expect(rel(got.files)).toEqual(['tap_2.json', 'tap_10.json', 'tap_1.pb']);
    expect(got.problems).toEqual([]);
  });

  it('reports arguments that name nothing, and keeps the rest', async () => {
    const got = await expandTapFileArgs([path.join(taps, 'nope.json'), path.join(taps, 'zz_*.pb'), path.join(dir, '*', 'tap_1.pb'), path.join(taps, 'tap_1.pb')], 'auto');
    expect(rel(got.files)).toEqual(['tap_1.pb']);
    expect(got.problems.map((p) => [p.error.code, p.error.message.replace(dir, 'DIR')])).toEqual([
      ['NOT_FOUND', 'DIR/taps/nope.json: no such file or directory'],
      ['NOT_FOUND', 'DIR/taps/zz_*.pb: no files match'],
      ['BAD_REQUEST', 'DIR/*/tap_1.pb: wildcards are supported in the file name only, not in directories'],
    ]);
  });
});
