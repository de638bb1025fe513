// What every route of the loop server gets: its collaborators, passed in (no module state).
import type { Logger } from '../../core/logger.js';
import type { CaptureStore } from '../../store/capture-store.js';
import type { ServerMetrics } from './server-metrics.js';
import type { ServerOptions } from './server-options.js';
import type { TapConfigRegistry } from './tapconfig-registry.js';

export interface ServerContext {
  store: CaptureStore;
  registry: TapConfigRegistry;
  logger: Logger;
  metrics: ServerMetrics;
  options: ServerOptions;
  clock: () => Date;
}
