// Attaching to a container of a Kubernetes pod: check the target pod runs, start a plank pod on its node,
// wait for the plank's ready line, and port-forward to localhost — to the plank pod for Delve and
// gdbserver (they run in the plank), to the target pod for the Node inspector, debugpy and JDWP (they
// listen inside the target's network namespace; the kubelet dials localhost there, so planks need no
// CAP_SYS_ADMIN). The plank pod is deleted when the session closes, including after Ctrl-C mid-wait.
import type { V1Pod } from '@kubernetes/client-node';
import { LoopError, messageOf } from '../../core/errors.js';
import { closeInspector } from '../debuggers/index.js';
import type { PlankReadyEvent } from '../plank/index.js';
import type { DebugEndpoint, DebuggerName } from '../squash-types.js';
import { kubeCall, kubeError, type KubeConnection } from './kube-client.js';
import { LABEL_DEBUGGER, LABEL_TARGET_CONTAINER, LABEL_TARGET_NAMESPACE, LABEL_TARGET_POD, PLANK_NAMESPACE, PLANK_SELECTOR, plankPod, stripRuntimePrefix } from './plank-pod.js';
import { plankPodEnd, untilPlankPodEnds, waitForPlank, type PlankPodEnd, type PlankProgress } from './plank-pod-wait.js';
import { listenForPodPort } from './pod-port-forward.js';

/** Debuggers that run in the plank pod (and attach across namespaces by ptrace). */
const RUNS_IN_PLANK: readonly DebuggerName[] = ['dlv', 'gdb'];

export interface KubeTarget {
  namespace: string;
  pod: string;
  container: string;
}

export interface KubeAttachOptions {
  target: KubeTarget;
  debugger: DebuggerName;
  ttlMs: number;
  image: string;
  attachTimeoutMs: number;
  podTimeoutMs: number;
  localPort: number;
  signal?: AbortSignal;
  onProgress?: (p: PlankProgress | { stage: 'created'; pod: string }) => void;
  onForwardError?: (message: string) => void;
}

export interface KubeSession {
  /** The endpoint on this machine (the local end of the port-forward). */
  endpoint: DebugEndpoint;
  ready: PlankReadyEvent;
  plankPod: string;
  /** Where the port-forward goes. */
  forwardedTo: { namespace: string; pod: string; port: number };
  /**
   * Settles when the plank pod ends or is deleted without `close` (its TTL, the target exiting, a cleanup
   * from elsewhere): the session is over then. Undefined once `close` was called.
   */
  ended: Promise<PlankPodEnd | undefined>;
  /** Stops forwarding and deletes the plank pod (which detaches the debugger). Idempotent. */
  close(): Promise<void>;
}

/**
 * Reads the target pod; a pod that does not exist is TARGET_NOT_FOUND naming it, or naming the namespace
 * when that is what does not exist (a typo there reads as a missing pod otherwise).
 */
export async function readTargetPod(conn: KubeConnection, t: Pick<KubeTarget, 'namespace' | 'pod'>): Promise<V1Pod> {
  return kubeCall({ verb: 'get', resource: 'pods', namespace: t.namespace }, () => conn.core.readNamespacedPod({ name: t.pod, namespace: t.namespace }), conn.server).catch(async (err: LoopError) => {
    if (err.code !== 'NOT_FOUND') throw err;
    const namespaceExists = await kubeCall({ verb: 'get', resource: 'namespaces' }, () => conn.core.readNamespace({ name: t.namespace }), conn.server).then(
      () => true,
      (nsErr: LoopError) => nsErr.code !== 'NOT_FOUND', // not allowed to look, or unreachable: say what is known
    );
    if (!namespaceExists) throw new LoopError('TARGET_NOT_FOUND', `no namespace ${t.namespace}`, { cause: err, hint: 'squashctl kube namespaces lists them (system ones with --all-namespaces)' });
    throw new LoopError('TARGET_NOT_FOUND', `no pod ${t.pod} in namespace ${t.namespace}`, { cause: err, hint: `kubectl get pods -n ${t.namespace}` });
  });
}

/** The target pod's container, read and checked (see checkTarget). */
export async function readTarget(conn: KubeConnection, t: KubeTarget): Promise<{ pod: V1Pod; containerId: string; nodeName: string }> {
  const pod = await readTargetPod(conn, t);
  return { pod, ...checkTarget(pod, t) };
}

/**
 * Checks there is a process to attach to: the pod runs, the container exists and has started. squashctl
 * calls it as soon as it has the pod and the container, before it asks for a debugger or starts anything.
 */
export function checkTarget(pod: V1Pod, t: KubeTarget): { containerId: string; nodeName: string } {
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase !== 'Running') {
    throw new LoopError('TARGET_NOT_FOUND', `pod ${t.namespace}/${t.pod} is ${phase}, not Running: there is no process to attach to`, { details: { phase } });
  }
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  if (!names.includes(t.container)) {
    throw new LoopError('TARGET_NOT_FOUND', `pod ${t.namespace}/${t.pod} has no container "${t.container}"`, { hint: `its containers: ${names.join(', ')}` });
  }
  const status = pod.status?.containerStatuses?.find((s) => s.name === t.container);
  if (!status?.containerID || !status.state?.running) {
    throw new LoopError('TARGET_NOT_FOUND', `container ${t.container} of pod ${t.namespace}/${t.pod} is not running`, { details: { state: status?.state } });
  }
  return { containerId: stripRuntimePrefix(status.containerID), nodeName: pod.spec?.nodeName ?? '' };
}

/** The ConfigMap (in squash-debugger) that limits which namespaces planks may debug in. */
export const PLANK_POLICY_CONFIGMAP = 'squash-plank-policy';
export const PLANK_POLICY_KEY = 'allowedNamespaces';

/**
 * The namespaces planks may debug in, from ConfigMap squash-plank-policy; undefined when it does not
 * exist (no restriction). A ConfigMap without names allows none. The plank enforces it on the node.
 */
export async function readPlankPolicy(conn: KubeConnection): Promise<string[] | undefined> {
  const action = { verb: 'get', resource: 'configmaps', namespace: PLANK_NAMESPACE };
  const cm = await kubeCall(action, () => conn.core.readNamespacedConfigMap({ name: PLANK_POLICY_CONFIGMAP, namespace: PLANK_NAMESPACE }), conn.server).catch((err: LoopError) => {
    if (err.code === 'NOT_FOUND') return undefined;
    throw err;
  });
  if (!cm) return undefined;
  return parsePlankPolicy(cm.data?.[PLANK_POLICY_KEY]);
}

/** `allowedNamespaces: "a, b"` → ['a', 'b']; a missing or empty value → [] (nothing allowed). */
export function parsePlankPolicy(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * One plank per process, as on this machine: a process has one tracer, debugpy cannot be injected twice,
 * and two planks on one Node inspector close it under each other. A live plank pod labelled for the same
 * container is refused here, named, rather than by the second plank on the node in its own words.
 */
export async function assertNoPlankPodFor(conn: KubeConnection, t: KubeTarget): Promise<void> {
  const labelSelector = [PLANK_SELECTOR, `${LABEL_TARGET_NAMESPACE}=${t.namespace}`, `${LABEL_TARGET_POD}=${t.pod}`, `${LABEL_TARGET_CONTAINER}=${t.container}`].join(',');
  const list = await kubeCall({ verb: 'list', resource: 'pods', namespace: PLANK_NAMESPACE }, () => conn.core.listNamespacedPod({ namespace: PLANK_NAMESPACE, labelSelector }), conn.server);
  const holder = list.items.find((p) => plankPodEnd(p) === undefined);
  if (!holder) return;
  const name = holder.metadata?.name ?? '?';
  const since = holder.metadata?.creationTimestamp ? `, since ${new Date(holder.metadata.creationTimestamp).toISOString()}` : '';
  throw new LoopError('CONFLICT', `${t.namespace}/${t.pod} container ${t.container} is already held by plank pod ${PLANK_NAMESPACE}/${name} (${holder.metadata?.labels?.[LABEL_DEBUGGER] ?? 'a debugger'}${since}): one plank per process`, {
    hint: `connect through the squashctl session that started it, or end it with kubectl delete pod -n ${PLANK_NAMESPACE} ${name} (squashctl cleanup --platform kube ends every plank pod) and attach again`,
    details: { plankPod: name, ...t },
  });
}

export async function attachKube(conn: KubeConnection, o: KubeAttachOptions): Promise<KubeSession> {
  const target = await readTarget(conn, o.target);
  await assertNoPlankPodFor(conn, o.target);
  const allowNamespaces = await readPlankPolicy(conn);
  if (allowNamespaces?.length === 0) {
    throw new LoopError('PERMISSION_DENIED', `ConfigMap ${PLANK_NAMESPACE}/${PLANK_POLICY_CONFIGMAP} allows planks in no namespace: not debugging ${o.target.namespace}/${o.target.pod}`, {
      hint: `ask the cluster admin to list namespaces in its ${PLANK_POLICY_KEY} key (comma-separated)`,
      details: { namespace: o.target.namespace, allowedNamespaces: [] },
    });
  }
  const body = plankPod({
    allowNamespaces,
    target: { ...o.target, nodeName: target.nodeName, containerId: target.containerId },
    debugger: o.debugger,
    ttlMs: o.ttlMs,
    image: o.image,
    attachTimeoutMs: o.attachTimeoutMs,
  });
  // The local end first: a --port that is taken is refused before a plank pod attaches for nothing.
  // While the inspector is being closed, forwards that find its port closed are expected, not news.
  let closingInspector = false;
  const onForwardError = o.onForwardError;
  const forward = await listenForPodPort(conn, { localPort: o.localPort, ...(onForwardError ? { onError: (m: string) => void (closingInspector || onForwardError(m)) } : {}) });
  const created = await kubeCall({ verb: 'create', resource: 'pods', namespace: PLANK_NAMESPACE }, () => conn.core.createNamespacedPod({ namespace: PLANK_NAMESPACE, body }), conn.server).catch(async (err: unknown) => {
    await forward.close();
    throw err;
  });
  const name = created.metadata!.name!;
  o.onProgress?.({ stage: 'created', pod: name });
  let closed: Promise<void> | undefined;
  const closing = new AbortController();
  // The Node inspector the plank opened in the target: the plank cannot close it (it cannot reach the
  // target's loopback), so squashctl does, through the port-forward, before the forward goes.
  let openedInspector: string | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing.abort();
      if (openedInspector) {
        closingInspector = true;
        await closeInspector(openedInspector, async () => (await inspectorWebsocketUrl(forward.host, forward.port, 500)) === undefined);
      }
      await forward.close();
      await deletePlankPod(conn, name);
    })());
  try {
    const { ready, debuggerPort } = await waitForPlank(conn, name, { timeoutMs: o.podTimeoutMs, ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    const forwardedTo = forwardTarget(ready.endpoint, debuggerPort, { namespace: PLANK_NAMESPACE, pod: name }, o.target);
    forward.forwardTo({ namespace: forwardedTo.namespace, pod: forwardedTo.pod, podPort: forwardedTo.port });
    const endpoint = localEndpoint(ready.endpoint, forward);
    if (endpoint.protocol === 'cdp' && !endpoint.websocketUrl) {
      // A plank in the pod cannot ask the inspector; through the port-forward we can (nvim-dap needs the URL).
      const url = await inspectorWebsocketUrl(endpoint.host, endpoint.port);
      if (url) endpoint.websocketUrl = url;
    }
    if (endpoint.protocol === 'cdp' && ready.endpoint.namespace === 'target') openedInspector = endpoint.websocketUrl;
    return { endpoint, ready, plankPod: name, forwardedTo, ended: untilPlankPodEnds(conn, name, closing.signal), close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/**
 * Where the port-forward goes: the target pod at the debugger's in-namespace port when the plank reports
 * one (`namespace: 'target'`; `debuggerPort` from an older plank's log), else the plank pod's own endpoint
 * (Delve and gdbserver run in the plank).
 */
export function forwardTarget(
  endpoint: DebugEndpoint,
  debuggerPort: number | undefined,
  plank: { namespace: string; pod: string },
  target: KubeTarget,
): { namespace: string; pod: string; port: number } {
  if (endpoint.namespace === 'target') return { namespace: target.namespace, pod: target.pod, port: endpoint.port };
  if (RUNS_IN_PLANK.includes(endpoint.debugger)) return { ...plank, port: endpoint.port };
  if (debuggerPort === undefined) throw new LoopError('DEBUGGER_ATTACH_FAILED', `the plank in pod ${plank.pod} did not say where ${endpoint.debugger} listens in the target pod`);
  return { namespace: target.namespace, pod: target.pod, port: debuggerPort };
}

/** The plank's endpoint as seen through the local port-forward (the CDP websocket URL too). */
export function localEndpoint(endpoint: DebugEndpoint, local: { host: string; port: number }): DebugEndpoint {
  const { namespace: _inTarget, ...reachable } = endpoint; // reachable here, through the port-forward
  const out: DebugEndpoint = { ...reachable, host: local.host, port: local.port };
  if (endpoint.websocketUrl) {
    const url = new URL(endpoint.websocketUrl);
    url.host = `${local.host}:${local.port}`;
    out.websocketUrl = url.toString();
  }
  return out;
}

/** The inspector's CDP websocket URL from its `/json/list`, or undefined when it does not answer in time. */
async function inspectorWebsocketUrl(host: string, port: number, timeoutMs = 5000): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${host}:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) });
    const list = (await res.json()) as Array<{ type?: string; webSocketDebuggerUrl?: string }>;
    const found = Array.isArray(list) ? (list.find((t) => t.type === 'node') ?? list[0])?.webSocketDebuggerUrl : undefined;
    if (!found) return undefined;
    const url = new URL(found);
    url.host = `${host}:${port}`; // as the port-forward's local end
    return url.toString();
  } catch {
    return undefined;
  }
}

/** Deletes one plank pod; already gone is fine. */
export async function deletePlankPod(conn: KubeConnection, name: string): Promise<void> {
  try {
    await conn.core.deleteNamespacedPod({ name, namespace: PLANK_NAMESPACE, gracePeriodSeconds: 5 });
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return;
    throw kubeError(err, { verb: 'delete', resource: 'pods', namespace: PLANK_NAMESPACE }, conn.server);
  }
}

/** `squashctl cleanup --platform kube`: deletes every plank pod; returns their names. */
export async function cleanupPlankPods(conn: KubeConnection): Promise<string[]> {
  const list = await kubeCall({ verb: 'list', resource: 'pods', namespace: PLANK_NAMESPACE }, () => conn.core.listNamespacedPod({ namespace: PLANK_NAMESPACE, labelSelector: PLANK_SELECTOR }), conn.server);
  const names = list.items.map((p) => p.metadata?.name ?? '').filter(Boolean);
  for (const name of names) await deletePlankPod(conn, name).catch((err: unknown) => {
    throw err instanceof LoopError ? err : new LoopError('INTERNAL', `deleting plank pod ${name}: ${messageOf(err)}`, { cause: err });
  });
  return names;
}
