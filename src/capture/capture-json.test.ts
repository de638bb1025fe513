import { describe, expect, it } from 'vitest';
import { LoopError } from '../core/errors.js';
import { bareCapture, sampleCapture } from './capture-fixtures.test-helper.js';
import { captureInputFromJson, captureToJson } from './capture-json.js';

/** Through JSON text and back, as the HTTP API and gateways do. */
const viaText = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('captureToJson', () => {
  it('writes UTF-8 bodies as text and everything else as base64, with size and truncated', () => {
    const c = sampleCapture();
    c.response.body = { bytes: Buffer.from([0xff, 0x00, 0x41]), truncated: true };
    const j = captureToJson({ ...c, id: 7 });
    expect(j.id).toBe(7);
    expect(j.request.body).toEqual({ encoding: 'utf8', data: '{"card":"4111","amount":10}', truncated: false, size: 27 });
    expect(j.response.body).toEqual({ encoding: 'base64', data: '/wBB', truncated: true, size: 3 });
    expect(j.request.headers).toEqual(c.request.headers);
  });

  it('has no id for a CaptureInput and no body key for a message without body', () => {
    const j = captureToJson(bareCapture());
    expect('id' in j).toBe(false);
    expect('body' in j.request).toBe(false);
  });
});

describe('captureInputFromJson', () => {
  it.each([
    ['full capture', sampleCapture()],
    ['bare capture', bareCapture()],
    ['binary body', sampleCapture({ request: { headers: [], body: { bytes: Buffer.from([0xc3, 0x28, 0]), truncated: true }, trailers: [] } })],
  ])('round-trips a %s', (_name, capture) => {
    expect(captureInputFromJson(viaText(captureToJson(capture)), 'capture')).toEqual(capture);
  });

  it('ignores id and fills optional fields', () => {
    const c = captureInputFromJson(
      { id: 3, capturedAt: '2026-03-01T10:00:00Z', source: 'gw', request: { headers: [] }, response: { headers: [] } },
      'c',
    );
    expect(c).toEqual({
      capturedAt: '2026-03-01T10:00:00Z',
      tapConfig: '',
      source: 'gw',
      destination: '',
      durationMs: null,
      request: { headers: [], trailers: [] },
      response: { headers: [], trailers: [] },
    });
  });

  const good = () => viaText(captureToJson(sampleCapture())) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const bad: Array<[string, (v: Record<string, any>) => unknown, string]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['not an object', () => 'x', 'captures[2]: expected an object, got string'],
    ['an unknown key', (v) => ({ ...v, colour: 'red' }), 'captures[2]: unknown field "colour"; expected only id, capturedAt'],
    ['capturedAt missing', (v) => ({ ...v, capturedAt: undefined }), 'captures[2].capturedAt: expected an RFC 3339 time string, got undefined'],
    ['capturedAt not a time', (v) => ({ ...v, capturedAt: 'yesterday' }), 'captures[2].capturedAt: expected an RFC 3339 time, got "yesterday"'],
    ['source a number', (v) => ({ ...v, source: 1 }), 'captures[2].source: expected a string, got number'],
    ['durationMs negative', (v) => ({ ...v, durationMs: -1 }), 'captures[2].durationMs: expected a non-negative number or null, got number'],
    ['request missing', (v) => ({ ...v, request: undefined }), 'captures[2].request: expected an object, got undefined'],
    ['headers missing', (v) => ({ ...v, request: { trailers: [] } }), 'captures[2].request.headers: expected an array of [name, value] pairs, got undefined'],
    [
      'a header value a number',
      (v) => ({ ...v, request: { ...v.request, headers: [['a', 'b'], ['c', 1]] } }),
      'captures[2].request.headers[1]: expected a [name, value] pair of strings, got [string, number]',
    ],
    ['a header triple', (v) => ({ ...v, response: { ...v.response, headers: [['a', 'b', 'c']] } }), 'captures[2].response.headers[0]: expected a [name, value] pair of strings, got an array of 3'],
    ['a trailer object', (v) => ({ ...v, response: { ...v.response, trailers: [{ k: 'v' }] } }), 'captures[2].response.trailers[0]: expected a [name, value] pair of strings, got object'],
    ['a bad encoding', (v) => ({ ...v, request: { ...v.request, body: { ...v.request.body, encoding: 'hex' } } }), 'captures[2].request.body.encoding: expected "utf8" or "base64", got "hex"'],
    ['bad base64', (v) => ({ ...v, request: { ...v.request, body: { encoding: 'base64', data: 'abc', truncated: false } } }), 'captures[2].request.body.data: expected padded standard base64'],
    ['a size mismatch', (v) => ({ ...v, request: { ...v.request, body: { ...v.request.body, size: 5 } } }), 'captures[2].request.body.size: expected 27 (the byte length of data), got 5'],
    ['truncated missing', (v) => ({ ...v, request: { ...v.request, body: { encoding: 'utf8', data: '' } } }), 'captures[2].request.body.truncated: expected a boolean, got undefined'],
    ['a bad headersReceivedAt', (v) => ({ ...v, response: { ...v.response, headersReceivedAt: 12 } }), 'captures[2].response.headersReceivedAt: expected an RFC 3339 time string, got number'],
    ['a port out of range', (v) => ({ ...v, upstream: { remote: { address: 'a', port: 70000 } } }), 'captures[2].upstream.remote.port: expected an integer port 0..65535, got 70000'],
    ['an address missing', (v) => ({ ...v, downstream: { local: { port: 1 } } }), 'captures[2].downstream.local.address: expected a string, got undefined'],
  ];

  it.each(bad)('rejects %s, naming the field', (_name, mutate, message) => {
    let err: unknown;
    try {
      captureInputFromJson(mutate(good()), 'captures[2]');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoopError);
    expect((err as LoopError).code).toBe('INGEST_INVALID');
    expect((err as LoopError).message).toContain(message);
  });
});
