// Everything `loop serve` does, minus argument parsing: open the store named by the options, migrate it,
// build the server, listen, and hand back one `close` that undoes it all in order.
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LoopError } from '../../core/errors.js';
import { fileErrorText } from '../../core/file-error-text.js';
import type { Logger } from '../../core/logger.js';
import { createCaptureStore } from '../../store/open-capture-store.js';
import type { EnvoyAdminCollector } from '../envoy/envoy-admin-collector.js';
import { startEnvoyAdminCollector } from '../envoy/start-envoy-admin-collector.js';
import type { TapGrpcListening } from '../gloo/tap-grpc-sink.js';
import { startKubeTapConfigs } from '../kube/start-kube-tapconfigs.js';
import type { TapConfigController } from '../kube/tapconfig-controller.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { createLoopServer, listenLoopServer, type LoopServer } from './loop-server.js';
import { checkServerOptions, type ServerOptions } from './server-options.js';
import { prepareServerSecurity } from './server-security.js';

export interface RunningLoopServer {
  url: string;
  /** host:port of Gloo's gRPC tap sink, when --grpc-listen is set. */
  grpcAddress?: string;
  server: LoopServer;
  store: CaptureStore;
  close(): Promise<void>;
}

export function storeUrlFor(options: Pick<ServerOptions, 'store' | 'dataDir'>): string {
  return options.store !== '' ? options.store : `sqlite://${path.resolve(options.dataDir, 'loop.db')}`;
}

/**
 * --data-dir holds the SQLite store and the audit log by default: a path that exists and is not a directory
 * is named as such before either tries to create a file under it (which reported an EEXIST on the audit log),
 * and so is one that cannot be created or written (reported as `--audit-log …: EACCES`, a flag not given).
 */
async function checkDataDir(options: Pick<ServerOptions, 'dataDir' | 'store' | 'auditLog'>): Promise<void> {
  const { dataDir } = options;
  const found = await stat(dataDir).catch(() => undefined);
  if (found && !found.isDirectory()) {
    throw new LoopError('CONFIG_INVALID', `--data-dir: ${dataDir} is a file, not a directory`, { hint: 'name a directory (it is created when missing), e.g. --data-dir .loop-data' });
  }
  // Nothing goes there when the store and the audit log are both somewhere else.
  if (options.store !== '' && options.auditLog !== '') return;
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new LoopError('CONFIG_INVALID', `--data-dir: ${dataDir} cannot be ${found ? 'written' : 'created'}: ${fileErrorText(err)}`, {
      cause: err,
      hint: 'name a directory this user can write (it is created when missing), e.g. --data-dir .loop-data',
    });
  }
}

/** `extra.env` holds LOOP_ADMIN_TOKEN / LOOP_READ_TOKEN / LOOP_INGEST_TOKEN, if any (the CLI passes process.env). */
export async function startLoopServer(options: ServerOptions, logger: Logger, extra: { processMetrics?: boolean; env?: Record<string, string | undefined> } = {}): Promise<RunningLoopServer> {
  checkServerOptions(options);
  await checkDataDir(options);
  // Tokens, TLS and the audit log first: a server that would listen unsafely must not start at all.
  const security = await prepareServerSecurity(options, extra.env ?? {});
  let store: CaptureStore;
  try {
    store = await createCaptureStore(storeUrlFor(options), { logger });
  } catch (err) {
    await security.auditLog.close();
    throw err;
  }
  try {
    await store.init();
    const server = createLoopServer({ store, logger, options, processMetrics: extra.processMetrics ?? true, access: security.access, auditLog: security.auditLog });
    await server.start();
    const listening = await listenLoopServer(server, options.listen, security.tls, { logger });
    // Which database or file, without credentials: with several replicas, a wrong URL shows here first.
    const storeAt = 'target' in store ? store.target : 'path' in store ? store.path : undefined;
    logger.info('loop server listening', { url: listening.url, store: store.kind, storeAt, tokens: security.access.enforced, auditLog: security.auditLog.path });
    // The gRPC sink, the Kubernetes client and the Envoy collector are loaded only when asked for: each is
    // many modules to load.
    let grpc: TapGrpcListening | undefined;
    let kube: TapConfigController | undefined;
    let envoy: EnvoyAdminCollector | undefined;
    try {
      if (options.grpcListen) {
        const { listenGlooGrpcIngest } = await import('./gloo-grpc-ingest.js');
        grpc = await listenGlooGrpcIngest(server, options.grpcListen);
        logger.info('gRPC tap sink listening', { address: grpc.address });
      }
      // TapConfig resources from Kubernetes (--kube), once the probes can answer.
      kube = await startKubeTapConfigs(options, server.context.registry, logger);
      envoy = await startEnvoyAdminCollector(server, options, logger);
    } catch (err) {
      await kube?.stop();
      await grpc?.close();
      server.stop();
      await listening.close();
      throw err;
    }
    return {
      url: listening.url,
      ...(grpc ? { grpcAddress: grpc.address } : {}),
      server,
      store,
      async close() {
        await envoy?.stop();
        await grpc?.close(); // first: a stream's last trace is stored before the store closes
        await kube?.stop();
        server.stop();
        await listening.close();
        await store.close();
        await security.auditLog.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    await security.auditLog.close().catch(() => undefined);
    throw err;
  }
}
