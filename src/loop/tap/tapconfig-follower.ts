// Keeps a tap's TapConfigs in step with the loop server by following its watch stream
// (`GET /v1/tapconfigs?watch=true`, NDJSON ADDED/MODIFIED/DELETED, then BOOKMARK once the initial set is
// sent and every 15 s as a heartbeat). After every (re)connect the events up to the first BOOKMARK are
// collected aside and then replace the whole view, so configs deleted while disconnected disappear too.
// Also: a static source for running without a loop server.
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { LoopError, messageOf } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { loadTapConfigs } from '../../tapconfig/tapconfig-loader.js';
import type { TapConfig } from '../../tapconfig/tapconfig.js';
import { byKey, compileTapConfig, type CompiledTapConfig } from './compiled-tapconfig.js';
import type { TapMetrics } from './tap-metrics.js';

/** Where a tap reads its TapConfigs from. */
export interface TapConfigSource {
  /** The configs in force, sorted by `namespace/name`. Precomputed: call it on every request. Do not mutate. */
  current(): readonly CompiledTapConfig[];
  /** Called after every change of the set; returns the unsubscribe function. */
  onChange(listener: (configs: readonly CompiledTapConfig[]) => void): () => void;
  /** Resolves once the first complete set is loaded; rejects after `timeoutMs` (default 10 s) or on close. */
  ready(timeoutMs?: number): Promise<void>;
  close(): void;
}

export interface TapConfigFollower extends TapConfigSource {
  /** True while the watch stream is up. */
  connected(): boolean;
  /** Called when the watch stream comes up or goes down; returns the unsubscribe function. */
  onConnection(listener: (connected: boolean) => void): () => void;
}

export interface FollowOptions {
  /** The loop server, e.g. `http://127.0.0.1:5678`. */
  server: string;
  /** Bearer token for a loop server that requires one (ingest, read or admin). */
  token?: string;
  logger?: Logger;
  metrics?: TapMetrics;
  /**
   * Reconnect when nothing arrives for this long, the response head included (the server sends a heartbeat
   * every 15 s). Default 45 s.
   */
  idleTimeoutMs?: number;
  /** First reconnect delay; doubles per failed attempt up to `maxBackoffMs`, with jitter. Default 250 ms. */
  initialBackoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** In [0, 1); for the jitter. */
  random?: () => number;
}

/** What to do about a loop server that refuses the watch for want of a token (401) or of the role (403). */
const TOKEN_HINT = 'the loop server wants a bearer token with the ingest role: loop gateway --loop-token (or LOOP_TOKEN), or the token option of a service tap';

/** A line this long is not a TapConfig event; treat the stream as broken. */
const MAX_LINE_CHARS = 8 * 1024 * 1024;

type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: unknown } | { type: 'BOOKMARK'; object: unknown };

/**
 * Follows the loop server's TapConfig watch stream until `close()`.
 *
 * @example
 * const follower = followTapConfigs({ server: 'http://127.0.0.1:5678', metrics });
 * await follower.ready(5_000);
 * const tap = createTap({ source: 'gateway', configs: follower, shipper });
 */
export function followTapConfigs(options: FollowOptions): TapConfigFollower {
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const random = options.random ?? Math.random;
  const base = options.server.endsWith('/') ? options.server : `${options.server}/`;
  const url = new URL('v1/tapconfigs?watch=true', base);
  const client = url.protocol === 'https:' ? https : http;

  const view = createView(logger, metrics);
  const connectionListeners = new Set<(connected: boolean) => void>();
  let closed = false;
  let isConnected = false;
  let attempt = 0;
  let request: ClientRequest | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let outageLogged = false;

  const setConnected = (up: boolean): void => {
    if (up === isConnected) return;
    isConnected = up;
    metrics?.connected.set(up ? 1 : 0);
    for (const l of connectionListeners) {
      try {
        l(up);
      } catch (err) {
        logger.warn('tapconfig connection listener failed', { err });
      }
    }
  };

  // Called once per watch attempt, however it ends. While disconnected the last known set stays in
  // force: the tap keeps capturing what it was told to rather than stopping (or capturing everything)
  // because the loop server is restarting. The first BOOKMARK after the reconnect replaces it.
  const disconnected = (reason: string, hint: string | undefined): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    request = undefined;
    setConnected(false);
    if (closed) return;
    const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(attempt, 30)) * (0.5 + random() * 0.5);
    attempt++;
    if (!outageLogged) {
      logger.warn('tapconfig watch disconnected; keeping the last known TapConfigs', { server: options.server, reason, ...(hint ? { hint } : {}), configs: view.current().length });
      outageLogged = true;
    } else {
      logger.debug('tapconfig watch retry failed', { reason, retryInMs: Math.round(delay) });
    }
    retryTimer = setTimeout(connect, delay);
    retryTimer.unref();
  };

  const connect = (): void => {
    retryTimer = undefined;
    if (closed) return;
    let ended = false;
    const end = (reason: string, hint?: string): void => {
      if (ended) return;
      ended = true;
      req.destroy();
      disconnected(reason, hint);
    };
    const armIdle = (): void => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => end(`no data for ${idleTimeoutMs} ms`), idleTimeoutMs);
      idleTimer.unref();
    };
    const req = client.get(url, { agent: false, headers: { accept: 'application/x-ndjson', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        end(`HTTP ${res.statusCode ?? '?'}`, res.statusCode === 401 || res.statusCode === 403 ? TOKEN_HINT : undefined);
        return;
      }
      setConnected(true);
      armIdle();
      const pending = new Map<string, CompiledTapConfig>();
      let synced = false;
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        if (ended) return;
        armIdle();
        buffered += text;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          let event: WatchEvent;
          try {
            event = parseEvent(line);
          } catch (err) {
            metrics?.errors.inc({ where: 'follower' });
            end(`bad watch event: ${messageOf(err)}`);
            return;
          }
          if (event.type === 'BOOKMARK') {
            if (!synced) {
              synced = true;
              attempt = 0;
              if (outageLogged) logger.info('tapconfig watch reconnected', { server: options.server });
              outageLogged = false;
              view.replace(pending);
            }
          } else if (!synced) {
            applyEvent(pending, event, logger, metrics);
          } else {
            view.update((live) => applyEvent(live, event, logger, metrics));
          }
        }
        if (buffered.length > MAX_LINE_CHARS) end('watch event too long');
      });
      res.on('end', () => end('stream ended'));
      res.on('error', (err) => end(messageOf(err)));
      res.on('close', () => end('stream closed'));
    });
    req.on('error', (err) => end(messageOf(err)));
    request = req;
    // From the request on, not only once a response has come: a peer that accepts the connection and never
    // answers (a proxy whose backend is gone) would otherwise hold the watch for good.
    armIdle();
  };

  connect();

  return {
    current: view.current,
    onChange: view.onChange,
    ready: view.ready,
    connected: () => isConnected,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => void connectionListeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      request?.destroy();
      view.close();
    },
  };
}

/** A fixed set of TapConfigs (from a file, or built in code), for a tap without a loop server. */
export function staticTapConfigs(configs: readonly TapConfig[], logger: Logger = silentLogger): TapConfigSource {
  const view = createView(logger, undefined);
  const map = new Map<string, CompiledTapConfig>();
  for (const c of configs) addCompiled(map, c, logger, undefined);
  view.replace(map);
  return { current: view.current, onChange: view.onChange, ready: view.ready, close: view.close };
}

/**
 * Loads TapConfigs from a YAML/JSON file for `staticTapConfigs`.
 * @throws LoopError TAPCONFIG_INVALID (from the loader) when the file holds a bad TapConfig.
 */
export async function readTapConfigFile(file: string, logger?: Logger): Promise<TapConfigSource> {
  return staticTapConfigs(loadTapConfigs(await readFile(file, 'utf8'), file), logger);
}

function parseEvent(line: string): WatchEvent {
  const v = JSON.parse(line) as unknown;
  if (typeof v !== 'object' || v === null) throw new Error('expected an object');
  const type = (v as { type?: unknown }).type;
  if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') {
    throw new Error(`unknown event type ${JSON.stringify(type)}`);
  }
  return { type, object: (v as { object?: unknown }).object };
}

function eventKey(object: unknown): string | undefined {
  const md = (object as { metadata?: { namespace?: unknown; name?: unknown } } | undefined)?.metadata;
  return typeof md?.namespace === 'string' && typeof md.name === 'string' ? `${md.namespace}/${md.name}` : undefined;
}

function applyEvent(map: Map<string, CompiledTapConfig>, event: WatchEvent, logger: Logger, metrics: TapMetrics | undefined): void {
  if (event.type === 'DELETED') {
    const key = eventKey(event.object);
    if (key !== undefined) map.delete(key);
    return;
  }
  addCompiled(map, event.object, logger, metrics);
}

/**
 * Compiles and stores one config. A config that does not compile is skipped — and an older version under
 * the same name is removed too: nothing of a bad TapConfig applies, not even its predecessor.
 */
function addCompiled(map: Map<string, CompiledTapConfig>, object: unknown, logger: Logger, metrics: TapMetrics | undefined): void {
  try {
    const compiled = compileTapConfig(object);
    map.set(compiled.key, compiled);
  } catch (err) {
    metrics?.errors.inc({ where: 'follower' });
    const key = eventKey(object);
    if (key !== undefined) map.delete(key);
    logger.warn('TapConfig skipped: it does not compile', { tapConfig: key, err: messageOf(err) });
  }
}

interface View {
  current(): readonly CompiledTapConfig[];
  onChange(listener: (configs: readonly CompiledTapConfig[]) => void): () => void;
  ready(timeoutMs?: number): Promise<void>;
  replace(next: Map<string, CompiledTapConfig>): void;
  update(change: (live: Map<string, CompiledTapConfig>) => void): void;
  close(): void;
}

/** The set in force: a map for updates, and a frozen sorted array rebuilt on each change for readers. */
function createView(logger: Logger, metrics: TapMetrics | undefined): View {
  let map = new Map<string, CompiledTapConfig>();
  let array: readonly CompiledTapConfig[] = Object.freeze([]);
  let loaded = false;
  let closed = false;
  const listeners = new Set<(configs: readonly CompiledTapConfig[]) => void>();
  const waiters = new Set<{ resolve(): void; reject(err: Error): void }>();

  const publish = (): void => {
    const next = Object.freeze([...map.values()].sort(byKey));
    const changed = next.length !== array.length || next.some((c, i) => c !== array[i]);
    array = next;
    metrics?.tapConfigs.set(next.length);
    if (!loaded) {
      loaded = true;
      for (const w of waiters) w.resolve();
      waiters.clear();
    }
    if (!changed) return;
    for (const l of listeners) {
      try {
        l(next);
      } catch (err) {
        logger.warn('tapconfig change listener failed', { err });
      }
    }
  };

  return {
    current: () => array,
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    ready(timeoutMs = 10_000) {
      if (loaded) return Promise.resolve();
      if (closed) return Promise.reject(new LoopError('SERVER_UNREACHABLE', 'the TapConfig source was closed before it loaded'));
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (err: Error) => {
            clearTimeout(timer);
            reject(err);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new LoopError('SERVER_UNREACHABLE', `no TapConfigs from the loop server within ${timeoutMs} ms`, { hint: 'is the loop server running at the address given?' }));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    replace(next) {
      map = next;
      publish();
    },
    update(change) {
      change(map);
      publish();
    },
    close() {
      closed = true;
      for (const w of waiters) w.reject(new LoopError('SERVER_UNREACHABLE', 'the TapConfig source was closed before it loaded'));
      waiters.clear();
      listeners.clear();
    },
  };
}
