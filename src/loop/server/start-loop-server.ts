// Everything `loop serve` does, minus argument parsing: open the store named by the options, migrate it,
// build the server, listen, and hand back one `close` that undoes it all in order.
import path from 'node:path';
import type { Logger } from '../../core/logger.js';
import { createCaptureStore } from '../../store/index.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { createLoopServer, listenLoopServer, type LoopServer } from './loop-server.js';
import type { ServerOptions } from './server-options.js';

export interface RunningLoopServer {
  url: string;
  server: LoopServer;
  store: CaptureStore;
  close(): Promise<void>;
}

export function storeUrlFor(options: Pick<ServerOptions, 'store' | 'dataDir'>): string {
  return options.store !== '' ? options.store : `sqlite://${path.resolve(options.dataDir, 'loop.db')}`;
}

export async function startLoopServer(options: ServerOptions, logger: Logger, extra: { processMetrics?: boolean } = {}): Promise<RunningLoopServer> {
  const store = await createCaptureStore(storeUrlFor(options));
  try {
    await store.init();
    const server = createLoopServer({ store, logger, options, processMetrics: extra.processMetrics ?? true });
    await server.start();
    const listening = await listenLoopServer(server, options.listen);
    logger.info('loop server listening', { url: listening.url, store: store.kind });
    return {
      url: listening.url,
      server,
      store,
      async close() {
        server.stop();
        await listening.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}
