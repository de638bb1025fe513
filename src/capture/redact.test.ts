import { describe, expect, it } from 'vitest';
import type { CaptureInput } from './capture.js';
import { bareCapture, sampleCapture } from './capture-fixtures.test-helper.js';
import { DEFAULT_REDACTED_HEADERS, createRedactor, redactCapture } from './redact.js';

function withBody(json: string, truncated = false): CaptureInput {
  const c = bareCapture();
  c.request.body = { bytes: Buffer.from(json), truncated };
  return c;
}
const bodyOf = (c: CaptureInput): unknown => JSON.parse(c.request.body!.bytes.toString());

/** A structural copy including Buffers' contents, to prove the input was not mutated. */
const snapshot = (c: CaptureInput): string => JSON.stringify(c, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v));

describe('redactCapture', () => {
  it('exports the default header list', () => {
    expect(DEFAULT_REDACTED_HEADERS).toEqual(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
  });

  it('redacts the default headers in requests, responses, headers and trailers, whatever their case', () => {
    const c = bareCapture();
    c.request.headers.push(['Authorization', 'Bearer x'], ['COOKIE', 'a=b'], ['accept', '*/*'], ['Proxy-Authorization', 'Basic y']);
    c.request.trailers.push(['cookie', 'late']);
    c.response.headers.push(['Set-Cookie', 's=1'], ['set-cookie', 't=2']);
    const r = redactCapture(c, {});
    expect(r.request.headers).toEqual([
      [':method', 'GET'],
      [':path', '/'],
      ['Authorization', '[REDACTED]'],
      ['COOKIE', '[REDACTED]'],
      ['accept', '*/*'],
      ['Proxy-Authorization', '[REDACTED]'],
    ]);
    expect(r.request.trailers).toEqual([['cookie', '[REDACTED]']]);
    expect(r.response.headers).toEqual([
      ['Set-Cookie', '[REDACTED]'],
      ['set-cookie', '[REDACTED]'],
    ]);
  });

  it('redacts configured headers too, case-insensitively', () => {
    const c = sampleCapture();
    c.request.headers.push(['X-Api-Key', 'k']);
    const r = redactCapture(c, { headers: ['x-API-key'] });
    expect(r.request.headers.find(([n]) => n === 'X-Api-Key')).toEqual(['X-Api-Key', '[REDACTED]']);
  });

  it.each([
    ['a top-level field', '{"user":"a","password":"p"}', ['password'], { user: 'a', password: '[REDACTED]' }],
    ['a nested field', '{"user":{"name":"a","password":"p"}}', ['user.password'], { user: { name: 'a', password: '[REDACTED]' } }],
    ['array elements', '{"cards":[{"number":"4111","exp":"12/30"},{"number":"5500"},{"other":1}]}', ['cards.*.number'], { cards: [{ number: '[REDACTED]', exp: '12/30' }, { number: '[REDACTED]' }, { other: 1 }] }],
    ['any key', '{"a":{"token":1},"b":{"token":2},"c":3}', ['*.token'], { a: { token: '[REDACTED]' }, b: { token: '[REDACTED]' }, c: 3 }],
    ['a whole object', '{"secret":{"deep":[1,2]}}', ['secret'], { secret: '[REDACTED]' }],
    ['a top-level array', '[{"pin":1},{"pin":2}]', ['*.pin'], [{ pin: '[REDACTED]' }, { pin: '[REDACTED]' }]],
    ['an array index', '{"list":["a","b"]}', ['list.1'], { list: ['a', '[REDACTED]'] }],
    ['a missing path (no change)', '{"a":1}', ['b.c', 'a.b'], { a: 1 }],
    ['a __proto__ key, as data', '{"__proto__":{"x":1}}', ['__proto__'], JSON.parse('{"__proto__":"[REDACTED]"}') as unknown],
  ])('redacts JSON body fields: %s', (_name, json, jsonFields, expected) => {
    const r = redactCapture(withBody(json), { jsonFields });
    expect(bodyOf(r)).toEqual(expected);
    expect(Object.getPrototypeOf(bodyOf(r))).toBe(Array.isArray(expected) ? Array.prototype : Object.prototype);
  });

  it('leaves bodies that are not JSON, without failing', () => {
    for (const c of [withBody('password=p'), withBody('{not json}'), withBody('{"password":"p')]) {
      const r = redactCapture(c, { jsonFields: ['password'] });
      expect(r.request.body).toBe(c.request.body);
    }
  });

  it.each([
    // [jsonFields, body cut off mid-document (a tap's cap, Envoy's max_buffered_*_bytes), what is kept]
    [['password'], '{"user":"ann","password":"hunter2","more":"x', '{"user":"ann",'],
    [['card.number', 'password'], '{"a":1,"card":{"number":"4111","cvc":"1', '{"a":1,"card":{'],
    [['cards.*.number'], '[{"id":1},{"number":"4111"', '[{"id":1},{'],
    [['*'], '{"a":"b","c":', ''],
    [['password'], '{"user":"ann","more":"x', '{"user":"ann","more":"x'],
  ])('cuts a truncated JSON body before the first configured field (%j)', (jsonFields, cut, kept) => {
    const r = redactCapture(withBody(cut, true), { jsonFields });
    expect(r.request.body).toEqual({ bytes: Buffer.from(kept), truncated: true });
  });

  it('keeps the truncated flag when a truncated body still parses', () => {
    const r = redactCapture(withBody('{"password":"p"}', true), { jsonFields: ['password'] });
    expect(r.request.body?.truncated).toBe(true);
    expect(bodyOf(r)).toEqual({ password: '[REDACTED]' });
  });

  it('never mutates its input', () => {
    const c = sampleCapture();
    c.request.body = { bytes: Buffer.from('{"card":"4111"}'), truncated: false };
    const before = snapshot(c);
    const r = redactCapture(c, { headers: ['x-request-id'], jsonFields: ['card'] });
    expect(snapshot(c)).toBe(before);
    expect(r).not.toBe(c);
    expect(r.request.headers.find(([n]) => n === 'x-request-id')?.[1]).toBe('[REDACTED]');
    expect(bodyOf(r)).toEqual({ card: '[REDACTED]' });
  });

  it('returns the very same objects when nothing needs redacting (the ingest fast path)', () => {
    const c = bareCapture();
    c.request.body = { bytes: Buffer.from('{"a":1}'), truncated: false };
    c.response.headers.push([':status', '200']);
    const redact = createRedactor({ headers: ['x-key'], jsonFields: ['password'] });
    const r = redact(c);
    expect(r).toBe(c);
    const onlyResponse = sampleCapture();
    onlyResponse.request.headers = onlyResponse.request.headers.filter(([n]) => n !== 'authorization');
    const r2 = redact(onlyResponse);
    expect(r2.request).toBe(onlyResponse.request);
    expect(r2.response).not.toBe(onlyResponse.response);
  });
});

describe('redaction patterns', () => {
  const TOKEN = 'sk_live_0123456789abcdefABCDEFgh';
  const rules = { patterns: ['sk_live_[0-9a-zA-Z]{24}'] };

  it('replaces matches in header values and trailers, keeping the rest of the value', () => {
    const c = bareCapture();
    c.request.headers.push(['x-token', `key=${TOKEN}; other=1`], [':path', `/cb?t=${TOKEN}`]);
    c.response.trailers.push(['x-echo', TOKEN]);
    const r = redactCapture(c, rules);
    expect(r.request.headers).toContainEqual(['x-token', 'key=[REDACTED]; other=1']);
    expect(r.request.headers).toContainEqual([':path', '/cb?t=[REDACTED]']);
    expect(r.response.trailers).toEqual([['x-echo', '[REDACTED]']]);
  });

  it('replaces matches in text bodies, every occurrence, and in binary bodies byte for byte around them', () => {
    const text = redactCapture(withBody(`first ${TOKEN} then ${TOKEN}.`), rules);
    expect(text.request.body!.bytes.toString()).toBe('first [REDACTED] then [REDACTED].');
    const binary = bareCapture();
    binary.request.body = { bytes: Buffer.concat([Buffer.from([0xff, 0x00, 0xfe]), Buffer.from(TOKEN), Buffer.from([0x80])]), truncated: false };
    const rb = redactCapture(binary, rules).request.body!.bytes;
    expect(rb).toEqual(Buffer.concat([Buffer.from([0xff, 0x00, 0xfe]), Buffer.from('[REDACTED]'), Buffer.from([0x80])]));
  });

  it('replaces matches in the string values of JSON bodies, even when escaped, and not in keys', () => {
    const escaped = JSON.stringify({ a: [{ b: `x ${TOKEN}` }] }).replace('sk_', '\\u0073k_');
    expect(escaped).not.toContain(TOKEN);
    const r = redactCapture(withBody(escaped), rules);
    expect(bodyOf(r)).toEqual({ a: [{ b: 'x [REDACTED]' }] });
    const key = redactCapture(withBody(`{"${TOKEN}":1}`), rules);
    expect(bodyOf(key)).toEqual({ [TOKEN]: 1 });
  });

  it('scans a JSON body cut off by the cap as text', () => {
    const r = redactCapture(withBody(`{"t":"${TOKEN}","more":`, true), rules);
    expect(r.request.body!.bytes.toString()).toBe('{"t":"[REDACTED]","more":');
    expect(r.request.body!.truncated).toBe(true);
  });

  it('combines with headers and jsonFields, and returns the same capture when nothing matched', () => {
    const c = withBody('{"password":"p","note":"nothing here"}');
    c.request.headers.push(['authorization', 'Bearer x']);
    const r = redactCapture(c, { jsonFields: ['password'], patterns: ['nothing'] });
    expect(bodyOf(r)).toEqual({ password: '[REDACTED]', note: '[REDACTED] here' });
    const clean = bareCapture();
    clean.request.body = { bytes: Buffer.from('plain text'), truncated: false };
    expect(createRedactor(rules)(clean)).toBe(clean);
  });

  it('refuses an invalid pattern when compiling', () => {
    expect(() => createRedactor({ patterns: ['a*'] })).toThrow(/empty string/);
  });
});
