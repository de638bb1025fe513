import { expect, it } from 'vitest';
import { metricValue } from './gateway-targets.js';

const TEXT = `# HELP loop_tap_exchanges_total exchanges seen by the tap, by outcome
# TYPE loop_tap_exchanges_total counter
loop_tap_exchanges_total{outcome="recorded"} 120
loop_tap_exchanges_total{outcome="matched"} 30
loop_tap_queue_depth 0
loop_gateway_requests_total{route="/",status="200"} 149
loop_gateway_requests_total{route="/",status="502"} 1
`;

it.each([
  ['loop_tap_exchanges_total', { outcome: 'matched' }, 30],
  ['loop_tap_exchanges_total', {}, 150],
  ['loop_gateway_requests_total', { status: '200' }, 149],
  ['loop_gateway_requests_total', {}, 150],
  ['loop_tap_queue_depth', {}, 0],
  ['loop_tap_captures_shipped_total', {}, 0],
])('metricValue(%s, %o) is %d', (name, labels, expected) => expect(metricValue(TEXT, name, labels)).toBe(expected));
