import { describe, expect, it } from 'vitest';
import type { CaptureInput } from './capture.js';
import { bareCapture, sampleCapture } from './capture-fixtures.test-helper.js';
import { type HarEntry, toHar } from './har-export.js';

/** The fields HAR 1.2 marks required, with their types; a checker independent of our types. */
function assertHarEntry(e: HarEntry): void {
  const req = e.request;
  const res = e.response;
  const nv = (list: unknown) => {
    expect(Array.isArray(list)).toBe(true);
    for (const x of list as Array<Record<string, unknown>>) {
      expect(typeof x.name).toBe('string');
      expect(typeof x.value).toBe('string');
    }
  };
  expect(Number.isNaN(Date.parse(e.startedDateTime))).toBe(false);
  expect(typeof e.time).toBe('number');
  expect(e.cache).toEqual({});
  for (const k of ['send', 'wait', 'receive'] as const) expect(typeof e.timings[k]).toBe('number');
  expect(typeof req.method).toBe('string');
  expect(() => new URL(req.url)).not.toThrow();
  expect(typeof req.httpVersion).toBe('string');
  nv(req.cookies);
  nv(req.headers);
  nv(req.queryString);
  expect(req.headersSize).toBe(-1);
  expect(typeof req.bodySize).toBe('number');
  if (req.postData) {
    expect(typeof req.postData.mimeType).toBe('string');
    expect(typeof req.postData.text).toBe('string');
  }
  expect(typeof res.status).toBe('number');
  expect(typeof res.statusText).toBe('string');
  expect(typeof res.httpVersion).toBe('string');
  nv(res.cookies);
  nv(res.headers);
  expect(typeof res.content.size).toBe('number');
  expect(typeof res.content.mimeType).toBe('string');
  expect(typeof res.redirectURL).toBe('string');
  expect(res.headersSize).toBe(-1);
  expect(typeof res.bodySize).toBe('number');
}

describe('toHar', () => {
  it('builds a HAR 1.2 log with required fields for every entry', () => {
    const captures = [sampleCapture(), bareCapture()];
    const har = toHar(captures, { creatorVersion: '1.2.3' });
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator).toEqual({ name: 'squash-loop', version: '1.2.3' });
    expect(har.log.entries).toHaveLength(2);
    for (const e of har.log.entries) assertHarEntry(e);
    // It is JSON: survives a text round trip unchanged.
    expect(JSON.parse(JSON.stringify(har))).toEqual(har);
  });

  it('maps a captured exchange onto the entry', () => {
    const [e] = toHar([sampleCapture()]).log.entries;
    expect(e!.startedDateTime).toBe('2026-03-01T10:00:00.250Z');
    expect(e!.time).toBe(250);
    expect(e!.timings.wait).toBe(250);
    expect(e!.request.method).toBe('POST');
    expect(e!.request.url).toBe('http://web.default:9090/pay?amount=10&currency=EUR');
    expect(e!.request.httpVersion).toBe('HTTP/1.1');
    expect(e!.request.headers.some((h) => h.name.startsWith(':'))).toBe(false);
    expect(e!.request.headers[0]).toEqual({ name: 'content-type', value: 'application/json' });
    expect(e!.request.queryString).toEqual([
      { name: 'amount', value: '10' },
      { name: 'currency', value: 'EUR' },
    ]);
    expect(e!.request.postData).toEqual({ mimeType: 'application/json', text: '{"card":"4111","amount":10}' });
    expect(e!.request.bodySize).toBe(27);
    expect(e!.response.status).toBe(500);
    expect(e!.response.statusText).toBe('Internal Server Error');
    expect(e!.response.content).toEqual({ size: 24, mimeType: 'text/plain', text: 'payment backend exploded' });
    expect(e!.response.cookies).toEqual([{ name: 'session', value: 'abc', path: '/', httpOnly: true }]);
    expect(e!.serverIPAddress).toBe('10.0.0.7');
  });

  it('uses host and :scheme for the URL, and defaults to http', () => {
    const c: CaptureInput = bareCapture();
    c.request.headers = [
      [':method', 'GET'],
      [':path', '/a%20b?q=a+b&x'],
      ['host', 'example.test'],
      ['cookie', 'a=1; b=2'],
    ];
    const [e] = toHar([c]).log.entries;
    expect(e!.request.url).toBe('http://example.test/a%20b?q=a+b&x');
    expect(e!.request.queryString).toEqual([
      { name: 'q', value: 'a b' },
      { name: 'x', value: '' },
    ]);
    expect(e!.request.cookies).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
    c.request.headers.push([':scheme', 'https'], [':authority', 'secure.test:8443']);
    expect(toHar([c]).log.entries[0]!.request.url).toBe('https://secure.test:8443/a%20b?q=a+b&x');
  });

  it('percent-encodes what a URL cannot carry raw in a captured path (spaces, markup, non-ASCII), already-encoded parts kept', () => {
    const c: CaptureInput = bareCapture();
    c.request.headers = [
      [':method', 'GET'],
      [':path', '/a b/<x>/é%20?q=ü'],
      ['host', 'example.test'],
    ];
    const url = toHar([c]).log.entries[0]!.request.url;
    expect(url).toBe('http://example.test/a%20b/<x>/%C3%A9%20?q=%C3%BC');
    expect(new URL(url).pathname).toBe('/a%20b/%3Cx%3E/%C3%A9%20');
  });

  it('writes binary bodies as base64: encoding on response content, a comment on request postData', () => {
    const c = sampleCapture();
    c.request.body = { bytes: Buffer.from([0xff, 0xfe, 0x00]), truncated: true };
    c.response.body = { bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]), truncated: false };
    c.response.headers = [[':status', '200'], ['content-type', 'image/png']];
    const [e] = toHar([c]).log.entries;
    expect(e!.request.postData).toEqual({
      mimeType: 'application/json',
      text: '//4A',
      comment: 'text is base64: the request body is binary; body was truncated at 3 bytes by the tap',
    });
    expect(e!.response.content).toEqual({ size: 4, mimeType: 'image/png', text: 'iVBORw==', encoding: 'base64' });
  });

  it('shows a missing response as status 0 with empty content, and form posts as params', () => {
    const c = bareCapture();
    c.request.headers = [
      [':method', 'POST'],
      [':path', '/form'],
      ['content-type', 'application/x-www-form-urlencoded'],
    ];
    c.request.body = { bytes: Buffer.from('a=1&b=x+y'), truncated: false };
    const [e] = toHar([c]).log.entries;
    assertHarEntry(e!);
    expect(e!.request.method).toBe('POST');
    expect(e!.response.status).toBe(0);
    expect(e!.response.content).toEqual({ size: 0, mimeType: '' });
    expect(e!.time).toBe(0);
    expect(e!.request.postData?.params).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: 'x y' },
    ]);
  });
});
