// Collects taps from Envoy proxies over their admin endpoint: for each Envoy, POST /tap with a tap config
// compiled from the TapConfigs in force, read the streamed traces, turn them into captures and hand them to
// an ingest function. Reconnects with capped exponential backoff, restarts the stream when the TapConfig
// set changes, and stops cleanly.
//
// Envoy behaviour this relies on (source/extensions/common/tap/admin.cc, source/server/admin/*):
// - One attached /tap stream per Envoy process, whatever its config_id: a second POST /tap gets 400
//   "An attached /tap admin stream already exists. Detach it." So one stream per Envoy carries every
//   TapConfig (or_match), and the collector attributes each trace to a TapConfig by evaluating the match
//   language itself (the same meaning, see src/match/envoy-compile.ts).
// - 400 "Unknown config id '<id>'. No extension has registered with this id." when no tap filter has
//   admin_config.config_id <id>; 404 "invalid path." when no tap filter with admin_config exists at all.
// - On success the 200 headers are sent at once, then each trace as pretty-printed JSON, back to back with
//   no delimiter, for as long as the client stays connected; disconnecting detaches the tap.
import { EventEmitter } from 'node:events';
import { Counter, Gauge, Registry } from 'prom-client';
import { requestProblem, type CaptureInput } from '../../capture/capture.js';
import { decodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { createRedactor, type Redactor } from '../../capture/redact.js';
import { JsonStreamSplitter } from '../../capture/json-stream-splitter.js';
import { LoopError, isLoopError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { compileMatch, type CompiledMatch } from '../../match/index.js';
import { tapConfigKey, type TapConfig } from '../../tapconfig/tapconfig.js';
import { buildEnvoyAdminTapRequest, DEFAULT_ENVOY_TAP_CONFIG_ID, sortTapConfigs, type EnvoyAdminTapRequest } from './envoy-tap-config.js';
import { backoffDelay, type BackoffOptions } from './reconnect-backoff.js';

/** The TapConfigs in force and a change signal; the loop server's TapConfig registry is one. */
export interface TapConfigSource {
  list(): readonly TapConfig[];
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => unknown;
}

/** Stores captures (in the server: the POST /v1/taps path, which redacts and caps). Rejects on failure. */
export type CaptureIngest = (captures: CaptureInput[]) => Promise<void>;

export interface EnvoyAdminCollectorOptions {
  /** Envoy admin base URLs, e.g. http://127.0.0.1:9901. */
  envoys: readonly string[];
  tapConfigs: TapConfigSource;
  ingest: CaptureIngest;
  logger: Logger;
  /** admin_config.config_id of the Envoy tap filters; default `loop`. */
  configId?: string;
  /** Body bytes Envoy buffers per direction for TapConfigs without spec.maxBodyBytes. */
  defaultBodyBytes?: number;
  backoff?: BackoffOptions;
  /** Largest single trace accepted from a stream; default 64 MiB. */
  maxTraceBytes?: number;
  fetch?: typeof fetch;
  /** For spec.sampling and backoff jitter; default Math.random. */
  random?: () => number;
  clock?: () => Date;
  /** Prometheus registry to add the collector's metrics to; default a private one. */
  metricsRegistry?: Registry;
}

/** Why a stream is not (or no longer) attached. */
export type StreamFailure = 'busy' | 'no_tap_filter' | 'rejected' | 'unreachable' | 'disconnected' | 'invalid_stream';

export interface EnvoyStreamStatus {
  envoy: string;
  state: 'idle' | 'connecting' | 'attached' | 'waiting' | 'stopped';
  /** Failed attempts since the last successful attach. */
  failures: number;
  lastError?: { reason: StreamFailure; message: string };
}

export interface EnvoyAdminCollectorEvents {
  attached: [{ envoy: string; request: EnvoyAdminTapRequest }];
  detached: [{ envoy: string; reason: StreamFailure | 'restart' | 'stop' }];
  /** Bytes arrived on a stream (before they form whole traces). */
  chunk: [{ envoy: string; bytes: number }];
  ingested: [{ envoy: string; captures: CaptureInput[] }];
  retry: [{ envoy: string; reason: StreamFailure; message: string; delayMs: number; failures: number }];
}

interface Desired {
  body: string;
  request: EnvoyAdminTapRequest;
  configs: Array<{ key: string; match: CompiledMatch; sampling: number }>;
  /** For a trace no TapConfig claims: the redaction rules of them all, since any of them may be the one Envoy matched. */
  redactUnattributed: Redactor;
}

interface Metrics {
  attached: Gauge<'envoy'>;
  failures: Counter<'envoy' | 'reason'>;
  traces: Counter<'envoy' | 'outcome'>;
}

function createMetrics(registry: Registry): Metrics {
  return {
    attached: new Gauge({ name: 'loop_envoy_admin_tap_attached', help: '1 while the admin /tap stream to an Envoy is attached', labelNames: ['envoy'], registers: [registry] }),
    failures: new Counter({
      name: 'loop_envoy_admin_tap_failures_total',
      help: 'admin /tap attempts or streams that failed, by reason (busy: another client holds the Envoy\'s one /tap stream)',
      labelNames: ['envoy', 'reason'],
      registers: [registry],
    }),
    traces: new Counter({
      name: 'loop_envoy_admin_traces_total',
      help: 'traces read from Envoy admin /tap streams, by outcome (stored, unattributed, sampled_out, invalid, ingest_failed)',
      labelNames: ['envoy', 'outcome'],
      registers: [registry],
    }),
  };
}

/** `http://host:port` from what the user gave; throws CONFIG_INVALID naming the value. */
export function parseEnvoyAdminUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new LoopError('CONFIG_INVALID', `--envoy-admin: "${value}" is not an Envoy admin address; expected http://host:port, e.g. http://127.0.0.1:9901`);
  }
  return url.origin;
}

/**
 * Streams taps from Envoy admin endpoints into `ingest`. Call `start()`, then `stop()` to detach from every
 * Envoy. Emits `attached`, `detached`, `chunk`, `ingested` and `retry` (see EnvoyAdminCollectorEvents).
 *
 * @example
 * const c = new EnvoyAdminCollector({ envoys: ['http://127.0.0.1:9901'], tapConfigs: registry, ingest, logger });
 * c.start(); … await c.stop();
 */
export class EnvoyAdminCollector extends EventEmitter<EnvoyAdminCollectorEvents> {
  readonly metrics: Metrics;
  readonly metricsRegistry: Registry;
  private readonly streams: EnvoyStream[];
  private desired: Desired | undefined;
  private unsubscribe: (() => unknown) | undefined;
  private stopped = false;
  private recomputeQueued = false;

  constructor(readonly options: EnvoyAdminCollectorOptions) {
    super();
    const urls = options.envoys.map(parseEnvoyAdminUrl);
    const duplicate = urls.find((u, i) => urls.indexOf(u) !== i);
    if (duplicate) throw new LoopError('CONFIG_INVALID', `--envoy-admin: ${duplicate} is given twice; Envoy allows one /tap stream at a time`);
    this.metricsRegistry = options.metricsRegistry ?? new Registry();
    this.metrics = createMetrics(this.metricsRegistry);
    this.streams = urls.map((envoy) => new EnvoyStream(envoy, this));
  }

  start(): void {
    if (this.unsubscribe || this.stopped) return;
    this.desired = this.compute();
    this.unsubscribe = this.options.tapConfigs.subscribe(() => this.onTapConfigsChanged());
    for (const s of this.streams) s.start();
  }

  /** Detaches from every Envoy; resolves when no stream, timer or pending ingest remains. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await Promise.all(this.streams.map((s) => s.stop()));
  }

  status(): EnvoyStreamStatus[] {
    return this.streams.map((s) => s.status());
  }

  /** @internal read by the streams. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** @internal the tap request and attribution table for the TapConfigs in force; undefined when none. */
  current(): Desired | undefined {
    return this.desired;
  }

  private onTapConfigsChanged(): void {
    // Listeners may be told before the source's list() reflects the change (the loop server's registry
    // emits, then swaps its set), and one change can come as several events: look once, a tick later.
    if (this.recomputeQueued) return;
    this.recomputeQueued = true;
    setImmediate(() => {
      this.recomputeQueued = false;
      if (!this.stopped) this.recompute();
    });
  }

  private recompute(): void {
    const before = this.desired?.body;
    this.desired = this.compute();
    if (this.desired?.body === before) return;
    this.options.logger.info('TapConfigs changed: restarting Envoy admin /tap streams', { tapConfigs: this.desired?.configs.map((c) => c.key) ?? [] });
    for (const s of this.streams) s.restart();
  }

  private compute(): Desired | undefined {
    const configs: TapConfig[] = [];
    const compiled: Desired['configs'] = [];
    const allRules = { headers: [] as string[], jsonFields: [] as string[], patterns: [] as string[] };
    for (const c of sortTapConfigs(this.options.tapConfigs.list())) {
      try {
        compiled.push({ key: tapConfigKey(c), match: compileMatch(c.spec.match), sampling: c.spec.sampling ?? 1 });
        configs.push(c);
        allRules.headers.push(...(c.spec.redact?.headers ?? []));
        allRules.jsonFields.push(...(c.spec.redact?.jsonFields ?? []));
        allRules.patterns.push(...(c.spec.redact?.patterns ?? []));
      } catch (err) {
        // The registry only holds validated TapConfigs; this guards against one the parser has since changed on.
        this.options.logger.error('TapConfig left out of the Envoy tap', { tapConfig: tapConfigKey(c), err });
      }
    }
    if (configs.length === 0) return undefined;
    const request = buildEnvoyAdminTapRequest(configs, {
      configId: this.options.configId ?? DEFAULT_ENVOY_TAP_CONFIG_ID,
      ...(this.options.defaultBodyBytes !== undefined ? { defaultBodyBytes: this.options.defaultBodyBytes } : {}),
    });
    return { body: JSON.stringify(request), request, configs: compiled, redactUnattributed: createRedactor(allRules) };
  }
}

type Outcome = { kind: 'restart' } | { kind: 'failed'; reason: StreamFailure; message: string };

/** One Envoy: a loop of connect → stream → wait, until stopped. */
class EnvoyStream {
  private state: EnvoyStreamStatus['state'] = 'idle';
  private failures = 0;
  private lastError: EnvoyStreamStatus['lastError'];
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;
  /** A restart asked for while no sleep was pending: the next sleep returns at once. */
  private kicked = false;
  private done: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    readonly envoy: string,
    private readonly parent: EnvoyAdminCollector,
  ) {
    this.log = parent.options.logger.child({ envoy });
  }

  start(): void {
    this.done = this.run().catch((err: unknown) => this.log.error('Envoy admin collector stopped on an unexpected error', { err }));
  }

  restart(): void {
    this.controller?.abort();
    if (this.wake) this.wake();
    else this.kicked = true;
  }

  async stop(): Promise<void> {
    this.restart();
    await this.done;
    this.state = 'stopped';
  }

  status(): EnvoyStreamStatus {
    return { envoy: this.envoy, state: this.state, failures: this.failures, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  private async run(): Promise<void> {
    const { options } = this.parent;
    while (!this.parent.isStopped) {
      this.kicked = false;
      const desired = this.parent.current();
      if (!desired) {
        this.state = 'idle';
        await this.sleep(undefined);
        continue;
      }
      const outcome = await this.attach(desired);
      if (this.parent.isStopped || outcome.kind === 'restart') continue;
      this.lastError = { reason: outcome.reason, message: outcome.message };
      this.parent.metrics.failures.inc({ envoy: this.envoy, reason: outcome.reason });
      const delayMs = backoffDelay(this.failures, options.backoff, options.random);
      this.failures++;
      this.log.warn(`${outcome.message}; retrying in ${delayMs} ms`, { reason: outcome.reason, failures: this.failures });
      this.state = 'waiting';
      this.parent.emit('retry', { envoy: this.envoy, reason: outcome.reason, message: outcome.message, delayMs, failures: this.failures });
      await this.sleep(delayMs);
    }
  }

  /** Resolves after `ms` (never when undefined), or early on restart/stop. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
      const done = (): void => {
        if (timer) clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      if (this.parent.isStopped || this.kicked) done();
    });
  }

  private async attach(desired: Desired): Promise<Outcome> {
    const { options } = this.parent;
    const controller = new AbortController();
    this.controller = controller;
    this.state = 'connecting';
    const configId = desired.request.config_id;
    let res: Response;
    try {
      res = await (options.fetch ?? fetch)(`${this.envoy}/tap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: desired.body,
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'restart' };
      return { kind: 'failed', reason: 'unreachable', message: `cannot reach the Envoy admin endpoint ${this.envoy}: ${causeOf(err)}` };
    }
    if (res.status !== 200) {
      const text = (await res.text().catch(() => '')).trim();
      return classifyRefusal(this.envoy, configId, res.status, text);
    }
    this.failures = 0;
    this.lastError = undefined;
    this.state = 'attached';
    this.parent.metrics.attached.set({ envoy: this.envoy }, 1);
    this.log.info('attached to the Envoy admin /tap stream', { configId, tapConfigs: desired.configs.map((c) => c.key) });
    this.parent.emit('attached', { envoy: this.envoy, request: desired.request });
    let outcome: Outcome;
    try {
      outcome = await this.read(res, controller);
    } finally {
      controller.abort();
      this.parent.metrics.attached.set({ envoy: this.envoy }, 0);
    }
    this.parent.emit('detached', { envoy: this.envoy, reason: outcome.kind === 'failed' ? outcome.reason : this.parent.isStopped ? 'stop' : 'restart' });
    return outcome;
  }

  private async read(res: Response, controller: AbortController): Promise<Outcome> {
    const splitter = new JsonStreamSplitter({ maxTextBytes: this.parent.options.maxTraceBytes ?? 64 * 1024 * 1024 });
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        this.parent.emit('chunk', { envoy: this.envoy, bytes: chunk.byteLength });
        const texts = splitter.push(chunk);
        // Awaiting the ingest before reading on leaves backpressure to TCP rather than to our memory.
        if (texts.length > 0) await this.handle(texts);
      }
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'restart' };
      if (isLoopError(err, 'INGEST_INVALID') || isLoopError(err, 'INGEST_TOO_LARGE')) {
        return { kind: 'failed', reason: 'invalid_stream', message: `the /tap stream from ${this.envoy} is not a sequence of JSON traces: ${err.message}` };
      }
      return { kind: 'failed', reason: 'disconnected', message: `the /tap stream from ${this.envoy} broke: ${causeOf(err)}` };
    }
    if (controller.signal.aborted) return { kind: 'restart' };
    return { kind: 'failed', reason: 'disconnected', message: `${this.envoy} ended the /tap stream (Envoy restarting or shutting down?)` };
  }

  private async handle(texts: Buffer[]): Promise<void> {
    const { options, metrics } = this.parent;
    const desired = this.parent.current();
    const batch: CaptureInput[] = [];
    const count = (outcome: string, n = 1): void => metrics.traces.inc({ envoy: this.envoy, outcome }, n);
    for (const text of texts) {
      let capture: CaptureInput;
      try {
        capture = decodeEnvoyTrace(JSON.parse(text.toString('utf8')), { source: this.envoy, ...(options.clock ? { now: options.clock } : {}) });
      } catch (err) {
        count('invalid');
        this.log.warn('skipped a trace that is not a buffered HTTP trace', { err: messageOf(err) });
        continue;
      }
      const problem = requestProblem(capture);
      if (problem !== undefined) {
        // The server would refuse it, and the good traces of the batch with it.
        count('invalid');
        this.log.warn('skipped a trace without a replayable request', { err: `http_buffered_trace.request ${problem}` });
        continue;
      }
      const owner = desired?.configs.find((c) => c.match.matches(capture));
      if (!owner) {
        // Envoy matched it with the or_match of these same predicates (a body match past the bytes Envoy
        // kept, say); keep it rather than lose a failure, without the secrets any of them redacts.
        count('unattributed');
        batch.push(desired ? desired.redactUnattributed(capture) : capture);
        continue;
      }
      if (owner.sampling < 1 && (options.random ?? Math.random)() >= owner.sampling) {
        count('sampled_out');
        continue;
      }
      capture.tapConfig = owner.key;
      batch.push(capture);
    }
    if (batch.length === 0) return;
    try {
      await options.ingest(batch);
      count('stored', batch.length);
      this.parent.emit('ingested', { envoy: this.envoy, captures: batch });
    } catch (err) {
      count('ingest_failed', batch.length);
      this.log.warn('could not store captures from Envoy; they are dropped', { captures: batch.length, err });
    }
  }
}

function classifyRefusal(envoy: string, configId: string, status: number, text: string): Outcome {
  const said = text ? `: Envoy says "${text.length > 300 ? `${text.slice(0, 300)}…` : text}"` : '';
  if (status === 400 && text.startsWith('An attached /tap admin stream already exists')) {
    return {
      kind: 'failed',
      reason: 'busy',
      message: `another admin tap client holds the /tap stream on ${envoy} (Envoy allows one at a time, whatever the config_id; we asked for config_id "${configId}")`,
    };
  }
  if ((status === 400 && text.startsWith('Unknown config id')) || (status === 404 && text.startsWith('invalid path'))) {
    return {
      kind: 'failed',
      reason: 'no_tap_filter',
      message: `${envoy} has no tap filter with admin_config.config_id "${configId}" (add the filter \`loopctl envoy-config -f tap.yaml\` prints)${said}`,
    };
  }
  return { kind: 'failed', reason: 'rejected', message: `${envoy} refused POST /tap with HTTP ${status}${said}` };
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${code} (${messageOf(cause)})` : messageOf(cause ?? err);
}
