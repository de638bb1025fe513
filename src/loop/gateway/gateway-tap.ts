// Wiring of the gateway's tap: TapConfigs followed from the loop server's watch stream, matches shipped
// back to it in batches, metrics in the gateway's registry. Nothing here waits for the loop server: the
// gateway proxies from the first second, and captures start once the first TapConfig set has arrived.
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { createTap } from '../tap/tap.js';
import { createTapMetrics } from '../tap/tap-metrics.js';
import { createTapShipper } from '../tap/tap-shipper.js';
import type { Tap } from '../tap/tap-types.js';
import { followTapConfigs } from '../tap/tapconfig-follower.js';
import type { GatewayOptions } from './gateway-options.js';

/** The gateway's tap, or undefined when `tap` is off. */
export function createGatewayTap(options: Pick<GatewayOptions, 'tap' | 'loopServer' | 'source' | 'maxBodyBytes'>, registry: Registry, logger: Logger): Tap | undefined {
  if (options.tap === 'off') return undefined;
  const metrics = createTapMetrics(registry);
  const tapLogger = logger.child({ component: 'tap' });
  return createTap({
    source: options.source,
    configs: followTapConfigs({ server: options.loopServer, logger: tapLogger, metrics }),
    shipper: createTapShipper({ server: options.loopServer, logger: tapLogger, metrics }),
    maxBodyBytes: options.maxBodyBytes,
    logger: tapLogger,
    metrics,
  });
}
