// Shared pieces of the benchmarks: synthetic captures shaped like real traffic, timing, child servers.
import type { CaptureInput } from '../capture/capture.js';
import { LoopError } from '../core/errors.js';

const PATHS = Array.from({ length: 50 }, (_, i) => `/api/${['orders', 'payments', 'users', 'carts', 'search'][i % 5]}/${i}`);
const DESTINATIONS = Array.from({ length: 10 }, (_, i) => `svc-${i}.default:9090`);
const TAP_CONFIGS = ['gloo-system/gloo', 'default/errors', 'default/slow'];

export { rng } from '../core/seeded-random.js';

/** One capture with `bodyBytes` of JSON-ish request and response body; status mix 80% 200, 15% 5xx, 5% 404. */
export function syntheticCapture(random: () => number, bodyBytes: number, capturedAt: Date): CaptureInput {
  const r = random();
  const status = r < 0.8 ? 200 : r < 0.95 ? [500, 502, 503, 504][Math.floor(random() * 4)]! : 404;
  const method = random() < 0.7 ? 'GET' : 'POST';
  const path = PATHS[Math.floor(random() * PATHS.length)]!;
  const body = (tag: string): Buffer => {
    const head = `{"${tag}":"`;
    return Buffer.from(head + 'x'.repeat(Math.max(0, bodyBytes - head.length - 2)) + '"}');
  };
  return {
    capturedAt: capturedAt.toISOString(),
    tapConfig: TAP_CONFIGS[Math.floor(random() * TAP_CONFIGS.length)]!,
    source: 'bench',
    destination: DESTINATIONS[Math.floor(random() * DESTINATIONS.length)]!,
    durationMs: Math.floor(random() * 500),
    request: {
      headers: [
        [':authority', 'shop.example:8081'],
        [':path', path],
        [':method', method],
        [':scheme', 'http'],
        ['user-agent', 'bench/1.0'],
        ['accept', 'application/json'],
        ['content-type', 'application/json'],
        ['x-request-id', Math.floor(random() * 1e12).toString(16)],
      ],
      body: { bytes: body('request'), truncated: false },
      trailers: [],
    },
    response: {
      headers: [
        [':status', String(status)],
        ['content-type', 'application/json'],
        ['date', capturedAt.toUTCString()],
        ['server', 'envoy'],
      ],
      body: { bytes: body('response'), truncated: false },
      trailers: [],
    },
  };
}

export interface Timing {
  min: number;
  median: number;
  p99: number;
  max: number;
}

export function summarizeTimes(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { min: s[0]!, median: at(0.5), p99: at(0.99), max: s[s.length - 1]! };
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A whole number ≥ 1 from the environment variable `name`, or `fallback` when it is unset or empty. */
export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new LoopError('CONFIG_INVALID', `${name}="${raw}": expected a whole number ≥ 1`);
  return n;
}
