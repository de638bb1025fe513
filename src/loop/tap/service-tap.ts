// A Node service tapping itself: its node:http handler wrapped (with-tap.ts) around a tap connected to the
// loop server, which decides with its TapConfigs what this service captures, as the gateway's tap does.
// The public entry point is `squash-loop/tap` (src/public/tap.ts).
import type { Registry } from 'prom-client';
import { createLogger, type Logger } from '../../core/logger.js';
import { connectTap } from './connected-tap.js';
import { createTapMetrics } from './tap-metrics.js';
import { withTap, type RequestHandler } from './with-tap.js';

export interface ServiceTapOptions {
  /** Names this service in its captures (their `source`), e.g. `payment`. */
  source: string;
  /** The loop server: TapConfigs come from it, captures go to it. Default `LOOP_SERVER`, else http://127.0.0.1:5678. */
  loopServer?: string;
  /** Bearer token for a loop server that requires one (an ingest token). Default `LOOP_TOKEN`. */
  token?: string;
  /** The destination captures name (what `loopctl replay` would target), e.g. `payment.default:9091`. Default: each request's Host. */
  destination?: string;
  /** Body bytes kept per request or response when the TapConfig does not say. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Where the tap says what goes wrong (the loop server unreachable, captures dropped). Default: warnings and errors as JSON lines on stderr. */
  logger?: Logger;
  /** A prom-client registry to count in (`loop_tap_*`: exchanges, matches, drops, queue depth). */
  registry?: Registry;
}

export interface ServiceTap {
  /** The handler, tapped: what it reads and sends is unchanged; the tap never throws into it or delays it. */
  wrap(handler: RequestHandler): RequestHandler;
  /** Resolves true once the loop server's TapConfigs arrived, false after `timeoutMs` (default 3 s) without them. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Ships what is queued (up to `timeoutMs`, default 5 s) and disconnects. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * @example
 * const tap = createServiceTap({ source: 'payment', destination: 'payment.default:9091' });
 * http.createServer(tap.wrap(app)).listen(9091);
 * process.on('SIGTERM', () => void tap.close().then(() => process.exit(0)));
 */
export function createServiceTap(options: ServiceTapOptions): ServiceTap {
  if (typeof options.source !== 'string' || options.source.trim() === '') throw new TypeError('createServiceTap: `source` must name the service (a non-empty string)');
  const loopServer = options.loopServer ?? process.env.LOOP_SERVER ?? 'http://127.0.0.1:5678';
  try {
    const url = new URL(loopServer);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new TypeError(`createServiceTap: loopServer "${loopServer}" is not an http:// or https:// URL`);
  }
  const logger = (options.logger ?? createLogger({ level: 'warn' })).child({ component: 'loop-tap', source: options.source });
  const connected = connectTap({
    loopServer,
    token: options.token ?? process.env.LOOP_TOKEN,
    source: options.source,
    maxBodyBytes: options.maxBodyBytes,
    logger,
    metrics: options.registry ? createTapMetrics(options.registry) : undefined,
  });
  const withOptions = options.destination !== undefined ? { destination: options.destination } : {};
  return {
    wrap: (handler) => withTap(handler, connected.tap, withOptions),
    ready: (timeoutMs = 3_000) => connected.ready(timeoutMs),
    close: (timeoutMs = 5_000) => connected.tap.close(timeoutMs),
  };
}
