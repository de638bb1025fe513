import { describe, expect, it } from 'vitest';
import { forwardedTrailers, requestFraming, upstreamRequestHeaders, withoutHopByHop } from './proxy-headers.js';

const facts = { remoteAddress: '10.1.1.1', scheme: 'http' as const, fallbackHost: 'web:9090', dropExpect: true };

describe('proxy headers', () => {
  it('drops hop-by-hop headers and every header named in Connection, keeping the rest in order', () => {
    const raw = ['Host', 'a', 'Connection', 'close, X-Hop', 'connection', 'x-other', 'X-Hop', '1', 'X-Other', '2', 'Keep-Alive', 'timeout=5', 'Proxy-Connection', 'x', 'TE', 'trailers', 'Trailer', 'x-sum', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'X-End', '3', 'x-end', '4'];
    expect(withoutHopByHop(raw)).toEqual(['Host', 'a', 'X-End', '3', 'x-end', '4']);
  });

  it('keeps Content-Length and Host even when Connection names them: the body is framed and the request routed by them', () => {
    const raw = ['Host', 'a', 'Connection', 'content-length, Host, X-Hop', 'X-Hop', '1', 'Content-Length', '5'];
    expect(upstreamRequestHeaders(raw, facts)).toEqual(['Host', 'a', 'Content-Length', '5', 'X-Forwarded-For', '10.1.1.1', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', 'a']);
    expect(withoutHopByHop(['Connection', 'content-length', 'Content-Length', '2'])).toEqual(['Content-Length', '2']);
  });

  it('drops Content-Length from a message that came with Transfer-Encoding too: its body was read as chunked', () => {
    expect(withoutHopByHop(['Content-Length', '10', 'X-A', '1', 'transfer-encoding', 'chunked', 'content-length', '10'])).toEqual(['X-A', '1']);
    expect(withoutHopByHop(['Content-Length', '10', 'X-A', '1'])).toEqual(['Content-Length', '10', 'X-A', '1']);
  });

  it('passes on trailers other than hop-by-hop ones, Content-Length, Host and X-Forwarded-*', () => {
    const raw = ['X-Sum', '1', 'content-length', '5', 'Transfer-Encoding', 'chunked', 'HOST', 'evil', 'X-Forwarded-For', '6.6.6.6', 'x-forwarded-host', 'h', 'Connection', 'close', 'X-Other', '2'];
    expect(forwardedTrailers(raw)).toEqual(['X-Sum', '1', 'X-Other', '2']);
    expect(forwardedTrailers(['Content-Length', '5'])).toBeUndefined();
  });

  it('appends the peer to X-Forwarded-For (joining repeated headers) and sets -Proto and -Host from what was seen', () => {
    const raw = ['Host', 'shop:8081', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'spoofed', 'Accept', '*/*'];
    expect(upstreamRequestHeaders(raw, facts)).toEqual(['Host', 'shop:8081', 'Accept', '*/*', 'X-Forwarded-For', '1.1.1.1, 2.2.2.2, 10.1.1.1', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', 'shop:8081']);
  });

  it('sends the destination name as Host when the request had none (HTTP/1.0)', () => {
    expect(upstreamRequestHeaders(['Accept', '*/*'], facts)).toEqual(['Host', 'web:9090', 'Accept', '*/*', 'X-Forwarded-For', '10.1.1.1', 'X-Forwarded-Proto', 'http']);
  });

  it('drops Expect only when Node already answered 100 Continue', () => {
    const raw = ['Host', 'h', 'Expect', '100-continue'];
    expect(upstreamRequestHeaders(raw, facts)).not.toContain('Expect');
    expect(upstreamRequestHeaders(raw, { ...facts, dropExpect: false })).toContain('Expect');
  });

  it.each([
    [['Content-Length', ' 12 '], { chunked: false, length: '12', otherCodings: false }],
    [['transfer-encoding', 'chunked', 'X-A', '1'], { chunked: true, length: undefined, otherCodings: false }],
    [['Transfer-Encoding', ' Chunked '], { chunked: true, length: undefined, otherCodings: false }],
    [['Transfer-Encoding', 'gzip, chunked'], { chunked: true, length: undefined, otherCodings: true }],
    [['Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked'], { chunked: true, length: undefined, otherCodings: true }],
    [['Accept', '*/*'], { chunked: false, length: undefined, otherCodings: false }],
    [['X-Content-Length', '5'], { chunked: false, length: undefined, otherCodings: false }],
  ])('requestFraming(%j) is %j', (raw, expected) => {
    expect(requestFraming(raw)).toEqual(expected);
  });
});
