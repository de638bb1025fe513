// The TapConfigs in force, as the loop server serves them to gateways. The store is the source of truth
// (so several loop servers sharing one PostgreSQL agree); the registry keeps the current set in memory,
// re-reads the store after each write and on a timer, and tells subscribers what changed.
import type { Logger } from '../../core/logger.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { tapConfigKey, type StoredTapConfig, type TapConfig } from '../../tapconfig/tapconfig.js';

export type TapConfigEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: StoredTapConfig }
  /** Sent after the initial set on a new watch, and as a heartbeat: the client's view is now complete. */
  | { type: 'BOOKMARK'; object: { metadata: { resourceVersion: string } } };

export type TapConfigListener = (event: TapConfigEvent) => void;

export interface TapConfigRegistry {
  /** Loads the current set from the store and starts polling. */
  start(): Promise<void>;
  stop(): void;
  list(): StoredTapConfig[];
  get(key: string): StoredTapConfig | undefined;
  apply(configs: TapConfig[]): Promise<StoredTapConfig[]>;
  delete(namespace: string, name: string): Promise<boolean>;
  /** The highest resourceVersion seen, for bookmarks. */
  resourceVersion(): string;
  /** Returns the unsubscribe function; it answers whether the listener was still subscribed. */
  subscribe(listener: TapConfigListener): () => boolean;
  subscribers(): number;
}

export function createTapConfigRegistry(deps: { store: CaptureStore; logger: Logger; pollIntervalMs: number }): TapConfigRegistry {
  let current = new Map<string, StoredTapConfig>();
  const listeners = new Set<TapConfigListener>();
  let timer: NodeJS.Timeout | undefined;
  // Refreshes run one at a time so events come out in store order.
  let chain: Promise<void> = Promise.resolve();

  const emit = (event: TapConfigEvent): void => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        deps.logger.warn('tapconfig listener failed', { err });
      }
    }
  };

  const refresh = (): Promise<void> => {
    const run = chain.then(async () => {
      const next = new Map((await deps.store.listTapConfigs()).map((c) => [tapConfigKey(c), c]));
      for (const [key, config] of next) {
        const before = current.get(key);
        if (!before) emit({ type: 'ADDED', object: config });
        else if (before.metadata.resourceVersion !== config.metadata.resourceVersion) emit({ type: 'MODIFIED', object: config });
      }
      for (const [key, config] of current) if (!next.has(key)) emit({ type: 'DELETED', object: config });
      current = next;
    });
    // The next refresh waits for this one but not on its success: chained on a rejection, every later
    // refresh was rejected unrun, so one store outage froze the set for good.
    chain = run.catch(() => undefined);
    return run;
  };

  const maxVersion = (): string => {
    let max = 0;
    for (const c of current.values()) max = Math.max(max, Number(c.metadata.resourceVersion) || 0);
    return String(max);
  };

  return {
    async start() {
      await refresh();
      // Logged when polling starts failing and when it works again, not on every poll: a database away
      // for an hour wrote 1,800 identical warnings at the default 2 s.
      let failedPolls = 0;
      timer = setInterval(() => {
        refresh().then(
          () => {
            if (failedPolls > 0) deps.logger.info('tapconfig refresh works again', { failedPolls });
            failedPolls = 0;
          },
          (err: unknown) => {
            if (failedPolls++ === 0) deps.logger.warn('tapconfig refresh failed; the TapConfigs in force stay until it works again', { err });
          },
        );
      }, deps.pollIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    list: () => [...current.values()].sort((a, b) => tapConfigKey(a).localeCompare(tapConfigKey(b))),
    get: (key) => current.get(key),
    async apply(configs) {
      const stored = await deps.store.putTapConfigs(configs);
      await refresh();
      return stored;
    },
    async delete(namespace, name) {
      const gone = await deps.store.deleteTapConfig(namespace, name);
      await refresh();
      return gone;
    },
    resourceVersion: maxVersion,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribers: () => listeners.size,
  };
}
