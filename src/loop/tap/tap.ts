// The tap: decides per exchange whether any TapConfig in force can match, copies what it needs on the side
// (bodies up to a cap), decides at the end, redacts, and hands matches to the shipper. It implements the
// `Tap` contract of tap-types.ts for our gateway and for services tapping themselves (with-tap.ts).
// Nothing here may throw into, block or alter the traffic: every entry point catches, counts and logs.
import type { CaptureInput, CapturedBody, CapturedMessage, ConnectionInfo, HeaderList } from '../../capture/capture.js';
import { isoFromEpochMillis } from '../../capture/timestamp.js';
import { messageOf } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { requestHeadList, responseHeadList } from '../../match/evaluate.js';
import type { FieldName } from '../../match/match-definitions.js';
import { byKey, type CompiledTapConfig } from './compiled-tapconfig.js';
import type { TapConfigSource } from './tapconfig-follower.js';
import type { CaptureSink } from './tap-shipper.js';
import type { ExchangeOutcome, TapMetrics } from './tap-metrics.js';
import type { Tap, TapExchange, TapRequestInfo } from './tap-types.js';

export interface TapOptions {
  /** Names this tap in every capture (a gateway's name, a service's name). */
  source: string;
  /**
   * The TapConfigs in force, called on every request (make it cheap), sorted by namespace/name. A
   * `TapConfigSource` (follower or static set) is owned by the tap: `close()` closes it too. A changed set
   * must be a new array (the tap works out what it needs about a set once, keyed by the array).
   */
  configs: TapConfigSource | (() => readonly CompiledTapConfig[]);
  /** Owned by the tap: `close()` flushes and closes it. */
  shipper: CaptureSink;
  /** Epoch milliseconds (fractions welcome); capturedAt and durationMs come from it. */
  clock?: () => number;
  /** Body bytes kept per message when the TapConfig does not say. Default 64 KiB. */
  maxBodyBytes?: number;
  /** In [0, 1); decides `spec.sampling`. */
  random?: () => number;
  logger?: Logger;
  metrics?: TapMetrics;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const NOTHING_KNOWN: readonly FieldName[] = Object.freeze([] as FieldName[]);
/** What a config that reads no field is evaluated on, once per set. */
const NO_EXCHANGE: CaptureInput = Object.freeze({
  capturedAt: '',
  tapConfig: '',
  source: '',
  destination: '',
  durationMs: null,
  request: { headers: [], trailers: [] },
  response: { headers: [], trailers: [] },
});
const ERROR_LOG_INTERVAL_MS = 10_000;

const timeOrigin = performance.timeOrigin; // a getter that crosses into C++: read once
const defaultClock = (): number => timeOrigin + performance.now();

/**
 * @example
 * const tap = createTap({ source: 'gateway', configs: followTapConfigs({ server }), shipper: createTapShipper({ server }) });
 * const exchange = tap.begin(info); // undefined: nothing to copy for this request
 */
export function createTap(options: TapOptions): Tap {
  const owned = typeof options.configs === 'function' ? undefined : options.configs;
  const configs = owned ? () => owned.current() : (options.configs as () => readonly CompiledTapConfig[]);
  const shipper = options.shipper;
  const clock = options.clock ?? defaultClock;
  const defaultCap = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics;

  let lastErrorLog = -Infinity;
  let errorsSinceLog = 0;
  const failed = (where: string, err: unknown): void => {
    try {
      metrics?.errors.inc({ where });
      errorsSinceLog++;
      const now = Date.now();
      if (now - lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
        logger.error('tap failed; the exchange is not captured (traffic unaffected)', { where, err: messageOf(err), errors: errorsSinceLog });
        lastErrorLog = now;
        errorsSinceLog = 0;
      }
    } catch {
      // a broken logger or metric must not escape either
    }
  };
  const count = (outcome: ExchangeOutcome): void => metrics?.countExchange(outcome);

  const ship = (recorder: Recorder, capture: CaptureInput, remaining: readonly CompiledTapConfig[], error: string | undefined): void => {
    let matched: CompiledTapConfig | undefined;
    for (const c of remaining) {
      if (c.match.matches(capture)) {
        matched = c;
        break;
      }
    }
    if (!matched) {
      count('recorded');
      return;
    }
    if (matched.sampling < 1 && random() >= matched.sampling) {
      count('sampled_out');
      return;
    }
    recorder.stamp(capture);
    capture.tapConfig = matched.key;
    if (matched.maxBodyBytes !== undefined) {
      capture.request = trimBody(capture.request, matched.maxBodyBytes);
      capture.response = trimBody(capture.response, matched.maxBodyBytes);
    }
    const redacted = matched.redact(capture);
    count('matched');
    if (error !== undefined) logger.debug('tapped exchange failed', { tapConfig: matched.key, error });
    shipper.enqueue(redacted);
  };

  /** False when every config of `set` is ruled out by the request and response heads alone. */
  const anyCanMatchWithHeads = (set: ConfigSet, info: TapRequestInfo, status: number, headers: readonly string[]): boolean => {
    const configs = set.configs;
    for (let i = 0; i < configs.length; i++) if (configs[i]!.match.matchesHeads(info, status, headers) !== false) return true;
    return false;
  };

  // What begin needs to know about the set in force, worked out once per set (the follower replaces its
  // array on every change; a function source is assumed to answer the same array until something changed).
  let plan: { all: readonly CompiledTapConfig[]; whole: ConfigSet; ruledOutAtRequest: boolean } | undefined;
  const planFor = (all: readonly CompiledTapConfig[]): NonNullable<typeof plan> => {
    if (plan?.all === all) return plan;
    // A config that reads no field is constant (`true`, `!true`): decided here, once per set. One that never
    // matches is left out; one that always does stays in play without being evaluated per request.
    const live = all.filter((c) => c.match.fields.length > 0 || c.match.matchesKnown(NO_EXCHANGE, NOTHING_KNOWN) !== false).sort(byKey);
    return (plan = { all, whole: describeSet(live, defaultCap), ruledOutAtRequest: live.some(readsRequestHeaders) });
  };

  // Ended exchanges are finished (built, matched, redacted, encoded) together once the event loop turns,
  // rather than each between two proxied requests: the same code runs back to back while it is warm.
  // close() finishes what is pending before it flushes the shipper.
  let ended: Recorder[] = [];
  const finishEnded = (): void => {
    const batch = ended;
    ended = [];
    for (let i = 0; i < batch.length; i++) batch[i]!.finish();
  };
  const later = (recorder: Recorder): void => {
    if (ended.push(recorder) === 1) setImmediate(finishEnded);
  };
  const context: RecorderContext = { clock, source: options.source, ship, failed, unmatched: () => count('recorded'), later, anyCanMatchWithHeads };

  return {
    catchesOwnErrors: true,
    begin(info: TapRequestInfo): TapExchange | undefined {
      try {
        const all = configs();
        if (all.length === 0) {
          count('skipped');
          return undefined;
        }
        const { whole, ruledOutAtRequest } = planFor(all);
        const live = whole.configs;
        if (live.length === 0) {
          count('skipped');
          return undefined;
        }
        // No config reads the request headers (the tutorial's status match): nothing to evaluate yet.
        if (!ruledOutAtRequest) return new Recorder(info, whole, context);
        let remaining: CompiledTapConfig[] | undefined;
        for (let i = 0; i < live.length; i++) {
          const c = live[i]!;
          if (c.match.matchesHeads(info, 0, undefined) !== false) (remaining ??= []).push(c);
        }
        if (!remaining) {
          count('skipped');
          return undefined;
        }
        // In the set's order already: the first of them that matches names the capture.
        return new Recorder(info, remaining.length === live.length ? whole : describeSet(remaining, defaultCap), context);
      } catch (err) {
        failed('begin', err);
        return undefined;
      }
    },
    async close(timeoutMs = 5_000) {
      try {
        owned?.close();
        finishEnded();
        await shipper.close(timeoutMs);
      } catch (err) {
        failed('close', err);
      }
    },
  };
}

/**
 * Keeps the first `cap` bytes of a body. Chunks are kept by reference (the contract forbids the caller to
 * modify them); bytes are copied once, at the end, and only for an exchange a TapConfig keeps.
 */
class BodyCopy {
  private chunks: Buffer[] = [];
  private kept = 0;
  private seen = 0;
  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    this.seen += chunk.length;
    if (this.kept >= this.cap || chunk.length === 0) return;
    const take = Math.min(chunk.length, this.cap - this.kept);
    this.chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
    this.kept += take;
  }

  /** Lets go of the chunks kept so far (the exchange will not be captured). */
  drop(): void {
    this.chunks = [];
  }

  /** undefined when no byte was seen (Envoy: a message without body has no body). The bytes are views. */
  body(): CapturedBody | undefined {
    if (this.seen === 0) return undefined;
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.kept);
    return { bytes, truncated: this.seen > this.kept };
  }
}

type Ship = (recorder: Recorder, capture: CaptureInput, remaining: readonly CompiledTapConfig[], error: string | undefined) => void;

/** The configs still in play for an exchange, and what the recorder needs to know about them. */
interface ConfigSet {
  /** Sorted by key: the first that matches names the capture. */
  configs: readonly CompiledTapConfig[];
  /** Body bytes kept per message: the largest cap among them. */
  cap: number;
  /** Every config reads response headers: the response head can rule them all out. */
  decidesAtResponse: boolean;
  /** Some config reads request headers: the decision at the response, and the capture before it is kept, need them. */
  anyReadsRequest: boolean;
}

function describeSet(configs: readonly CompiledTapConfig[], defaultCap: number): ConfigSet {
  let cap = 0;
  for (const c of configs) cap = Math.max(cap, c.maxBodyBytes ?? defaultCap);
  return { configs, cap, decidesAtResponse: configs.every((c) => c.match.fields.includes('responseHeaders')), anyReadsRequest: configs.some(readsRequestHeaders) };
}

/** What every recorder of one tap shares: one object rather than a field each per exchange. */
interface RecorderContext {
  clock: () => number;
  source: string;
  ship: Ship;
  failed: (where: string, err: unknown) => void;
  /** Counts an exchange no TapConfig can match, decided before its end. */
  unmatched: () => void;
  /** Queues an ended recorder's `finish`. */
  later(recorder: Recorder): void;
  anyCanMatchWithHeads(set: ConfigSet, info: TapRequestInfo, status: number, headers: readonly string[]): boolean;
}

type ExchangeResult = Parameters<TapExchange['end']>[0];

/** One exchange being recorded; every method is a no-op after `end` or after a failure inside it. */
class Recorder implements TapExchange {
  private done = false;
  private readonly started: number;
  private readonly requestBody: BodyCopy;
  private readonly responseBody: BodyCopy;
  // Lists as the tap point gave them (kept by reference, per the contract); the capture's lists are made at the end.
  private requestTrailers: HeaderList | undefined;
  private status: number | undefined;
  private responseHead: readonly string[] | undefined;
  private responseAt: number | undefined;
  private endedAt = 0;
  private result: ExchangeResult | undefined;
  private downstream: ConnectionInfo | undefined;

  constructor(
    private readonly info: TapRequestInfo,
    private readonly set: ConfigSet,
    private readonly context: RecorderContext,
  ) {
    this.started = context.clock();
    this.requestBody = new BodyCopy(set.cap);
    this.responseBody = new BodyCopy(set.cap);
  }

  requestData(chunk: Buffer): void {
    if (this.done) return;
    try {
      this.requestBody.add(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  requestEnd(trailers?: HeaderList): void {
    if (this.done || !trailers) return;
    try {
      this.requestTrailers = trailers;
    } catch (err) {
      this.fail(err);
    }
  }

  response(status: number, headers: readonly string[]): void {
    if (this.done) return;
    try {
      this.status = status;
      this.responseHead = headers;
      if (this.set.decidesAtResponse && !this.context.anyCanMatchWithHeads(this.set, this.info, status, headers)) {
        // Decided at the response head (the tutorial's `responseHeaders[":status"] == prefix("5")` on a 200):
        // stop recording now rather than keep the bodies and build a capture at the end for nothing.
        this.done = true;
        this.requestBody.drop();
        this.context.unmatched();
        return;
      }
      this.responseAt = this.context.clock();
    } catch (err) {
      this.fail(err);
    }
  }

  responseData(chunk: Buffer): void {
    if (this.done) return;
    try {
      this.responseBody.add(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  end(result?: ExchangeResult): void {
    if (this.done) return;
    this.done = true;
    try {
      this.endedAt = this.context.clock();
      this.result = result;
      this.downstream = this.info.downstream;
      this.context.later(this);
    } catch (err) {
      this.context.failed('end', err);
    }
  }

  /** The work of `end`, done for the exchanges that ended since the last turn of the event loop, together. */
  finish(): void {
    try {
      const now = this.endedAt;
      const result = this.result;
      // Timestamps are formatted by stamp(), only for exchanges a TapConfig keeps (no predicate reads them).
      // Request headers are made now only when a config still in play reads them; else once one keeps the exchange.
      const request: CapturedMessage = { headers: this.set.anyReadsRequest ? requestHeadList(this.info) : [], trailers: copyList(this.requestTrailers) };
      const requestBody = this.requestBody.body();
      if (requestBody) request.body = requestBody;
      const response: CapturedMessage = { headers: this.responseHeaders(), trailers: copyList(result?.trailers) };
      const responseBody = this.responseBody.body();
      if (responseBody) response.body = responseBody;
      const capture: CaptureInput = {
        capturedAt: '',
        tapConfig: '',
        source: this.context.source,
        destination: this.info.destination,
        durationMs: Math.max(0, Math.round((now - this.started) * 1000) / 1000),
        request,
        response,
      };
      if (this.downstream) capture.downstream = this.downstream;
      if (result?.upstream) capture.upstream = result.upstream;
      this.context.ship(this, capture, this.set.configs, result?.error);
    } catch (err) {
      this.context.failed('end', err);
    }
  }

  /** Completes a capture a TapConfig keeps: deferred request headers and the timestamps. */
  stamp(capture: CaptureInput): void {
    if (!this.set.anyReadsRequest) capture.request.headers = requestHeadList(this.info);
    const started = isoFromEpochMillis(this.started);
    capture.capturedAt = started;
    capture.request.headersReceivedAt = started;
    if (this.responseAt !== undefined) capture.response.headersReceivedAt = isoFromEpochMillis(this.responseAt);
  }

  // Pairs are made here, for an exchange still in play at its end, from the flat list the tap point gave.
  private responseHeaders(): HeaderList {
    return this.status === undefined ? [] : responseHeadList(this.status, this.responseHead ?? []);
  }

  private fail(err: unknown): void {
    this.done = true;
    this.context.failed('exchange', err);
  }
}

function readsRequestHeaders(c: CompiledTapConfig): boolean {
  return c.match.fields.includes('requestHeaders');
}

function copyList(list: HeaderList | undefined): HeaderList {
  return list ? list.slice() : [];
}

function trimBody(m: CapturedMessage, cap: number): CapturedMessage {
  if (!m.body || m.body.bytes.length <= cap) return m;
  return { ...m, body: { bytes: m.body.bytes.subarray(0, cap), truncated: true } };
}
