// A tap connected to a loop server: TapConfigs followed from its watch stream, matches shipped back to it in
// batches. The gateway's tap (gateway-tap.ts) and a Node service's own (service-tap.ts) are both this.
import type { Logger } from '../../core/logger.js';
import { createTap } from './tap.js';
import type { TapMetrics } from './tap-metrics.js';
import { createTapShipper } from './tap-shipper.js';
import type { Tap } from './tap-types.js';
import { followTapConfigs } from './tapconfig-follower.js';

export interface ConnectedTapOptions {
  /** The loop server, e.g. `http://127.0.0.1:5678`. */
  loopServer: string;
  /** Bearer token for a loop server that requires one (an ingest token). */
  token?: string | undefined;
  /** Names the tap point in every capture (the `source` field). */
  source: string;
  /** Body bytes kept per message when the TapConfig does not say. */
  maxBodyBytes?: number | undefined;
  logger: Logger;
  metrics?: TapMetrics | undefined;
}

export interface ConnectedTap {
  /** Owns the follower and the shipper: `close()` ships what is queued (bounded) and stops both. */
  tap: Tap;
  /** Resolves true once the first TapConfig set arrived, false when `timeoutMs` passed first. */
  ready(timeoutMs: number): Promise<boolean>;
}

export function connectTap(options: ConnectedTapOptions): ConnectedTap {
  const { loopServer: server, token, logger, metrics } = options;
  const configs = followTapConfigs({ server, token, logger, metrics });
  const tap = createTap({ source: options.source, configs, shipper: createTapShipper({ server, token, logger, metrics }), maxBodyBytes: options.maxBodyBytes, logger, metrics });
  return {
    tap,
    ready: (timeoutMs) =>
      configs.ready(timeoutMs).then(
        () => true,
        () => false,
      ),
  };
}
