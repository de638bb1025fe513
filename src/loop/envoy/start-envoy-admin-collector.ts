// `loop serve --envoy-admin URL…`: the collector wired into a running loop server — TapConfigs from its
// registry, captures through its ingest path, metrics on its /metrics.
// The collector (and prom-client, which it brings) is loaded only when an Envoy admin endpoint is given.
import type { Logger } from '../../core/logger.js';
import type { ServerContext } from '../server/server-context.js';
import type { EnvoyAdminCollector } from './envoy-admin-collector.js';

/** What the collector needs of a loop server (LoopServer satisfies it). */
export interface LoopServerParts {
  context: ServerContext;
}

/** Starts collecting from `options.envoyAdmin`; undefined when none is configured. */
export async function startEnvoyAdminCollector(
  server: LoopServerParts,
  options: { envoyAdmin: string[]; envoyTapConfigId: string; maxBodyBytes: number },
  logger: Logger,
): Promise<EnvoyAdminCollector | undefined> {
  if (options.envoyAdmin.length === 0) return undefined;
  const [{ EnvoyAdminCollector }, { createLoopServerIngest }] = await Promise.all([import('./envoy-admin-collector.js'), import('./loop-server-ingest.js')]);
  const collector = new EnvoyAdminCollector({
    envoys: options.envoyAdmin,
    configId: options.envoyTapConfigId,
    defaultBodyBytes: options.maxBodyBytes,
    tapConfigs: server.context.registry,
    ingest: createLoopServerIngest(server.context),
    metricsRegistry: server.context.metrics.registry,
    logger: logger.child({ component: 'envoy-admin-collector' }),
  });
  collector.start();
  logger.info('collecting taps from Envoy admin endpoints', { envoys: options.envoyAdmin, configId: options.envoyTapConfigId });
  return collector;
}
