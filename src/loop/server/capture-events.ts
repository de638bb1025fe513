// The capture-events hub: tells subscribers (the web UI's live list) about captures as they are stored.
// The hook is the store itself: `observeCaptureInserts` wraps the store the routes use, so every path that
// stores captures (POST /v1/taps, Gloo's gRPC sink, the Envoy admin collector) is seen without touching
// any of them, and a batch is announced only after its transaction committed. With no subscriber the
// wrapper costs one size check per batch. Only this process's inserts are seen: a client that must not
// miss any resumes from the last id it saw (the watch route fills the gap from the store).
// The same hook logs when the store starts refusing batches (PostgreSQL away, a full disk) and when one is
// stored again: once each way, not once per refused batch, so an outage shows in the log without flooding it
// (loop_ingest_batches_total{outcome="failed"} counts them all).
import { summarize, type CaptureSummary } from '../../capture/capture.js';
import { isLoopError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CaptureStore } from '../../store/capture-store.js';

export type CaptureListener = (summary: CaptureSummary) => void;

export interface CaptureEventHub {
  /** Returns the unsubscribe function. */
  subscribe(listener: CaptureListener): () => void;
  publish(summary: CaptureSummary): void;
  subscribers(): number;
}

export function createCaptureEventHub(logger: Logger): CaptureEventHub {
  const listeners = new Set<CaptureListener>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    publish(summary) {
      for (const l of listeners) {
        try {
          l(summary);
        } catch (err) {
          logger.warn('capture listener failed', { err });
        }
      }
    },
    subscribers: () => listeners.size,
  };
}

/**
 * The same store, announcing each stored capture's summary on the hub once its batch is committed, and
 * logging the start and the end of a run of batches the store refused.
 */
export function observeCaptureInserts(store: CaptureStore, hub: CaptureEventHub, logger: Logger): CaptureStore {
  let failedBatches = 0; // since the last batch stored
  return {
    kind: store.kind,
    init: () => store.init(),
    async insertBatch(captures) {
      let ids: number[];
      try {
        ids = await store.insertBatch(captures);
      } catch (err) {
        if (failedBatches++ === 0) {
          const hint = isLoopError(err) ? err.hint : undefined;
          logger.warn('the store refused a batch of captures; more refusals are counted, not logged, until one is stored', {
            error: messageOf(err),
            ...(isLoopError(err) ? { code: err.code } : {}),
            ...(hint ? { hint } : {}),
          });
        }
        throw err;
      }
      if (failedBatches > 0) {
        logger.info('captures are stored again', { failedBatches });
        failedBatches = 0;
      }
      if (hub.subscribers() > 0) {
        for (let i = 0; i < ids.length; i++) hub.publish(summarize({ ...captures[i]!, id: ids[i]! }));
      }
      return ids;
    },
    get: (id) => store.get(id),
    list: (options) => store.list(options),
    delete: (id) => store.delete(id),
    applyRetention: (policy) => store.applyRetention(policy),
    count: () => store.count(),
    insertReplay: (replay) => store.insertReplay(replay),
    listReplays: (captureId) => store.listReplays(captureId),
    listTapConfigs: () => store.listTapConfigs(),
    putTapConfigs: (configs) => store.putTapConfigs(configs),
    deleteTapConfig: (namespace, name) => store.deleteTapConfig(namespace, name),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
