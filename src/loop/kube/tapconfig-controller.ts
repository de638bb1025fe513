// The TapConfig controller: follows tapconfigs.loop.solo.io in Kubernetes and mirrors them into the loop
// server's registry, writing each object's Ready condition through the status subresource.
//
// List, then watch from the list's resourceVersion (with bookmarks); a dropped watch resumes from the last
// resourceVersion seen (an event's or a bookmark's), so nothing is lost and nothing is re-listed; 410 Gone
// (the version was compacted away) re-lists, and the re-list also removes what was deleted meanwhile.
// Built on the client library's `Watch` (its kubeconfig auth, TLS and line framing) and its generated
// CustomObjectsApi rather than its ListWatch informer, because in client-node 1.4 the informer neither asks
// for bookmarks nor retries after a failed list or watch (it reports the error and stops), and it has no
// "initial list done" signal, which readiness and the deletion sweep need.
//
// Semantics (the tutorial user expects the last good config to keep working):
// - valid object → applied to the registry (only when its spec differs), Ready=True;
// - invalid object → not applied, Ready=False with reason InvalidMatch/InvalidSpec and the loader's
//   message (line:column for match errors); a previously applied version of it stays in force;
// - deleted object → removed from the registry, whatever its last validity;
// - Kubernetes owns TapConfigs in the watched namespaces: each (re-)list removes registry entries there
//   that Kubernetes does not have (e.g. deleted while the loop server was down).
import { CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { isLoopError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { validateTapConfig, type TapConfigProblem } from '../../tapconfig/tapconfig-loader.js';
import { tapConfigKey, type TapConfig, type TapConfigSpec } from '../../tapconfig/tapconfig.js';
import { appliedVerdict, nextStatus, rejectedVerdict, type ReadyVerdict } from './tapconfig-status.js';
import {
  TAPCONFIG_CRD_NAME,
  TAPCONFIG_GROUP,
  TAPCONFIG_PLURAL,
  TAPCONFIG_VERSION,
  tapConfigCollectionPath,
  type KubeTapConfig,
} from './tapconfig-resource.js';

/** What the controller writes to: the loop server's TapConfig registry satisfies it. */
export interface TapConfigTarget {
  get(key: string): TapConfig | undefined;
  list(): TapConfig[];
  apply(configs: TapConfig[]): Promise<unknown>;
  delete(namespace: string, name: string): Promise<boolean>;
}

/** What happened, for logs, metrics and tests (which wait on these instead of sleeping). */
export type ControllerEvent =
  | { type: 'listed'; scope: string; resourceVersion: string; count: number }
  | { type: 'watching'; scope: string; resourceVersion: string }
  | { type: 'bookmark'; scope: string; resourceVersion: string }
  | { type: 'expired'; scope: string }
  | { type: 'applied' | 'unchanged' | 'rejected' | 'deleted'; key: string }
  | { type: 'status'; key: string; ready: string; reason: string }
  | { type: 'error'; scope: string; message: string };

export interface TapConfigControllerDeps {
  kubeConfig: KubeConfig;
  target: TapConfigTarget;
  logger: Logger;
  /** Namespaces to follow; empty follows every namespace (needs the cluster-wide list/watch permission). */
  namespaces: string[];
  clock?: () => Date;
  /** Delay before retrying a failed list or watch: doubles from `initialMs` up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** Asked of the API server per watch; it ends the watch then, and the controller resumes it. */
  watchTimeoutSeconds?: number;
  onEvent?: (event: ControllerEvent) => void;
}

export interface TapConfigController {
  /** Resolves once every followed namespace has been listed and applied once. */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

type WatchEnd = { kind: 'closed' } | { kind: 'expired' } | { kind: 'failed'; error: unknown };

const ALL = '*';

/** Starts following TapConfigs at once; failures are logged and retried, never thrown. */
export function startTapConfigController(deps: TapConfigControllerDeps): TapConfigController {
  const clock = deps.clock ?? (() => new Date());
  const backoff = deps.backoff ?? { initialMs: 500, maxMs: 30_000 };
  const api = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  const watcher = new Watch(deps.kubeConfig);
  const emit = (event: ControllerEvent): void => deps.onEvent?.(event);
  const scopes = deps.namespaces.length > 0 ? [...new Set(deps.namespaces)] : [ALL];
  const stopping = new AbortController();
  const openWatches = new Set<AbortController>();

  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  const pending = new Set(scopes);

  const inScope = (scope: string, config: TapConfig): boolean => scope === ALL || config.metadata.namespace === scope;

  async function reconcile(object: KubeTapConfig): Promise<void> {
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    let verdict: ReadyVerdict;
    try {
      const config = validateTapConfig(object, `TapConfig ${key}`);
      if (sameSpec(deps.target.get(key)?.spec, config.spec)) {
        emit({ type: 'unchanged', key });
      } else {
        await deps.target.apply([config]);
        deps.logger.info('tapconfig applied from Kubernetes', { tapConfig: key, resourceVersion: object.metadata.resourceVersion });
        emit({ type: 'applied', key });
      }
      verdict = appliedVerdict();
    } catch (err) {
      if (!isLoopError(err, 'TAPCONFIG_INVALID')) throw err;
      const problems = (err.details?.problems ?? []) as TapConfigProblem[];
      verdict = rejectedVerdict(problems, deps.target.get(key) !== undefined);
      deps.logger.warn('tapconfig from Kubernetes rejected', { tapConfig: key, reason: verdict.reason, message: verdict.message });
      emit({ type: 'rejected', key });
    }
    await writeStatus(object, key, verdict);
  }

  async function writeStatus(object: KubeTapConfig, key: string, verdict: ReadyVerdict): Promise<void> {
    const status = nextStatus(object, verdict, clock());
    if (!status || object.metadata.namespace === undefined) return;
    try {
      // A merge patch of .status replaces the conditions list, which this controller alone writes.
      await api.patchNamespacedCustomObjectStatus(
        {
          group: TAPCONFIG_GROUP,
          version: TAPCONFIG_VERSION,
          plural: TAPCONFIG_PLURAL,
          namespace: object.metadata.namespace,
          name: object.metadata.name,
          body: { status },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      emit({ type: 'status', key, ready: verdict.status, reason: verdict.reason });
    } catch (err) {
      // 404: deleted since the event; its DELETED event follows. Other failures are retried by the next
      // event or re-list, since the status still differs then.
      if (statusCodeOf(err) === 404) return;
      deps.logger.warn('cannot write tapconfig status', { tapConfig: key, error: describeApiError(err) });
    }
  }

  async function remove(object: KubeTapConfig): Promise<void> {
    const namespace = object.metadata.namespace ?? '';
    const key = `${namespace}/${object.metadata.name}`;
    if (deps.target.get(key) === undefined) return;
    await deps.target.delete(namespace, object.metadata.name);
    deps.logger.info('tapconfig deleted in Kubernetes', { tapConfig: key });
    emit({ type: 'deleted', key });
  }

  /** Lists the scope, applies every object, removes registry entries Kubernetes no longer has. */
  async function listAndSync(scope: string): Promise<string> {
    const params = { group: TAPCONFIG_GROUP, version: TAPCONFIG_VERSION, plural: TAPCONFIG_PLURAL };
    const list = (await (scope === ALL
      ? api.listClusterCustomObject(params)
      : api.listNamespacedCustomObject({ ...params, namespace: scope }))) as { items?: KubeTapConfig[]; metadata?: { resourceVersion?: string } };
    const items = list.items ?? [];
    const present = new Set(items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`));
    for (const object of items) await reconcile(object);
    for (const config of deps.target.list()) {
      if (inScope(scope, config) && !present.has(tapConfigKey(config))) {
        await remove({ metadata: { name: config.metadata.name, namespace: config.metadata.namespace } });
      }
    }
    const resourceVersion = list.metadata?.resourceVersion ?? '';
    emit({ type: 'listed', scope, resourceVersion, count: items.length });
    return resourceVersion;
  }

  /** One watch connection. Events are handled in order; it ends once the stream has and they are done. */
  function watchOnce(scope: string, from: string, seen: (resourceVersion: string) => void): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let queue: Promise<void> = Promise.resolve();
      let end: WatchEnd = { kind: 'closed' };
      let connection: AbortController | undefined;
      const handle = (type: string, object: KubeTapConfig & { code?: number; message?: string }): void => {
        if (type === 'ERROR') {
          // A Status object; 410 means `from` was compacted away and only a re-list can continue.
          end = object.code === 410 ? { kind: 'expired' } : { kind: 'failed', error: new Error(`watch error ${object.code ?? ''}: ${object.message ?? ''}`) };
          return;
        }
        const resourceVersion = object.metadata?.resourceVersion;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') return;
        // Remember a version only once everything before it is handled, so a failure re-delivers on resume.
        queue = queue.then(async () => {
          if (end.kind === 'failed') return;
          try {
            if (type === 'BOOKMARK') emit({ type: 'bookmark', scope, resourceVersion: resourceVersion ?? '' });
            else await (type === 'DELETED' ? remove(object) : reconcile(object));
            if (resourceVersion) seen(resourceVersion);
          } catch (err) {
            end = { kind: 'failed', error: err };
            connection?.abort();
          }
        });
      };
      const done = (err: unknown): void => {
        stopping.signal.removeEventListener('abort', onStop);
        if (connection) openWatches.delete(connection);
        if (err && end.kind === 'closed' && !stopping.signal.aborted) end = statusCodeOf(err) === 410 ? { kind: 'expired' } : { kind: 'failed', error: err };
        void queue.then(() => resolve(end));
      };
      // The library can abort a watch only once its response headers have arrived; stopping must not wait for that.
      const onStop = (): void => resolve({ kind: 'closed' });
      stopping.signal.addEventListener('abort', onStop, { once: true });
      const query = { resourceVersion: from, allowWatchBookmarks: true, timeoutSeconds: deps.watchTimeoutSeconds ?? 300 };
      emit({ type: 'watching', scope, resourceVersion: from });
      watcher.watch(tapConfigCollectionPath(scope === ALL ? undefined : scope), query, handle, done).then(
        (controller) => {
          connection = controller;
          openWatches.add(controller);
          if (stopping.signal.aborted) controller.abort();
        },
        (err: unknown) => done(err),
      );
    });
  }

  async function follow(scope: string): Promise<void> {
    let resourceVersion = '';
    let failures = 0;
    while (!stopping.signal.aborted) {
      let failure: unknown;
      try {
        if (resourceVersion === '') {
          resourceVersion = await listAndSync(scope);
          if (pending.delete(scope) && pending.size === 0) markSynced();
        }
        const end = await watchOnce(scope, resourceVersion, (rv) => (resourceVersion = rv));
        if (end.kind === 'expired') {
          deps.logger.info('tapconfig watch expired; listing again', { scope, resourceVersion });
          emit({ type: 'expired', scope });
          resourceVersion = '';
        } else if (end.kind === 'failed') {
          failure = end.error;
        } else {
          failures = 0;
        }
      } catch (err) {
        failure = err;
      }
      if (failure === undefined || stopping.signal.aborted) continue;
      failures++;
      const message = describeApiError(failure);
      deps.logger.warn('tapconfig list/watch failed; retrying', { scope, error: message, attempt: failures, hint: hintFor(failure) });
      emit({ type: 'error', scope, message });
      await delay(Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 16)), stopping.signal);
    }
  }

  const running = scopes.map((scope) =>
    follow(scope).catch((err: unknown) => deps.logger.error('tapconfig controller stopped', { scope, error: messageOf(err) })),
  );
  deps.logger.info('following TapConfigs in Kubernetes', { namespaces: scopes, server: deps.kubeConfig.getCurrentCluster()?.server });

  return {
    synced,
    async stop() {
      stopping.abort();
      for (const c of openWatches) c.abort();
      await Promise.all(running);
    },
  };
}

function sameSpec(a: TapConfigSpec | undefined, b: TapConfigSpec): boolean {
  return a !== undefined && canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted, so key order does not count as a change. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y))) : v,
  );
}

/** The HTTP status of a failed API call or watch (ApiException.code, Watch's error.statusCode). */
function statusCodeOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return typeof e?.code === 'number' ? e.code : undefined;
}

function describeApiError(err: unknown): string {
  const status = statusCodeOf(err);
  // The Status object the API server answered with; the generated client leaves it a string at times.
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // not JSON: no message to add
    }
  }
  // Else the reason line of the client's ApiException ("HTTP-Code: 401\nMessage: Unauthorized\n…").
  const text =
    typeof body === 'object' && body !== null && 'message' in body
      ? String((body as { message: unknown }).message)
      : /^Message: (.+)$/m.exec(messageOf(err))?.[1];
  if (status !== undefined) return `HTTP ${status}${text ? `: ${text}` : ''}`;
  return messageOf(err);
}

function hintFor(err: unknown): string | undefined {
  switch (statusCodeOf(err)) {
    case 401:
      return 'the Kubernetes credentials were refused; check --kubeconfig or the service account token';
    case 403:
      return 'the service account may not list/watch tapconfigs; apply the ClusterRole in deploy/loop.yaml';
    case 404:
      return `the CRD ${TAPCONFIG_CRD_NAME} is not installed; kubectl apply -f deploy/loop.yaml`;
    default:
      return undefined;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
