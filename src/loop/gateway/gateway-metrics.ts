// Prometheus metrics of one gateway, in the registry the gateway was given (the tap registers its own
// metrics in the same registry, so /metrics shows both).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  requests: Counter<'route' | 'status'>;
  duration: Histogram<'route'>;
  upstreamFailures: Counter<'route' | 'kind'>;
  inFlight: Gauge;
  tapErrors: Counter;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'loop_gateway_requests_total', help: 'requests answered, by route prefix and status', labelNames: ['route', 'status'], registers }),
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
    inFlight: new Gauge({ name: 'loop_gateway_requests_in_flight', help: 'requests being proxied', registers }),
    tapErrors: new Counter({ name: 'loop_gateway_tap_errors_total', help: 'tap calls that threw (the exchange stopped being tapped; traffic unaffected)', registers }),
  };
}
