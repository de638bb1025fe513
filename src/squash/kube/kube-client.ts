// The cluster connection squashctl uses: the user's kubeconfig (or --kubeconfig) and context, and the
// translation of API failures into LoopErrors that say what was refused (verb, resource, namespace).
import { existsSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { LoopError, messageOf } from '../../core/errors.js';
import { formatDuration } from '../../core/options-schema.js';

export interface KubeConnection {
  kc: KubeConfig;
  core: CoreV1Api;
  /** The API server URL, for messages. */
  server: string;
}

/** Where the default kubeconfig is looked for; the process's own by default (tests pass others). */
export interface KubeconfigPlace {
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/**
 * @throws LoopError CONFIG_INVALID when there is no kubeconfig (none named, $KUBECONFIG unset, no
 * ~/.kube/config, not in a pod), it cannot be read, or the context does not exist.
 */
export function connectKube(o: { kubeconfig: string; context: string }, place: KubeconfigPlace = {}): KubeConnection {
  const env = place.env ?? process.env;
  const defaultFile = join(place.home ?? homedir(), '.kube', 'config');
  const kc = new KubeConfig();
  const where = o.kubeconfig || 'the default kubeconfig ($KUBECONFIG or ~/.kube/config)';
  if (o.kubeconfig && !existsSync(o.kubeconfig)) {
    throw new LoopError('CONFIG_INVALID', `--kubeconfig: ${o.kubeconfig} does not exist`, {
      hint: 'check the path; without --kubeconfig squashctl reads $KUBECONFIG or ~/.kube/config',
    });
  }
  // With nothing to read, client-node falls back to http://localhost:8080, and its error is about TLS.
  const inPod = Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
  if (!o.kubeconfig && !env.KUBECONFIG && !existsSync(defaultFile) && !inPod) {
    throw new LoopError('CONFIG_INVALID', `no kubeconfig found: ${defaultFile} does not exist and $KUBECONFIG is unset`, {
      hint: 'pass --kubeconfig <file> (or set $KUBECONFIG) for the cluster to debug in',
    });
  }
  try {
    if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
    else if (!env.KUBECONFIG && existsSync(defaultFile)) kc.loadFromFile(defaultFile);
    else kc.loadFromDefault();
  } catch (err) {
    throw new LoopError('CONFIG_INVALID', `cannot read ${where}: ${messageOf(err)}`, { cause: err, hint: 'pass --kubeconfig <file>' });
  }
  const contexts = kc.getContexts().map((c) => c.name);
  if (o.context) {
    if (!kc.getContextObject(o.context)) {
      throw new LoopError('CONFIG_INVALID', `--context: no context "${o.context}" in ${where}`, {
        hint: `contexts there: ${contexts.join(', ') || 'none'}`,
      });
    }
    kc.setCurrentContext(o.context);
  }
  // client-node leaves the current context undefined (not empty) when the file names none.
  if (!kc.getCurrentContext()) {
    throw new LoopError('CONFIG_INVALID', `${where} sets no current-context and --context was not given`, {
      hint: contexts.length > 0 ? `pass --context with one of: ${contexts.join(', ')}` : 'it defines no contexts either: pass --kubeconfig with the file for your cluster',
    });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new LoopError('CONFIG_INVALID', `no cluster for context "${kc.getCurrentContext()}" in ${where}`, { hint: 'pass --kubeconfig or --context' });
  return { kc, core: kc.makeApiClient(CoreV1Api), server: cluster.server };
}

/** What squashctl was doing when the API refused: `create pods in squash-debugger`. */
export interface KubeAction {
  verb: string;
  resource: string;
  namespace?: string;
}

const describe = (a: KubeAction): string => `${a.verb} ${a.resource}${a.namespace ? ` in namespace ${a.namespace}` : ' (cluster-wide)'}`;

/** The Status message from an ApiException body (a JSON string or an object), if there is one. */
export function statusMessage(body: unknown): string | undefined {
  let v = body;
  if (typeof body === 'string') {
    try {
      v = JSON.parse(body);
    } catch {
      return body === '' ? undefined : body;
    }
  }
  const m = (v as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : undefined;
}

/**
 * The HTTP status of a client-node failure: an ApiException's `code`, or the `statusCode` its Watch puts on
 * the Error it hands to `done` (a refused watch is `new Error('Forbidden')` with `statusCode: 403`).
 */
function httpStatusOf(err: unknown): number | undefined {
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** Translates a client-node failure (ApiException, a watch's or a log's refusal, connection error) into a LoopError naming the action. */
export function kubeError(err: unknown, action: KubeAction, server = 'the API server'): LoopError {
  if (err instanceof LoopError) return err;
  const code = httpStatusOf(err);
  // Without a Status body (the Log client reads none) an ApiException's message is a dump of status, body
  // and response headers: the status's own text says as much in a line.
  const detail = statusMessage((err as { body?: unknown }).body) ?? (err instanceof ApiException && code !== undefined ? (STATUS_CODES[code] ?? `HTTP ${code}`) : messageOf(err));
  if (code === 403) {
    return new LoopError('PERMISSION_DENIED', `not allowed to ${describe(action)}: ${detail}`, {
      cause: err,
      hint: 'apply deploy/squash-debugger.yaml and bind its ClusterRole squash-user and Role squash-user (namespace squash-debugger) to you',
      details: { ...action },
    });
  }
  if (code === 401) return new LoopError('PERMISSION_DENIED', `${server} did not accept your credentials (${describe(action)})`, { cause: err, hint: 'refresh your kubeconfig credentials' });
  if (code === 404) return new LoopError('NOT_FOUND', `${detail} (${describe(action)})`, { cause: err, details: { ...action } });
  if (code !== undefined) return new LoopError('INTERNAL', `${describe(action)} failed with HTTP ${code}: ${detail}`, { cause: err, details: { ...action } });
  return new LoopError('SERVER_UNREACHABLE', `cannot reach the Kubernetes API at ${server} (${describe(action)}): ${messageOf(err)}`, { cause: err });
}

/**
 * How long one API call may take. The client sets no deadline of its own, so an API server (or a proxy, a
 * tunnel) that accepts the connection and never answers held squashctl, and the pickers of editor plugins
 * waiting on it, forever. Listings of the largest namespaces answer well within it.
 */
export const KUBE_CALL_TIMEOUT_MS = 30_000;

/** Runs an API call; failures become kubeError's LoopErrors, and no answer within `timeoutMs` SERVER_UNREACHABLE. */
export async function kubeCall<T>(action: KubeAction, call: () => Promise<T>, server?: string, timeoutMs = KUBE_CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new LoopError('SERVER_UNREACHABLE', `the Kubernetes API at ${server ?? 'the API server'} did not answer within ${formatDuration(timeoutMs)} (${describe(action)})`, {
          hint: 'check that the API server is up and reachable from here (kubectl get --raw /readyz), and the kubeconfig\'s server address and context',
        }),
      );
    }, timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([call(), deadline]);
  } catch (err) {
    throw kubeError(err, action, server);
  } finally {
    clearTimeout(timer);
  }
}
