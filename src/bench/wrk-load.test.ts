import { describe, expect, it } from 'vitest';
import { parseWrkDuration, parseWrkOutput, postScript } from './wrk-load.js';

const REPORT = `Running 2s test @ http://127.0.0.1:34109/x
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.04ms   14.22ms 207.02ms   96.72%
    Req/Sec    12.10k     5.31k   17.05k    75.00%
  Latency Distribution
     50%  812.00us
     75%    3.09ms
     90%    7.05ms
     99%    1.20s
  24079 requests in 2.00s, 27.14MB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 11
Requests/sec:  12013.56
Transfer/sec:     13.54MB
`;

describe('parseWrkDuration', () => {
  it.each([
    ['812.00us', 0.812],
    ['3.09ms', 3.09],
    ['1.20s', 1200],
    ['2.00m', 120_000],
  ])('%s is %f ms', (text, expected) => expect(parseWrkDuration(text)).toBeCloseTo(expected, 6));

  it('rejects a latency without a unit', () => expect(() => parseWrkDuration('12')).toThrow(/expected a number followed by us/));
});

describe('parseWrkOutput', () => {
  it('reads throughput, p50/p99 in ms and the errors', () => {
    expect(parseWrkOutput(REPORT)).toEqual({ requestsPerSec: 12013.56, requests: 24079, p50Ms: 0.812, p99Ms: 1200, errors: 7, non2xx: 11 });
  });

  it('counts no errors when wrk prints none', () => {
    const clean = REPORT.replace(/ {2}Socket errors.*\n/, '').replace(/ {2}Non-2xx.*\n/, '');
    expect(parseWrkOutput(clean)).toMatchObject({ errors: 0, non2xx: 0 });
  });

  it('says which figure is missing (no --latency)', () => {
    expect(() => parseWrkOutput(REPORT.replace(/ {2}Latency Distribution[\s\S]*?99%.*\n/, ''))).toThrow(/no 50% latency/);
  });
});

it('the Lua script POSTs a body of the given size as JSON', () => {
  expect(postScript(1024)).toContain('wrk.method = "POST"');
  expect(postScript(1024)).toContain('string.rep("x", 1024)');
  expect(postScript(1024)).toContain('wrk.headers["Content-Type"] = "application/json"');
});
