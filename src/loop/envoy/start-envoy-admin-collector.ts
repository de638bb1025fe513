// `loop serve --envoy-admin URL…`: the collector wired into a running loop server — TapConfigs from its
// registry, captures through its own POST /v1/taps, metrics on its /metrics.
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { EnvoyAdminCollector, type TapConfigSource } from './envoy-admin-collector.js';
import { createLoopServerIngest } from './loop-server-ingest.js';

/** What the collector needs of a loop server (LoopServer satisfies it). */
export interface LoopServerParts {
  context: { registry: TapConfigSource; metrics: { registry: Registry } };
}

/** Starts collecting from `options.envoyAdmin`; undefined when none is configured. */
export function startEnvoyAdminCollector(
  server: LoopServerParts,
  serverUrl: string,
  options: { envoyAdmin: string[]; envoyTapConfigId: string; maxBodyBytes: number },
  logger: Logger,
): EnvoyAdminCollector | undefined {
  if (options.envoyAdmin.length === 0) return undefined;
  const collector = new EnvoyAdminCollector({
    envoys: options.envoyAdmin,
    configId: options.envoyTapConfigId,
    defaultBodyBytes: options.maxBodyBytes,
    tapConfigs: server.context.registry,
    ingest: createLoopServerIngest(serverUrl),
    metricsRegistry: server.context.metrics.registry,
    logger: logger.child({ component: 'envoy-admin-collector' }),
  });
  collector.start();
  logger.info('collecting taps from Envoy admin endpoints', { envoys: options.envoyAdmin, configId: options.envoyTapConfigId });
  return collector;
}
