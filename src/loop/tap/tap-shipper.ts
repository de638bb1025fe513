// Ships a tap's captures to the loop server: a bounded in-memory queue, drained in batches by a background
// loop that POSTs them (application/vnd.loop.capture-batch, see capture-binary.ts) over a keep-alive connection.
// Traffic never waits for it: `enqueue` only encodes and appends, and drops (counted) when the queue is full.
// A capture is encoded as it is enqueued, so the queue holds bytes in a few shared buffers rather than a
// tree of objects per capture that would live long enough to burden the garbage collector.
// Failures keep order: a batch that fails (network, timeout, 5xx) stays at the head of the queue and is
// retried with backoff; a batch the server rejects as invalid (4xx) is dropped, so one poison batch cannot
// hold the queue forever. A loop server that predates the binary form answers 415: the shipper then sends
// the same captures as `{"captures": [...]}` (application/vnd.loop.captures+json) from then on.
import http from 'node:http';
import https from 'node:https';
import type { CaptureInput } from '../../capture/capture.js';
import { CAPTURE_BATCH_MEDIA_TYPE, CaptureRecordWriter, captureBatchParts, decodeCaptureBatch } from '../../capture/capture-binary.js';
import { captureToJson } from '../../capture/capture-json.js';
import { messageOf } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { DropReason, TapMetrics } from './tap-metrics.js';

/** Where the tap hands finished captures. */
export interface CaptureSink {
  /** Never blocks, never throws. */
  enqueue(capture: CaptureInput): void;
  /** Resolves true once everything queued so far is shipped or dropped, false at the timeout. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes (bounded by `timeoutMs`), then stops; what is still queued is dropped and counted. */
  close(timeoutMs?: number): Promise<void>;
}

export interface TapShipper extends CaptureSink {
  /** Captures queued, the batch in flight included. */
  depth(): number;
}

export interface TapShipperOptions {
  /** The loop server, e.g. `http://127.0.0.1:5678`. */
  server: string;
  /** Bearer token for a loop server that requires one (an ingest token). */
  token?: string;
  /** Default 10 000 captures. */
  queueCapacity?: number;
  /** Most captures per POST. Default 500. */
  batchSize?: number;
  /** Most encoded bytes per POST (a batch holds at least one capture). Default 8 MiB, under the server's 32 MiB limit. */
  maxBatchBytes?: number;
  /** How long a partial batch waits for company. Default 100 ms. */
  flushIntervalMs?: number;
  /** Default 10 s. */
  requestTimeoutMs?: number;
  /** First retry delay after a failure; doubles per consecutive failure up to `maxRetryMs`, with jitter. Default 100 ms. */
  initialRetryMs?: number;
  /** Default 10 s. */
  maxRetryMs?: number;
  random?: () => number;
  logger?: Logger;
  metrics?: TapMetrics;
}

const JSON_MEDIA_TYPE = 'application/vnd.loop.captures+json';
const MAX_ERROR_BODY = 16 * 1024;

type Outcome = { kind: 'ok' } | { kind: 'retry'; reason: string } | { kind: 'rejected'; status: number; message: string };

export function createTapShipper(options: TapShipperOptions): TapShipper {
  const capacity = options.queueCapacity ?? 10_000;
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const initialRetryMs = options.initialRetryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics;
  const base = options.server.endsWith('/') ? options.server : `${options.server}/`;
  const target = new URL('v1/taps', base);
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 1 });

  const writer = new CaptureRecordWriter();
  // Once the loop server answered 415 to a binary batch: it predates the binary form.
  let legacyJson = false;
  // A FIFO of encoded records (views of the writer's chunks) with a moving head; compacted when the dead prefix grows.
  let queue: Buffer[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let failures = 0;
  let closing = false;
  let stopped = false;
  let flushWaiters: Array<() => void> = [];
  let current: http.ClientRequest | undefined;

  const depth = (): number => queue.length - head;
  const drop = (reason: DropReason, n: number): void => {
    if (n > 0) metrics?.dropped.inc({ reason }, n);
  };
  metrics?.queueDepthFrom(depth);

  const removeHead = (n: number): void => {
    // Shipped or dropped: the writer may reuse their bytes (the POST that carried them is over).
    if (n > 0) writer.release(queue[head + n - 1]!);
    head += n;
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    if (depth() === 0) {
      const waiters = flushWaiters;
      flushWaiters = [];
      for (const w of waiters) w();
    }
  };

  const schedule = (delayMs: number): void => {
    if (stopped || timer || inFlight || depth() === 0) return;
    timer = setTimeout(run, delayMs);
    timer.unref();
  };
  const nextDelay = (): number => (depth() >= batchSize || flushWaiters.length > 0 || closing ? 0 : flushIntervalMs);

  const takeBatch = (): { count: number; body: Buffer[]; type: string } => {
    let bytes = 0;
    let i = head;
    while (i < queue.length && i - head < batchSize) {
      const record = queue[i]!;
      if (i > head && bytes + record.length > maxBatchBytes) break;
      bytes += record.length;
      i++;
    }
    const body = captureBatchParts(queue.slice(head, i));
    if (!legacyJson) return { count: i - head, body, type: CAPTURE_BATCH_MEDIA_TYPE };
    const json = decodeCaptureBatch(Buffer.concat(body)).map((c) => JSON.stringify(captureToJson(c)));
    return { count: i - head, body: [Buffer.from(`{"captures":[${json.join(',')}]}`, 'utf8')], type: JSON_MEDIA_TYPE };
  };

  const run = (): void => {
    timer = undefined;
    if (stopped || inFlight || depth() === 0) return;
    let batch: { count: number; body: Buffer[]; type: string };
    try {
      batch = takeBatch();
    } catch (err) {
      // Records are our own encoding, so this is a bug; dropping the head keeps it from blocking the queue.
      metrics?.errors.inc({ where: 'shipper' });
      logger.warn('tap capture could not be prepared for shipping; dropped', { err: messageOf(err) });
      drop('rejected', 1);
      removeHead(1);
      schedule(0);
      return;
    }
    const started = process.hrtime.bigint();
    inFlight = post(batch.body, batch.type).then((outcome) => {
      metrics?.batchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      inFlight = undefined;
      if (stopped) return;
      if (outcome.kind === 'ok') {
        failures = 0;
        metrics?.shipped.inc(batch.count);
        removeHead(batch.count);
        schedule(nextDelay());
      } else if (outcome.kind === 'rejected' && outcome.status === 415 && !legacyJson) {
        legacyJson = true;
        logger.info('the loop server does not take binary capture batches; shipping JSON from now on', { message: outcome.message });
        schedule(0);
      } else if (outcome.kind === 'rejected') {
        failures = 0;
        logger.warn('loop server rejected a batch of captures; dropped', { status: outcome.status, captures: batch.count, message: outcome.message });
        drop('rejected', batch.count);
        removeHead(batch.count);
        schedule(nextDelay());
      } else {
        metrics?.shipErrors.inc();
        const delay = Math.min(maxRetryMs, initialRetryMs * 2 ** Math.min(failures, 30)) * (0.5 + random() * 0.5);
        if (failures === 0) logger.warn('shipping captures failed; will retry', { reason: outcome.reason, queued: depth() });
        failures++;
        // Not `schedule`: a flush waiting must not turn the backoff into a busy loop.
        timer = setTimeout(run, delay);
        timer.unref();
      }
    });
  };

  const post = (parts: Buffer[], type: string): Promise<Outcome> =>
    new Promise<Outcome>((resolve) => {
      let settled = false;
      const settle = (o: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        current = undefined;
        resolve(o);
      };
      let length = 0;
      for (const p of parts) length += p.length;
      const req = client.request(target, {
        method: 'POST',
        agent,
        headers: { 'content-type': type, 'content-length': length, accept: 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      });
      current = req;
      const deadline = setTimeout(() => {
        req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`));
      }, requestTimeoutMs);
      req.on('error', (err) => settle({ kind: 'retry', reason: messageOf(err) }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('error', (err) => settle({ kind: 'retry', reason: messageOf(err) }));
        res.on('end', () => {
          if (status >= 200 && status < 300) settle({ kind: 'ok' });
          else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
            settle({ kind: 'rejected', status, message: errorMessage(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY)) });
          } else settle({ kind: 'retry', reason: `HTTP ${status}` });
        });
      });
      // The parts are views of the writer's chunks, sent as they are; they stay untouched until the answer.
      req.cork();
      for (const p of parts) req.write(p);
      req.end();
    });

  const flush = (timeoutMs = 5_000): Promise<boolean> => {
    if (depth() === 0 || stopped) return Promise.resolve(depth() === 0);
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        resolve(true);
      };
      const t = setTimeout(() => {
        flushWaiters = flushWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      flushWaiters.push(done);
      // Send now rather than after the batching interval (unless we are backing off).
      if (timer && failures === 0) {
        clearTimeout(timer);
        timer = undefined;
      }
      schedule(0);
    });
  };

  return {
    enqueue(capture) {
      try {
        if (closing) {
          drop('closed', 1);
          return;
        }
        if (depth() >= capacity) {
          drop('queue_full', 1);
          return;
        }
        let record: Buffer;
        try {
          record = writer.write(capture);
        } catch (err) {
          // Not shaped like a capture (a bug in the tap point): it would be refused by the server anyway.
          metrics?.errors.inc({ where: 'shipper' });
          logger.warn('tap capture could not be encoded; dropped', { err: messageOf(err) });
          drop('rejected', 1);
          return;
        }
        queue.push(record);
        schedule(nextDelay());
      } catch (err) {
        metrics?.errors.inc({ where: 'shipper' });
        logger.warn('tap enqueue failed', { err: messageOf(err) });
      }
    },
    flush,
    depth,
    async close(timeoutMs = 5_000) {
      if (closing) return;
      closing = true;
      await flush(timeoutMs);
      stopped = true;
      if (timer) clearTimeout(timer);
      current?.destroy();
      const left = depth();
      if (left > 0) logger.warn('tap closed with captures unshipped; dropped', { captures: left });
      drop('shutdown', left);
      queue = [];
      head = 0;
      agent.destroy();
    },
  };
}

/** The loop server's `{ error: { message } }`, or the start of whatever else it sent. */
function errorMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const msg = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof msg === 'string') return msg;
  } catch {
    // not JSON: show the text
  }
  return text.slice(0, 500);
}
