// Prometheus metrics of one gateway, in the registry the gateway was given (the tap registers its own
// metrics in the same registry, so /metrics shows both).
// Request counts and the in-flight gauge are plain numbers, handed to prom-client when /metrics is read:
// prom-client's label checks and hashing cost measurable CPU on every proxied request.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  /** Counts a request answered on a route, by its status (or `aborted`). */
  countRequest(route: string, status: string): void;
  duration: Histogram<'route'>;
  upstreamFailures: Counter<'route' | 'kind'>;
  /** Where the in-flight gauge reads its value at scrape time. */
  inFlightFrom(read: () => number): void;
  tapErrors: Counter;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  // route → status → requests not yet handed to prom-client.
  const pending = new Map<string, Map<string, number>>();
  let inFlight: (() => number) | undefined;
  new Counter({
    name: 'loop_gateway_requests_total',
    help: 'requests answered, by route prefix and status',
    labelNames: ['route', 'status'],
    registers,
    collect() {
      for (const [route, byStatus] of pending) {
        for (const [status, n] of byStatus) if (n > 0) this.inc({ route, status }, n);
        byStatus.clear();
      }
    },
  });
  new Gauge({
    name: 'loop_gateway_requests_in_flight',
    help: 'requests being proxied',
    registers,
    collect() {
      if (inFlight) this.set(inFlight());
    },
  });
  return {
    countRequest(route, status) {
      let byStatus = pending.get(route);
      if (!byStatus) pending.set(route, (byStatus = new Map()));
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    },
    duration: new Histogram({
      name: 'loop_gateway_request_duration_seconds',
      help: 'time from request headers to the end of the response',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
      registers,
    }),
    upstreamFailures: new Counter({
      name: 'loop_gateway_upstream_failures_total',
      help: 'upstream failures: unavailable (refused/reset before a response), timeout, broken (failed mid-response)',
      labelNames: ['route', 'kind'],
      registers,
    }),
    inFlightFrom: (read) => void (inFlight = read),
    tapErrors: new Counter({ name: 'loop_gateway_tap_errors_total', help: 'tap calls that threw (the exchange stopped being tapped; traffic unaffected)', registers }),
  };
}
