// Wiring of the gateway's tap: a tap connected to the loop server (connected-tap.ts), its metrics in the
// gateway's registry. At startup the gateway waits a bounded time (--tap-startup-wait) for the first TapConfig
// set, so the first failures after `loop gateway` prints its address are captured; if the loop server is not
// there, it serves anyway and captures once it arrives.
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { connectTap, type ConnectedTap } from '../tap/connected-tap.js';
import { createTapMetrics } from '../tap/tap-metrics.js';
import type { GatewayOptions } from './gateway-options.js';

export type GatewayTap = ConnectedTap;

/** The gateway's tap, or undefined when `tap` is off. */
export function createGatewayTap(options: Pick<GatewayOptions, 'tap' | 'loopServer' | 'loopToken' | 'source' | 'maxBodyBytes'>, registry: Registry, logger: Logger): GatewayTap | undefined {
  if (options.tap === 'off') return undefined;
  return connectTap({
    loopServer: options.loopServer,
    token: options.loopToken,
    source: options.source,
    maxBodyBytes: options.maxBodyBytes,
    logger: logger.child({ component: 'tap' }),
    metrics: createTapMetrics(registry),
  });
}
