// A Kubernetes API server stand-in for the TapConfig resource, on loopback, speaking the real REST the
// client library uses: list with a resourceVersion, `?watch=true` streaming one JSON event per line
// ({type, object}), bookmarks when asked for, an ERROR event carrying a 410 Status once a version is
// compacted away, PATCH (merge patch) and PUT on the status subresource, and Status objects for errors.
// Tests drive it (create, update, delete, bookmark, compact, drop or hold watches) and watch its events.
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { KubeTapConfig } from './tapconfig-resource.js';

export const STAND_IN_TOKEN = 'stand-in-token';
const API_VERSION = 'loop.solo.io/v1';
const COLLECTION = /^\/apis\/loop\.solo\.io\/v1\/(?:namespaces\/([^/]+)\/)?tapconfigs(?:\/([^/]+)(\/status)?)?$/;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: unknown;
}

interface WatchStream {
  namespace: string | undefined;
  bookmarks: boolean;
  res: ServerResponse;
}

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeTapConfig;
}

type Json = Record<string, unknown>;

export interface KubeApiStandIn {
  url: string;
  /**
   * Emits `request` (a RecordedRequest) once a non-watch request is answered, `watch` when a watch starts
   * streaming (or is refused with 410), `held` when one is parked, `watch-closed` when one ends.
   */
  events: EventEmitter;
  requests: RecordedRequest[];
  /** Creates or replaces an object (a spec change bumps metadata.generation), as `kubectl apply` would. */
  apply(object: { metadata: { name: string; namespace: string }; spec: unknown }): KubeTapConfig;
  remove(namespace: string, name: string): void;
  get(namespace: string, name: string): KubeTapConfig | undefined;
  /** Advances the resourceVersion (as writes to other resources do) and sends a bookmark to watchers that asked. */
  bookmark(): string;
  /** Forgets history up to now: older resourceVersions get 410 Gone, as an event or as the HTTP status. */
  compact(as?: 'event' | 'http'): void;
  /** Cuts every open watch connection without ending the response. */
  dropWatches(): void;
  /** Parks new watch requests until `releaseWatches` (to make changes while the controller is disconnected). */
  holdWatches(): void;
  releaseWatches(): void;
  openWatches(): number;
  close(): Promise<void>;
}

/**
 * More resources on the same server (Squash's pods, namespaces, events, logs and port-forward live in
 * src/squash/kube/pod-api-stand-in.test-helper.ts). `handle` sees authenticated requests the TapConfig
 * routes do not know and returns false to let them 404; `upgrade` gets every websocket upgrade.
 */
export interface KubeApiStandInExtension {
  handle(req: IncomingMessage, res: ServerResponse, url: URL, recorded: RecordedRequest): boolean;
  upgrade?(req: IncomingMessage, socket: Socket, head: Buffer): void;
  close?(): Promise<void>;
}

export async function startKubeApiStandIn(extension?: KubeApiStandInExtension): Promise<KubeApiStandIn> {
  const objects = new Map<string, KubeTapConfig>();
  let history: HistoryEntry[] = [];
  let rv = 100;
  let compactedBelow = 0;
  let goneAs: 'event' | 'http' = 'event';
  let holding = false;
  const held: Array<() => void> = [];
  const watches = new Set<WatchStream>();
  const events = new EventEmitter();
  const requests: RecordedRequest[] = [];
  let uid = 0;

  const keyOf = (ns: string, name: string) => `${ns}/${name}`;
  const copy = <T>(v: T): T => structuredClone(v);

  const record = (type: HistoryEntry['type'], object: KubeTapConfig): void => {
    const entry = { rv, type, object: copy(object) };
    history.push(entry);
    for (const w of watches) if (inScope(w.namespace, object)) send(w.res, entry.type, entry.object);
  };

  const write = (ns: string, name: string, mutate: (o: KubeTapConfig) => void, type: 'ADDED' | 'MODIFIED'): KubeTapConfig => {
    const object = objects.get(keyOf(ns, name)) ?? {
      apiVersion: API_VERSION,
      kind: 'TapConfig',
      metadata: { name, namespace: ns, uid: `uid-${++uid}`, generation: 0 },
    };
    mutate(object);
    object.metadata.resourceVersion = String(++rv);
    objects.set(keyOf(ns, name), object);
    record(type, object);
    return copy(object);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'] ?? '',
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
      requests.push(recorded);
      handle(req, res, url, recorded);
      if (!(recorded.method === 'GET' && isWatch(url))) events.emit('request', recorded);
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, r: RecordedRequest): void {
    if (req.headers.authorization !== `Bearer ${STAND_IN_TOKEN}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const m = COLLECTION.exec(url.pathname);
    if (!m && extension?.handle(req, res, url, r)) return;
    if (!m) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const [, ns, name, sub] = m;
    if (r.method === 'GET' && name === undefined) {
      if (isWatch(url)) return startWatch(res, ns, url);
      const items = [...objects.values()].filter((o) => inScope(ns, o)).map(copy);
      return json(res, 200, { apiVersion: API_VERSION, kind: 'TapConfigList', metadata: { resourceVersion: String(rv) }, items });
    }
    if (ns === undefined || name === undefined) return status(res, 405, 'MethodNotAllowed', `${r.method} is not supported here`);
    const existing = objects.get(keyOf(ns, name));
    if (!existing) return status(res, 404, 'NotFound', `tapconfigs.loop.solo.io "${name}" not found`);
    if (r.method === 'GET' && !sub) return json(res, 200, existing);
    if (r.method === 'PATCH' && sub) {
      if (r.contentType !== 'application/merge-patch+json') return status(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`);
      const patch = r.body as { status?: unknown };
      const updated = write(ns, name, (o) => (o.status = mergePatch(o.status, patch.status) as KubeTapConfig['status']), 'MODIFIED');
      return json(res, 200, updated);
    }
    if (r.method === 'PUT' && sub) {
      const body = r.body as KubeTapConfig;
      if (body.metadata?.resourceVersion !== existing.metadata.resourceVersion) {
        return status(res, 409, 'Conflict', `Operation cannot be fulfilled on tapconfigs.loop.solo.io "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      return json(res, 200, write(ns, name, (o) => (o.status = copy(body.status)), 'MODIFIED'));
    }
    return status(res, 405, 'MethodNotAllowed', `${r.method} is not supported by the stand-in`);
  }

  function startWatch(res: ServerResponse, ns: string | undefined, url: URL): void {
    const begin = (): void => {
      const from = url.searchParams.get('resourceVersion') ?? '';
      const fromRv = Number(from);
      if (from !== '' && from !== '0' && fromRv < compactedBelow) {
        const gone = statusObject(410, 'Expired', `too old resource version: ${from} (${compactedBelow})`);
        if (goneAs === 'http') return json(res, 410, gone);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'ERROR', object: gone }) + '\n');
        events.emit('watch', { namespace: ns, resourceVersion: from, gone: true });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders(); // as the API server does: a watch with nothing to report yet is still open
      const stream: WatchStream = { namespace: ns, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res };
      if (from === '' || from === '0') {
        for (const o of objects.values()) if (inScope(ns, o)) send(res, 'ADDED', o);
      } else {
        for (const e of history) if (e.rv > fromRv && inScope(ns, e.object)) send(res, e.type, e.object);
      }
      watches.add(stream);
      res.on('close', () => {
        watches.delete(stream);
        events.emit('watch-closed');
      });
      events.emit('watch', { namespace: ns, resourceVersion: from, gone: false });
    };
    if (holding) {
      held.push(begin);
      events.emit('held');
    } else {
      begin();
    }
  }

  if (extension?.upgrade) server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => extension.upgrade!(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    events,
    requests,
    apply(object) {
      const { namespace, name } = object.metadata;
      const before = objects.get(keyOf(namespace, name));
      return write(
        namespace,
        name,
        (o) => {
          if (JSON.stringify(o.spec) !== JSON.stringify(object.spec)) o.metadata.generation = (o.metadata.generation ?? 0) + 1;
          o.spec = copy(object.spec);
        },
        before ? 'MODIFIED' : 'ADDED',
      );
    },
    remove(namespace, name) {
      const object = objects.get(keyOf(namespace, name));
      if (!object) throw new Error(`stand-in: no ${namespace}/${name}`);
      objects.delete(keyOf(namespace, name));
      object.metadata.resourceVersion = String(++rv);
      record('DELETED', object);
    },
    get: (namespace, name) => {
      const o = objects.get(keyOf(namespace, name));
      return o && copy(o);
    },
    bookmark() {
      rv++;
      for (const w of watches) if (w.bookmarks) send(w.res, 'BOOKMARK', { apiVersion: API_VERSION, kind: 'TapConfig', metadata: { resourceVersion: String(rv) } });
      return String(rv);
    },
    compact(as = 'event') {
      goneAs = as;
      compactedBelow = rv + 1;
      history = [];
    },
    dropWatches() {
      for (const w of watches) w.res.socket?.destroy();
    },
    holdWatches() {
      holding = true;
    },
    releaseWatches() {
      holding = false;
      for (const begin of held.splice(0)) begin();
    },
    openWatches: () => watches.size,
    async close() {
      for (const begin of held.splice(0)) begin();
      for (const w of watches) w.res.socket?.destroy();
      await extension?.close?.();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A kubeconfig naming the stand-in (plain HTTP needs insecure-skip-tls-verify in client-node). */
export function standInKubeconfig(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: stand-in`,
    `  cluster: {server: "${url}", insecure-skip-tls-verify: true}`,
    'users:',
    `- name: loop`,
    `  user: {token: ${STAND_IN_TOKEN}}`,
    'contexts:',
    '- name: stand-in',
    '  context: {cluster: stand-in, user: loop}',
    'current-context: stand-in',
    '',
  ].join('\n');
}

function isWatch(url: URL): boolean {
  const w = url.searchParams.get('watch');
  return w === 'true' || w === '1';
}

function inScope(namespace: string | undefined, object: KubeTapConfig): boolean {
  return namespace === undefined || object.metadata.namespace === namespace;
}

function send(res: ServerResponse, type: string, object: unknown): void {
  res.write(JSON.stringify({ type, object }) + '\n');
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function statusObject(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, statusObject(code, reason, message));
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
