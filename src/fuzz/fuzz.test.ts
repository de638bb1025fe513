// The CI slice of `npm run fuzz`: every target over 2,000 seeded inputs, the hostile inputs named in
// RELIABILITY.md one by one, and the runner's own detection of crashes, broken properties and slow inputs.
import { describe, expect, it } from 'vitest';
import { LoopError, isLoopError } from '../core/errors.js';
import { decodeEnvoyTrace } from '../capture/envoy-trace-json.js';
import { splitJsonTexts } from '../capture/json-stream-splitter.js';
import { splitLengthDelimited } from '../capture/length-delimited-splitter.js';
import { decodeTapRequest, decodeTraceWrapper } from '../capture/tap-request-proto.js';
import { parseMatch } from '../match/parser.js';
import { Gen, inputSeed } from './fuzz-random.js';
import { FuzzPropertyError, type FuzzTarget } from './fuzz-target.js';
import { FUZZ_TARGETS } from './fuzz-targets.js';
import { varint } from './proto-fuzz-target.js';
import { runFuzz } from './run-fuzz.js';

const SEED = 20261126;
const CTX = { source: 'fuzz' };

describe.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))('fuzz target %s', (_name, target) => {
  it('survives 2,000 seeded inputs with only LoopErrors, none over its time budget', () => {
    const summary = runFuzz(target, { seed: SEED, count: 2000, maxFindings: 5 });
    expect(summary.findings.map((f) => `${f.kind}: ${f.message}\n  ${f.input}\n  ${f.reproduce}`)).toEqual([]);
    // Near-valid inputs must reach past the first checks: some are accepted, and some are refused.
    expect(summary.accepted).toBeGreaterThan(20);
    expect(Object.keys(summary.errorCodes).length).toBeGreaterThan(0);
  });

  it('generates the same input again from the same seed and index', () => {
    const a = target.generate(new Gen(inputSeed(SEED, 1234)));
    const b = target.generate(new Gen(inputSeed(SEED, 1234)));
    expect(target.show(a)).toBe(target.show(b));
    expect(target.show(a)).not.toBe(target.show(target.generate(new Gen(inputSeed(SEED, 1235)))));
  });
});

/** Runs `f`, expecting a LoopError with `code` within `ms`. */
function refusedQuickly(f: () => unknown, code: string, ms = 100): LoopError {
  const t0 = performance.now();
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(performance.now() - t0).toBeLessThan(ms);
  expect(isLoopError(err), String(err)).toBe(true);
  expect((err as LoopError).code).toBe(code);
  return err as LoopError;
}

describe('hostile inputs', () => {
  const nested = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);

  it.each([
    ['100,000 nested parentheses', nested('(', ')', 100_000).replace('()', '(true)'), /the limit is 10000/],
    ['4,000 nested parentheses (under the length limit)', nested('(', ')', 4000).replace('()', '(true)'), /nests deeper than 64/],
    ['4,000 "!"', `${'!'.repeat(4000)}true`, /nests deeper than 64/],
  ])('match: %s', (_name, source, message) => {
    expect(refusedQuickly(() => parseMatch(source), 'MATCH_SYNTAX').message).toMatch(message);
  });

  it.each([
    ['100,000 nested arrays', nested('[', ']', 100_000)],
    ['100,000 nested objects', nested('{"a":', '}', 100_000)],
  ])('JSON stream splitter: %s', (_name, text) => {
    expect(refusedQuickly(() => splitJsonTexts(Buffer.from(text)), 'INGEST_INVALID').message).toMatch(/deeper than 64 levels/);
  });

  it('Envoy JSON decoder: 100,000 nested arrays where headers belong', () => {
    const json: unknown = JSON.parse(`{"http_buffered_trace":{"request":{"headers":${nested('[', ']', 100_000)}}}}`);
    expect(refusedQuickly(() => decodeEnvoyTrace(json, CTX), 'INGEST_INVALID').message).toMatch(/headers\[0\]: expected an object/);
  });

  it.each([
    ['a prefix claiming 4 GiB', [0x80, 0x80, 0x80, 0x80, 0x10], 'INGEST_TOO_LARGE'],
    ['a prefix claiming 2^35 - 1 bytes', [0xff, 0xff, 0xff, 0xff, 0x7f], 'INGEST_TOO_LARGE'],
    ['a 6-byte prefix', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 'INGEST_INVALID'],
    ['a prefix cut short', [0x80], 'INGEST_INVALID'],
  ])('length-delimited splitter: %s', (_name, bytes, code) => {
    refusedQuickly(() => splitLengthDelimited(Buffer.from(bytes)), code);
  });

  it.each([
    ['a length of 2^64 - 1', Buffer.concat([Buffer.from([0x0a]), varint(2n ** 64n - 1n)])],
    ['a length of 4 GiB', Buffer.concat([Buffer.from([0x0a]), varint(2n ** 32n)])],
    ['an 11-byte varint', Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['field number 0', Buffer.from([0x02, 0x00])],
    ['a start-group wire type', Buffer.from([0x2b])],
  ])('protobuf TapRequest: %s', (_name, bytes) => {
    refusedQuickly(() => decodeTapRequest(bytes, CTX), 'INGEST_INVALID');
  });

  it('protobuf TraceWrapper: 100,000 headers of one byte each decode in time', () => {
    const header = Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x61]); // headers { key: "a" }
    const message = Buffer.concat(Array<Buffer>(100_000).fill(header));
    const hbt = Buffer.concat([Buffer.from([0x0a]), varint(message.length), message]);
    const wrapper = Buffer.concat([Buffer.from([0x0a]), varint(hbt.length), hbt]);
    const t0 = performance.now();
    expect(decodeTraceWrapper(wrapper, CTX).request.headers).toHaveLength(100_000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('runFuzz', () => {
  const target = (run: (n: number) => void): FuzzTarget<number> => ({
    name: 'probe',
    generate: (gen) => gen.int(1000),
    run,
    show: String,
    size: () => 0,
  });

  it('reports anything but a LoopError as a crash, with seed, index, input and the command to re-run it', () => {
    const summary = runFuzz(
      target((n) => {
        if (n % 2 === 0) throw new LoopError('BAD_REQUEST', 'even');
        if (n % 3 === 0) (undefined as unknown as { x: number }).x = 1;
      }),
      { seed: 7, count: 200 },
    );
    expect(summary.errorCodes.BAD_REQUEST).toBeGreaterThan(50);
    const crash = summary.findings[0]!;
    expect(crash).toMatchObject({ kind: 'crash', seed: 7, reproduce: `node dist/fuzz/run.js --target probe --seed 7 --index ${crash.index}` });
    expect(crash.message).toMatch(/^TypeError: /);
    expect(Number(crash.input) % 6).toBe(3);
    expect(String(new Gen(inputSeed(7, crash.index)).int(1000))).toBe(crash.input);
  });

  it('reports broken properties and inputs slower than the budget', () => {
    const summary = runFuzz(
      target((n) => {
        if (n === 0 || n > 990) throw new FuzzPropertyError(`property broken for ${n}`);
        if (n < 3) {
          const t0 = process.cpuUsage();
          while (process.cpuUsage(t0).user < 15_000); // 15 ms of CPU
        }
      }),
      { seed: 3, count: 3000, slowMs: 10 },
    );
    expect(summary.findings.some((f) => f.kind === 'property' && /property broken/.test(f.message))).toBe(true);
    expect(summary.findings.some((f) => f.kind === 'slow' && Number(f.input) < 3)).toBe(true);
    expect(summary.slowestMs).toBeGreaterThanOrEqual(10);
  });
});
