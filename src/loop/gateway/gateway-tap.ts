// Wiring of the gateway's tap: TapConfigs followed from the loop server's watch stream, matches shipped
// back to it in batches, metrics in the gateway's registry. At startup the gateway waits a bounded time
// (--tap-startup-wait) for the first TapConfig set, so the first failures after `loop gateway` prints its
// address are captured; if the loop server is not there, it serves anyway and captures once it arrives.
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { createTap } from '../tap/tap.js';
import { createTapMetrics } from '../tap/tap-metrics.js';
import { createTapShipper } from '../tap/tap-shipper.js';
import type { Tap } from '../tap/tap-types.js';
import { followTapConfigs } from '../tap/tapconfig-follower.js';
import type { GatewayOptions } from './gateway-options.js';

export interface GatewayTap {
  tap: Tap;
  /** Resolves true once the first TapConfig set arrived, false when `timeoutMs` passed first. */
  ready(timeoutMs: number): Promise<boolean>;
}

/** The gateway's tap, or undefined when `tap` is off. */
export function createGatewayTap(options: Pick<GatewayOptions, 'tap' | 'loopServer' | 'loopToken' | 'source' | 'maxBodyBytes'>, registry: Registry, logger: Logger): GatewayTap | undefined {
  if (options.tap === 'off') return undefined;
  const metrics = createTapMetrics(registry);
  const tapLogger = logger.child({ component: 'tap' });
  const token = options.loopToken ? { token: options.loopToken } : {};
  const configs = followTapConfigs({ server: options.loopServer, ...token, logger: tapLogger, metrics });
  const tap = createTap({
    source: options.source,
    configs,
    shipper: createTapShipper({ server: options.loopServer, ...token, logger: tapLogger, metrics }),
    maxBodyBytes: options.maxBodyBytes,
    logger: tapLogger,
    metrics,
  });
  return {
    tap,
    ready: (timeoutMs) =>
      configs.ready(timeoutMs).then(
        () => true,
        () => false,
      ),
  };
}
