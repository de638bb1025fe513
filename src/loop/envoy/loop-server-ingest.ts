// The collector's ingest in the loop server: captures take the same path as every other tap's — the
// server's and the TapConfig's redaction, body caps, an atomic batch insert, the ingest metrics and the
// live capture stream — called in-process, so it needs no API token and no TLS trust for the server's
// own address, and no second serialization.
import type { CaptureIngest } from './envoy-admin-collector.js';
import { storeTaps } from '../server/ingest-routes.js';
import type { ServerContext } from '../server/server-context.js';

/**
 * An ingest function storing captures through the loop server's ingest path.
 * @example createLoopServerIngest(server.context)(captures)
 */
export function createLoopServerIngest(ctx: ServerContext): CaptureIngest {
  return async (captures) => {
    await storeTaps(ctx, captures, 'envoy-admin');
  };
}
