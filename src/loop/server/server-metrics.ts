// Prometheus metrics of one loop server, in a registry of its own (no global state: tests run several
// servers in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServerMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'route'>;
  ingestBatches: Counter<'format' | 'outcome'>;
  capturesIngested: Counter<'format'>;
  replays: Counter<'outcome'>;
  tapConfigWatchers: Gauge;
}

export function createServerMetrics(options: { countCaptures: () => Promise<number>; countTapConfigs: () => number; processMetrics?: boolean }): ServerMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'loop_' });
  const metrics: ServerMetrics = {
    registry,
    httpRequests: new Counter({ name: 'loop_http_requests_total', help: 'API requests answered', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'loop_http_request_duration_seconds',
      help: 'API request latency',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    ingestBatches: new Counter({ name: 'loop_ingest_batches_total', help: 'ingested batches (POST /v1/taps, gRPC) by format and outcome: stored, invalid, too_large, failed (the store refused or was away)', labelNames: ['format', 'outcome'], registers: [registry] }),
    capturesIngested: new Counter({ name: 'loop_captures_ingested_total', help: 'captures stored by ingest', labelNames: ['format'], registers: [registry] }),
    replays: new Counter({ name: 'loop_replays_total', help: 'replays by outcome', labelNames: ['outcome'], registers: [registry] }),
    tapConfigWatchers: new Gauge({ name: 'loop_tapconfig_watchers', help: 'open TapConfig watch streams', registers: [registry] }),
  };
  // One count per scrape, shared by both gauges (their collects run at once). A store that cannot count
  // (PostgreSQL away) must not fail the scrape: the rest is what an operator needs to see the outage.
  let counting: Promise<number | undefined> | undefined;
  const countOnce = (): Promise<number | undefined> =>
    (counting ??= options.countCaptures().then(
      (n) => n,
      () => undefined,
    ).finally(() => {
      counting = undefined;
    }));
  new Gauge({
    name: 'loop_captures_stored',
    help: 'captures in the store (NaN when the store cannot be read)',
    registers: [registry],
    async collect() {
      this.set((await countOnce()) ?? NaN);
    },
  });
  new Gauge({
    name: 'loop_store_up',
    help: '1 when the capture store answered this scrape, else 0',
    registers: [registry],
    async collect() {
      this.set((await countOnce()) === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: 'loop_tapconfigs',
    help: 'TapConfigs in force',
    registers: [registry],
    collect() {
      this.set(options.countTapConfigs());
    },
  });
  return metrics;
}
