// Prometheus metrics of a tap (the TapConfig follower, the tap itself and its shipper), registered in a
// registry the caller passes in — the gateway serves that registry on its /metrics. Create them once per
// registry and hand the same object to the follower, the tap and the shipper: prom-client refuses a
// second metric of the same name in one registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How a tapped exchange ended, as counted by `loop_tap_exchanges_total{outcome}`. */
export type ExchangeOutcome = 'skipped' | 'recorded' | 'matched' | 'sampled_out';

/** Why a capture never reached the loop server, as counted by `loop_tap_captures_dropped_total{reason}`. */
export type DropReason = 'queue_full' | 'rejected' | 'closed' | 'shutdown';

const OUTCOMES: readonly ExchangeOutcome[] = ['skipped', 'recorded', 'matched', 'sampled_out'];

export interface TapMetrics {
  /** skipped: no TapConfig could match at request headers; recorded: copied but nothing matched at the end. */
  exchanges: Counter<'outcome'>;
  /**
   * Counts one exchange in `exchanges`. The count is a plain number until the metrics are read: the tap counts
   * every exchange, and prom-client's `inc` (label checks, hashing) cost as much as the rest of a skipped one.
   */
  countExchange(outcome: ExchangeOutcome): void;
  shipped: Counter;
  dropped: Counter<'reason'>;
  /** Failed ship attempts (network error, timeout, 5xx); the batch stays queued and is retried. */
  shipErrors: Counter;
  /** Read from the source the shipper registers (`queueDepthFrom`) when the metrics are read, not set per capture. */
  queueDepth: Gauge;
  /** The shipper's depth, read at collection; the last shipper to register is the one shown. */
  queueDepthFrom(depth: () => number): void;
  batchDuration: Histogram;
  /** Exceptions caught inside the tap (`where`: begin, exchange, end, shipper, follower). */
  errors: Counter<'where'>;
  tapConfigs: Gauge;
  /** 1 while the TapConfig watch stream is up. */
  connected: Gauge;
}

export function createTapMetrics(registry: Registry): TapMetrics {
  const registers = [registry];
  const pending: Record<ExchangeOutcome, number> = { skipped: 0, recorded: 0, matched: 0, sampled_out: 0 };
  let depthOf: (() => number) | undefined;
  return {
    exchanges: new Counter({
      name: 'loop_tap_exchanges_total',
      help: 'exchanges seen by the tap, by outcome',
      labelNames: ['outcome'],
      registers,
      collect() {
        for (const o of OUTCOMES) {
          if (pending[o] === 0) continue;
          this.inc({ outcome: o }, pending[o]);
          pending[o] = 0;
        }
      },
    }),
    countExchange: (outcome) => void pending[outcome]++,
    shipped: new Counter({ name: 'loop_tap_captures_shipped_total', help: 'captures the loop server accepted', registers }),
    dropped: new Counter({ name: 'loop_tap_captures_dropped_total', help: 'captures dropped before reaching the loop server, by reason', labelNames: ['reason'], registers }),
    shipErrors: new Counter({ name: 'loop_tap_ship_errors_total', help: 'failed attempts to ship a batch (retried)', registers }),
    queueDepth: new Gauge({
      name: 'loop_tap_queue_depth',
      help: 'captures waiting to be shipped',
      registers,
      collect() {
        if (depthOf) this.set(depthOf());
      },
    }),
    queueDepthFrom: (depth) => void (depthOf = depth),
    batchDuration: new Histogram({
      name: 'loop_tap_ship_batch_duration_seconds',
      help: 'time to ship one batch to the loop server, failures included',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    errors: new Counter({ name: 'loop_tap_errors_total', help: 'exceptions caught inside the tap (never passed to traffic)', labelNames: ['where'], registers }),
    tapConfigs: new Gauge({ name: 'loop_tap_tapconfigs', help: 'TapConfigs in force in this tap', registers }),
    connected: new Gauge({ name: 'loop_tap_connected', help: '1 while the TapConfig watch stream to the loop server is up', registers }),
  };
}
