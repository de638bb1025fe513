// The capture-events hub: tells subscribers (the web UI's live list) about captures as they are stored.
// The hook is the store itself: `observeCaptureInserts` wraps the store the routes use, so every path that
// stores captures (POST /v1/taps, Gloo's gRPC sink, the Envoy admin collector) is seen without touching
// any of them, and a batch is announced only after its transaction committed. With no subscriber the
// wrapper costs one size check per batch. Only this process's inserts are seen: a client that must not
// miss any resumes from the last id it saw (the watch route fills the gap from the store).
import { summarize, type CaptureSummary } from '../../capture/capture.js';
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

/** The same store, announcing each stored capture's summary on the hub once its batch is committed. */
export function observeCaptureInserts(store: CaptureStore, hub: CaptureEventHub): CaptureStore {
  return {
    kind: store.kind,
    init: () => store.init(),
    async insertBatch(captures) {
      const ids = await store.insertBatch(captures);
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
