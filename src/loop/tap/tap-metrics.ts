// Prometheus metrics of a tap (the TapConfig follower, the tap itself and its shipper), registered in a
// registry the caller passes in — the gateway serves that registry on its /metrics. Create them once per
// registry and hand the same object to the follower, the tap and the shipper: prom-client refuses a
// second metric of the same name in one registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How a tapped exchange ended, as counted by `loop_tap_exchanges_total{outcome}`. */
export type ExchangeOutcome = 'skipped' | 'recorded' | 'matched' | 'sampled_out';

/** Why a capture never reached the loop server, as counted by `loop_tap_captures_dropped_total{reason}`. */
export type DropReason = 'queue_full' | 'rejected' | 'closed' | 'shutdown';

export interface TapMetrics {
  /** skipped: no TapConfig could match at request headers; recorded: copied but nothing matched at the end. */
  exchanges: Counter<'outcome'>;
  shipped: Counter;
  dropped: Counter<'reason'>;
  /** Failed ship attempts (network error, timeout, 5xx); the batch stays queued and is retried. */
  shipErrors: Counter;
  queueDepth: Gauge;
  batchDuration: Histogram;
  /** Exceptions caught inside the tap (`where`: begin, exchange, end, shipper, follower). */
  errors: Counter<'where'>;
  tapConfigs: Gauge;
  /** 1 while the TapConfig watch stream is up. */
  connected: Gauge;
}

export function createTapMetrics(registry: Registry): TapMetrics {
  const registers = [registry];
  return {
    exchanges: new Counter({ name: 'loop_tap_exchanges_total', help: 'exchanges seen by the tap, by outcome', labelNames: ['outcome'], registers }),
    shipped: new Counter({ name: 'loop_tap_captures_shipped_total', help: 'captures the loop server accepted', registers }),
    dropped: new Counter({ name: 'loop_tap_captures_dropped_total', help: 'captures dropped before reaching the loop server, by reason', labelNames: ['reason'], registers }),
    shipErrors: new Counter({ name: 'loop_tap_ship_errors_total', help: 'failed attempts to ship a batch (retried)', registers }),
    queueDepth: new Gauge({ name: 'loop_tap_queue_depth', help: 'captures waiting to be shipped', registers }),
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
