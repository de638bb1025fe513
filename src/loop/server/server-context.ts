// What every route of the loop server gets: its collaborators, passed in (no module state).
import type { Logger } from '../../core/logger.js';
import type { CaptureStore } from '../../store/capture-store.js';
import type { ReplayPolicy } from '../replay/replay-policy.js';
import type { AuditLog } from './audit-log.js';
import type { AccessControl } from './auth.js';
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
  /** Who may call what (tokens and roles); open when no token is configured. */
  access: AccessControl;
  /** Where replays may go. */
  replayPolicy: ReplayPolicy;
  /** Every replay attempt, one JSON line each; undefined when not kept. */
  audit: AuditLog | undefined;
}
