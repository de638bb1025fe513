import { describe, expect, it } from 'vitest';
import { isLoopError } from '../core/errors.js';
import { ENVOY_TRACE_TEXT, bareCapture, sampleCapture } from './capture-fixtures.test-helper.js';
import { decodeEnvoyTrace, encodeEnvoyTrace } from './envoy-trace-json.js';

const ctx = { source: 'envoy-admin', now: () => new Date('2030-01-01T00:00:00Z') };

/** A minimal valid trace with `request` replaced by the given value. */
function withRequest(request: unknown): unknown {
  return { http_buffered_trace: { request } };
}

describe('decodeEnvoyTrace', () => {
  it('decodes a trace as Envoy prints it', () => {
    const c = decodeEnvoyTrace(JSON.parse(ENVOY_TRACE_TEXT), ctx);
    expect(c.request.headers.slice(0, 3)).toEqual([
      [':authority', 'localhost:10000'],
      [':path', '/orders/7'],
      [':method', 'PUT'],
    ]);
    expect(c.request.body?.bytes.toString()).toBe('{"qty":3}');
    expect(c.request.body?.truncated).toBe(false);
    expect(c.response.headers[0]).toEqual([':status', '503']);
    expect(c.response.body).toBeUndefined();
    expect(c.request.headersReceivedAt).toBe('2026-03-01T12:00:00.100Z');
    expect(c.response.headersReceivedAt).toBe('2026-03-01T12:00:00.142500Z');
    expect(c.capturedAt).toBe('2026-03-01T12:00:00.142500Z');
    expect(c.durationMs).toBe(42.5);
    expect(c.destination).toBe('127.0.0.1:9091');
    expect(c.source).toBe('envoy-admin');
    expect(c.tapConfig).toBe('');
    expect(c.downstream).toEqual({ local: { address: '127.0.0.1', port: 10000 }, remote: { address: '127.0.0.1', port: 51000 } });
    expect(c.upstream?.local).toEqual({ address: '127.0.0.1', port: 52000 });
  });

  it('uses raw_value (as Latin-1 bytes) when value is empty, and ignores it otherwise', () => {
    const c = decodeEnvoyTrace(
      withRequest({
        headers: [
          { key: 'x-odd', value: '', raw_value: Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('base64') },
          { key: 'x-no-value', raw_value: Buffer.from('abc').toString('base64') },
          { key: 'x-both', value: 'text', raw_value: Buffer.from('other').toString('base64') },
          { key: 'x-empty', value: '', raw_value: '' },
        ],
      }),
      ctx,
    );
    expect(c.request.headers).toEqual([
      ['x-odd', 'café'],
      ['x-no-value', 'abc'],
      ['x-both', 'text'],
      ['x-empty', ''],
    ]);
  });

  it.each([
    ['as_bytes', { truncated: true, as_bytes: Buffer.from([0, 1, 2, 255]).toString('base64') }, [0, 1, 2, 255], true],
    ['as_bytes url-safe, unpadded', { as_bytes: '-_8' }, [0xfb, 0xff], false],
    ['as_string', { truncated: false, as_string: 'héllo' }, [...Buffer.from('héllo')], false],
    ['empty body object', {}, [], false],
    ['asBytes (lowerCamelCase)', { asBytes: 'AQI=' }, [1, 2], false],
    ['asString (lowerCamelCase)', { asString: 'x' }, [0x78], false],
  ])('decodes a body given %s', (_name, body, bytes, truncated) => {
    const c = decodeEnvoyTrace(withRequest({ headers: [], body }), ctx);
    expect([...(c.request.body?.bytes ?? [])]).toEqual(bytes);
    expect(c.request.body?.truncated).toBe(truncated);
  });

  it('has no body when the trace has no body key', () => {
    const c = decodeEnvoyTrace(withRequest({ headers: [{ key: ':method', value: 'GET' }] }), ctx);
    expect('body' in c.request).toBe(false);
  });

  it('keeps trailers in order', () => {
    const c = decodeEnvoyTrace(
      { http_buffered_trace: { request: {}, response: { trailers: [{ key: 'grpc-status', value: '0' }, { key: 'grpc-message', value: 'ok' }] } } },
      ctx,
    );
    expect(c.response.trailers).toEqual([
      ['grpc-status', '0'],
      ['grpc-message', 'ok'],
    ]);
  });

  it('accepts lowerCamelCase names, string port numbers and null for absent', () => {
    const c = decodeEnvoyTrace(
      {
        httpBufferedTrace: {
          request: { headers: [], headersReceivedTime: '2026-03-01T12:00:00+01:00', body: null },
          response: null,
          upstreamConnection: { remoteAddress: { socketAddress: { address: '::1', portValue: '8080' } } },
        },
      },
      ctx,
    );
    expect(c.request.headersReceivedAt).toBe('2026-03-01T11:00:00Z');
    expect(c.request.body).toBeUndefined();
    expect(c.upstream?.remote).toEqual({ address: '::1', port: 8080 });
    expect(c.destination).toBe('[::1]:8080');
  });

  it('accepts a Timestamp object with int64 seconds as a string (uint64/int64 JSON form)', () => {
    const c = decodeEnvoyTrace(
      withRequest({ headers: [], headers_received_time: { seconds: '1772366400', nanos: 5000 } }),
      ctx,
    );
    expect(c.request.headersReceivedAt).toBe('2026-03-01T12:00:00.000005Z');
  });

  it('fills defaults when the response is absent: empty headers, no duration, capturedAt from the request', () => {
    const c = decodeEnvoyTrace(withRequest({ headers: [], headers_received_time: '2026-03-01T12:00:00Z' }), ctx);
    expect(c.response).toEqual({ headers: [], trailers: [] });
    expect(c.durationMs).toBeNull();
    expect(c.capturedAt).toBe('2026-03-01T12:00:00Z');
    expect(c.destination).toBe('');
  });

  it('falls back to the clock for capturedAt and lets the context override everything', () => {
    expect(decodeEnvoyTrace(withRequest({}), ctx).capturedAt).toBe('2030-01-01T00:00:00.000Z');
    const c = decodeEnvoyTrace(JSON.parse(ENVOY_TRACE_TEXT), {
      source: 'gloo',
      tapConfig: 'default/five-hundreds',
      capturedAt: '2026-01-01T00:00:00Z',
      destination: 'payment:9090',
    });
    expect([c.source, c.tapConfig, c.capturedAt, c.destination]).toEqual(['gloo', 'default/five-hundreds', '2026-01-01T00:00:00Z', 'payment:9090']);
  });

  it('skips non-socket addresses (pipes) and ignores unknown fields', () => {
    const c = decodeEnvoyTrace(
      {
        http_buffered_trace: {
          request: { headers: [], future_field: 1 },
          downstream_connection: { local_address: { pipe: { path: '/tmp/s' } } },
        },
      },
      ctx,
    );
    expect(c.downstream).toEqual({});
  });

  const bad: Array<[string, unknown, string]> = [
    ['not an object', [], 'trace: expected a JSON object (an Envoy TraceWrapper), got array'],
    ['null', null, 'trace: expected a JSON object (an Envoy TraceWrapper), got null'],
    ['empty object', {}, 'trace: expected an Envoy TraceWrapper with http_buffered_trace, got an empty object'],
    ['unknown shape', { foo: 1, bar: 2 }, 'trace: expected an Envoy TraceWrapper with http_buffered_trace, got keys "foo", "bar"'],
    [
      'streamed segment',
      { http_streamed_trace_segment: { trace_id: '1' } },
      'http_streamed_trace_segment: streamed HTTP trace segments are not supported; only buffered HTTP traces (http_buffered_trace) can be captured',
    ],
    ['socket trace', { socketBufferedTrace: {} }, 'socket_buffered_trace: socket (transport) traces are not supported'],
    ['trace not an object', { http_buffered_trace: 'x' }, 'http_buffered_trace: expected an object, got string'],
    ['both spellings', { http_buffered_trace: {}, httpBufferedTrace: {} }, 'both http_buffered_trace and httpBufferedTrace given'],
    ['request not an object', withRequest(5), 'http_buffered_trace.request: expected an object, got number'],
    ['headers not an array', withRequest({ headers: {} }), 'http_buffered_trace.request.headers: expected an array of {key, value}, got object'],
    ['header not an object', withRequest({ headers: [{ key: 'a', value: 'b' }, 'x'] }), 'http_buffered_trace.request.headers[1]: expected an object {key, value}, got string'],
    [
      'header value a number',
      withRequest({ headers: [{ key: 'a' }, { key: 'b' }, { key: 'c' }, { key: 'd', value: 7 }] }),
      'http_buffered_trace.request.headers[3].value: expected a string, got number',
    ],
    ['header key not a string', withRequest({ headers: [{ key: true }] }), 'http_buffered_trace.request.headers[0].key: expected a string, got boolean'],
    ['raw_value not base64', withRequest({ headers: [{ key: 'a', raw_value: '!!!' }] }), 'http_buffered_trace.request.headers[0].raw_value: expected base64'],
    ['trailer value', { http_buffered_trace: { response: { trailers: [{ key: 'a', value: [] }] } } }, 'http_buffered_trace.response.trailers[0].value: expected a string, got array'],
    ['body not an object', withRequest({ body: 'abc' }), 'http_buffered_trace.request.body: expected an object {as_bytes | as_string, truncated}, got string'],
    ['body both forms', withRequest({ body: { as_bytes: '', as_string: '' } }), 'http_buffered_trace.request.body: as_bytes and as_string are one field (a oneof)'],
    ['as_bytes not base64', withRequest({ body: { as_bytes: 'a' } }), 'http_buffered_trace.request.body.as_bytes: expected base64'],
    ['as_bytes with a stray character', withRequest({ body: { as_bytes: 'AAAA!A==' } }), 'http_buffered_trace.request.body.as_bytes: expected base64'],
    ['as_bytes with inner whitespace', withRequest({ body: { as_bytes: 'AA AA' } }), 'http_buffered_trace.request.body.as_bytes: expected base64'],
    ['as_bytes with inner padding', withRequest({ body: { as_bytes: 'AA=AAAAA' } }), 'http_buffered_trace.request.body.as_bytes: expected base64'],
    ['as_bytes a number', withRequest({ body: { as_bytes: 12 } }), 'http_buffered_trace.request.body.as_bytes: expected a base64 string, got number'],
    ['truncated a string', withRequest({ body: { truncated: 'false' } }), 'http_buffered_trace.request.body.truncated: expected a boolean, got string'],
    ['bad time', withRequest({ headers_received_time: '2026-02-30T00:00:00Z' }), 'http_buffered_trace.request.headers_received_time: expected an RFC 3339 timestamp'],
    ['time a number', withRequest({ headers_received_time: 5 }), 'http_buffered_trace.request.headers_received_time: expected an RFC 3339 timestamp string, got number'],
    ['time nanos out of range', withRequest({ headers_received_time: { seconds: 1, nanos: 1e9 } }), 'headers_received_time: expected a time between years 1 and 9999'],
    ['time seconds garbage', withRequest({ headers_received_time: { seconds: '1e3' } }), 'headers_received_time.seconds: expected an integer (number or decimal string), got string'],
    [
      'port out of range',
      { http_buffered_trace: { upstream_connection: { remote_address: { socket_address: { address: 'a', port_value: 70000 } } } } },
      'http_buffered_trace.upstream_connection.remote_address.socket_address.port_value: expected a port 0..65535 (number or string), got 70000',
    ],
    [
      'port a bad string',
      { http_buffered_trace: { downstream_connection: { local_address: { socket_address: { port_value: 'http' } } } } },
      'downstream_connection.local_address.socket_address.port_value: expected a port 0..65535 (number or string), got "http"',
    ],
    ['address a number', { http_buffered_trace: { upstream_connection: { remote_address: { socket_address: { address: 1 } } } } }, 'socket_address.address: expected a string, got number'],
    ['connection an array', { http_buffered_trace: { upstream_connection: [] } }, 'http_buffered_trace.upstream_connection: expected an object {local_address, remote_address}, got array'],
  ];

  it.each(bad)('rejects %s', (_name, input, message) => {
    let err: unknown;
    try {
      decodeEnvoyTrace(input, ctx);
    } catch (e) {
      err = e;
    }
    expect(isLoopError(err, 'INGEST_INVALID')).toBe(true);
    expect((err as Error).message).toContain(message);
  });
});

describe('decodeEnvoyTrace on generated hostile input', () => {
  it('throws nothing but LoopError INGEST_INVALID when any part of a trace is replaced', () => {
    let seed = 99;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const junk = [null, 0, -1, 2 ** 70, 'x', '', '=', [], {}, [1], { key: 1 }, true, '2026-13-01T00:00:00Z', { seconds: 'x' }];
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, at: Array<string | number>) => {
      paths.push(at);
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, Array.isArray(v) ? Number(k) : k]);
    };
    walk(JSON.parse(ENVOY_TRACE_TEXT), []);
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = JSON.parse(ENVOY_TRACE_TEXT) as Record<string | number, unknown>;
      const at = paths[Math.floor(random() * paths.length)]!;
      const value = junk[Math.floor(random() * junk.length)];
      if (at.length === 0) {
        try {
          decodeEnvoyTrace(value, ctx);
        } catch (err) {
          expect(isLoopError(err, 'INGEST_INVALID')).toBe(true);
          rejected++;
        }
        continue;
      }
      let parent: Record<string | number, unknown> = doc;
      for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      parent[at[at.length - 1]!] = value;
      try {
        decodeEnvoyTrace(doc, ctx);
      } catch (err) {
        expect(isLoopError(err, 'INGEST_INVALID')).toBe(true);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});

describe('encodeEnvoyTrace', () => {
  it('prints exactly what Envoy prints: snake_case, truncated and trailers always present, base64 bodies', () => {
    const c = bareCapture();
    c.request.body = { bytes: Buffer.from('hi'), truncated: false };
    c.response.headers = [[':status', '200']];
    c.request.headersReceivedAt = '2026-03-01T12:00:00.5Z';
    c.upstream = { remote: { address: '10.0.0.1', port: 80 } };
    expect(JSON.stringify(encodeEnvoyTrace(c))).toBe(
      JSON.stringify({
        http_buffered_trace: {
          request: {
            headers: [
              { key: ':method', value: 'GET' },
              { key: ':path', value: '/' },
            ],
            body: { truncated: false, as_bytes: 'aGk=' },
            trailers: [],
            headers_received_time: '2026-03-01T12:00:00.500Z',
          },
          response: { headers: [{ key: ':status', value: '200' }], trailers: [] },
          upstream_connection: { remote_address: { socket_address: { address: '10.0.0.1', port_value: 80 } } },
        },
      }),
    );
  });

  it('writes as_string only when asked', () => {
    const c = sampleCapture();
    expect(encodeEnvoyTrace(c, { bodyAs: 'string' }).http_buffered_trace.request.body).toEqual({
      truncated: false,
      as_string: '{"card":"4111","amount":10}',
    });
  });

  it('re-encodes a decoded Envoy trace to the same JSON', () => {
    const original = JSON.parse(ENVOY_TRACE_TEXT) as Record<string, unknown>;
    const again = encodeEnvoyTrace(decodeEnvoyTrace(original, ctx));
    // raw_value is re-encoded as a plain value (the decoded Latin-1 text); everything else is identical.
    const expectedJson = JSON.parse(ENVOY_TRACE_TEXT.replace('"value": "",\n     "raw_value": "Y2Fm6Q=="', '"value": "café"'));
    expect(again).toEqual(expectedJson);
  });

  it.each([
    ['full capture', sampleCapture()],
    ['bare capture', bareCapture()],
    ['truncated binary body', sampleCapture({ request: { headers: [], body: { bytes: Buffer.from([0, 255, 10]), truncated: true }, trailers: [] } })],
    ['empty body', sampleCapture({ response: { headers: [[':status', '204']], body: { bytes: Buffer.alloc(0), truncated: false }, trailers: [] } })],
  ])('round-trips a %s through JSON text', (_name, capture) => {
    const text = JSON.stringify(encodeEnvoyTrace(capture));
    const back = decodeEnvoyTrace(JSON.parse(text), {
      source: capture.source,
      tapConfig: capture.tapConfig,
      capturedAt: capture.capturedAt,
      destination: capture.destination,
    });
    expect(back).toEqual({ ...capture, durationMs: back.durationMs });
    if (capture.request.headersReceivedAt && capture.response.headersReceivedAt) expect(back.durationMs).toBe(capture.durationMs);
  });
});
