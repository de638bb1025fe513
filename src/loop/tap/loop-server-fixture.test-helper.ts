// Test support for the tap: a real loop server in-process on loopback with a real SQLite file, which can
// be stopped and started again on the same port (a loop server restart), and a few small waiting helpers.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { listen, type Listening } from '../../core/listen.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { createSqliteCaptureStore } from '../../store/sqlite-capture-store.js';
import type { CaptureStore } from '../../store/capture-store.js';
import type { TapConfig } from '../../tapconfig/tapconfig.js';
import { createLoopServer, type LoopServer } from '../server/loop-server.js';
import { serverOptionsSchema } from '../server/server-options.js';

export interface LoopServerFixture {
  url: string;
  port: number;
  store: CaptureStore;
  server: LoopServer;
  /** PUT one TapConfig; resolves once the server answered. */
  put(namespace: string, name: string, spec: TapConfig['spec']): Promise<void>;
  remove(namespace: string, name: string): Promise<void>;
  /** Stops serving (open watch streams and keep-alive sockets are cut) and closes the store. */
  close(): Promise<void>;
}

/** Starts a loop server on `port` (0: any) storing into the SQLite file `dbPath`. */
export async function startLoopServer(dbPath: string, port = 0, overrides: Record<string, unknown> = {}): Promise<LoopServerFixture> {
  const store = createSqliteCaptureStore({ path: dbPath });
  await store.init();
  const options = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { tapConfigPollInterval: 60_000, ...overrides } }]);
  const server = createLoopServer({ store, logger: silentLogger, options });
  await server.start();
  const api: Listening = await listen(http.createServer(server.handler), { host: '127.0.0.1', port });
  const call = async (method: string, path: string, body?: unknown): Promise<void> => {
    const res = await fetch(api.url + path, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  return {
    url: api.url,
    port: api.port,
    store,
    server,
    put: (namespace, name, spec) => call('PUT', `/v1/tapconfigs/${namespace}/${name}`, { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace, name }, spec }),
    remove: (namespace, name) => call('DELETE', `/v1/tapconfigs/${namespace}/${name}`),
    async close() {
      server.stop();
      await api.close();
      await store.close();
    },
  };
}

/**
 * A fresh loop server (its own SQLite file in a temporary directory) for every test of the calling file;
 * the returned function gives the current one.
 */
export function loopServerPerTest(prefix: string): () => LoopServerFixture {
  let dir = '';
  let current: LoopServerFixture | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    current = await startLoopServer(path.join(dir, `${Date.now()}-${Math.random()}.db`));
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('no loop server outside a test');
    return current;
  };
}

/** Resolves when `check()` holds, re-checking whenever `subscribe` reports a change; rejects after `timeoutMs`. */
export function until(subscribe: (notify: () => void) => () => void, check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/** A logger that keeps what it is given, for asserting on log records. */
export function recordingLogger(): Logger & { records: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> } {
  const records: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const logger = {
    records,
    debug: (msg: string, fields?: Record<string, unknown>) => void records.push({ level: 'debug', msg, ...(fields ? { fields } : {}) }),
    info: (msg: string, fields?: Record<string, unknown>) => void records.push({ level: 'info', msg, ...(fields ? { fields } : {}) }),
    warn: (msg: string, fields?: Record<string, unknown>) => void records.push({ level: 'warn', msg, ...(fields ? { fields } : {}) }),
    error: (msg: string, fields?: Record<string, unknown>) => void records.push({ level: 'error', msg, ...(fields ? { fields } : {}) }),
    child: () => logger,
  };
  return logger;
}
