// Waiting for a plank pod, with progress a person can follow: Pending → pulling the image (the kubelet's
// events) → Running → the plank's ready line in the pod log. Each way it can go wrong ends the wait with
// an error that says what happened: the image cannot be pulled (naming it), the pod cannot be scheduled
// (the scheduler's message), the plank reported an error, the pod ended or was deleted.
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { Log, Watch, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { LoopError, messageOf } from '../../core/errors.js';
import { errorFromEvent, parsePlankEvent, type PlankReadyEvent } from '../plank/index.js';
import type { KubeConnection } from './kube-client.js';
import { kubeCall, kubeError } from './kube-client.js';
import { PLANK_CONTAINER, PLANK_NAMESPACE } from './plank-pod.js';

export type PlankProgress =
  | { stage: 'pending'; detail: string }
  | { stage: 'event'; reason: string; message: string }
  | { stage: 'running' }
  | { stage: 'ready'; ready: PlankReadyEvent };

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (p: PlankProgress) => void;
}

const IMAGE_ERRORS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/** What a pod's state means for the wait: keep waiting (with a progress line), done, or a failure. */
export function judgePlankPod(pod: V1Pod, lastEvents: Map<string, string>): { done: true } | { done: false; detail: string } | { error: LoopError } {
  const name = pod.metadata?.name ?? '?';
  const status = pod.status ?? {};
  const container = status.containerStatuses?.[0];
  const image = pod.spec?.containers[0]?.image ?? '?';
  const waiting = container?.state?.waiting;
  if (waiting?.reason && IMAGE_ERRORS.has(waiting.reason)) {
    const why = lastEvents.get('Failed') ?? waiting.message ?? waiting.reason;
    return {
      error: new LoopError('DEBUGGER_ATTACH_FAILED', `the node cannot pull the plank image ${image} (${waiting.reason}): ${why}`, {
        hint: 'push the image built from deploy/plank.Dockerfile where the nodes can pull it, and pass --plank-image <image>',
        details: { reason: waiting.reason, image, pod: name },
      }),
    };
  }
  const unschedulable = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const scheduling = lastEvents.get('FailedScheduling') ?? (unschedulable?.reason === 'Unschedulable' ? unschedulable.message : undefined);
  if (scheduling) {
    return { error: new LoopError('DEBUGGER_ATTACH_FAILED', `the plank pod ${name} cannot be scheduled: ${scheduling}`, { details: { reason: 'FailedScheduling', pod: name } }) };
  }
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    const why = [status.reason, status.message, container?.state?.terminated?.message].filter(Boolean).join(': ');
    return { error: new LoopError('DEBUGGER_ATTACH_FAILED', `the plank pod ${name} ended (${status.phase}${why ? `: ${why}` : ''}) before it was ready`, { details: { reason: status.phase, pod: name } }) };
  }
  if (status.phase === 'Running') return { done: true };
  return { done: false, detail: waiting?.reason ?? status.phase ?? 'Pending' };
}

/**
 * Watches the pod and its events until it runs (or fails), then follows its log until the plank's ready
 * line. Resolves with the ready event and, for a plank older than `--netns-relay off` (its ready endpoint
 * is its own relay), the debugger's own port inside the target's network namespace from its "ready" log
 * record (what a port-forward to the target pod needs).
 */
export async function waitForPlank(conn: KubeConnection, name: string, o: WaitOptions): Promise<{ ready: PlankReadyEvent; debuggerPort?: number }> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => stop.abort(new LoopError('DEBUGGER_TIMEOUT', `the plank pod ${PLANK_NAMESPACE}/${name} was not ready within ${Math.round(o.timeoutMs / 1000)} s`, { hint: 'see kubectl describe pod -n squash-debugger ' + name })),
    o.timeoutMs,
  );
  try {
    await untilRunning(conn, name, o, stop.signal);
    o.onProgress?.({ stage: 'running' });
    const result = await readyFromLog(conn, name, stop.signal);
    o.onProgress?.({ stage: 'ready', ready: result.ready });
    return result;
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function untilRunning(conn: KubeConnection, name: string, o: WaitOptions, signal: AbortSignal): Promise<void> {
  const watch = new Watch(conn.kc);
  const lastEvents = new Map<string, string>();
  let pod: V1Pod | undefined;
  let lastDetail = '';
  const controllers: AbortController[] = [];
  // A watch whose request is answered only after the wait is over (the pod was Running in the first answer
  // of the other) must be stopped then: left open, it printed the plank pod's events for the whole session.
  // Whatever it delivers after the wait, or its abort's error, is not progress.
  let over = false;
  const keep = (c: AbortController): void => {
    if (over) c.abort();
    else controllers.push(c);
  };
  try {
    await Promise.race([
      aborted(signal),
      new Promise<void>((resolve, reject) => {
        let eventsListed = false;
        const judge = (): void => {
          if (!pod) return;
          const verdict = judgePlankPod(pod, lastEvents);
          if ('error' in verdict) {
            // Why the image cannot be pulled (not found, no access) is in the kubelet's Failed event, which the
            // events watch may not have brought yet when the pod already shows ErrImagePull: list the events once.
            if (IMAGE_ERRORS.has(String(verdict.error.details?.reason)) && !lastEvents.has('Failed') && !eventsListed) {
              eventsListed = true;
              void kubeCall({ verb: 'list', resource: 'events', namespace: PLANK_NAMESPACE }, () => conn.core.listNamespacedEvent({ namespace: PLANK_NAMESPACE, fieldSelector: `involvedObject.name=${name}` }), conn.server)
                .then((list) => list.items.forEach((ev) => lastEvents.set(ev.reason ?? '', ev.message ?? '')), () => undefined)
                .then(judge);
              return;
            }
            return reject(verdict.error);
          }
          if (verdict.done) return resolve();
          if (verdict.detail !== lastDetail) o.onProgress?.({ stage: 'pending', detail: (lastDetail = verdict.detail) });
        };
        const ended = (what: string) => (err: unknown) => {
          if (!signal.aborted) reject(err ? kubeError(err, { verb: 'watch', resource: what, namespace: PLANK_NAMESPACE }, conn.server) : new LoopError('SERVER_UNREACHABLE', `the API server ended the ${what} watch`));
        };
        const base = `/api/v1/namespaces/${PLANK_NAMESPACE}`;
        void watch
          .watch(`${base}/pods`, { fieldSelector: `metadata.name=${name}` }, (type: string, obj: V1Pod) => {
            if (type === 'DELETED') return reject(new LoopError('DEBUGGER_ATTACH_FAILED', `the plank pod ${name} was deleted while squashctl waited for it`));
            pod = obj;
            judge();
          }, ended('pods'))
          .then(keep, reject);
        void watch
          .watch(`${base}/events`, { fieldSelector: `involvedObject.name=${name}` }, (type: string, ev: CoreV1Event) => {
            if (over || (type !== 'ADDED' && type !== 'MODIFIED')) return;
            lastEvents.set(ev.reason ?? '', ev.message ?? '');
            o.onProgress?.({ stage: 'event', reason: ev.reason ?? '', message: ev.message ?? '' });
            judge();
          }, (err: unknown) => {
            // Events only make the progress readable; without them (RBAC, a dropped watch) the pod still tells the outcome.
            if (err && !signal.aborted && !over) o.onProgress?.({ stage: 'pending', detail: `(no event progress: ${kubeError(err, { verb: 'watch', resource: 'events', namespace: PLANK_NAMESPACE }, conn.server).message})` });
          })
          .then(keep, (err: unknown) => o.onProgress?.({ stage: 'pending', detail: `(no event progress: ${kubeError(err, { verb: 'watch', resource: 'events', namespace: PLANK_NAMESPACE }, conn.server).message})` }));
      }),
    ]);
  } finally {
    over = true;
    for (const c of controllers) c.abort();
  }
}

async function readyFromLog(conn: KubeConnection, name: string, signal: AbortSignal): Promise<{ ready: PlankReadyEvent; debuggerPort?: number }> {
  const stream = new PassThrough();
  let controller: AbortController | undefined;
  try {
    controller = await new Log(conn.kc).log(PLANK_NAMESPACE, name, PLANK_CONTAINER, stream, { follow: true });
  } catch (err) {
    throw kubeError(err, { verb: 'get', resource: 'pods/log', namespace: PLANK_NAMESPACE }, conn.server);
  }
  const lines = createInterface({ input: stream });
  try {
    return await Promise.race([
      aborted(signal),
      new Promise<{ ready: PlankReadyEvent; debuggerPort?: number }>((resolve, reject) => {
        let ready: PlankReadyEvent | undefined;
        let debuggerPort: number | undefined;
        const settle = (): void => {
          // A current plank's ready endpoint says itself where the debugger listens (namespace 'target');
          // an older plank's is its relay, and only its structured "ready" log record names the in-namespace port.
          const complete = ready && (ready.endpoint.namespace === 'target' || debuggerPort !== undefined || ['dlv', 'gdb'].includes(ready.endpoint.debugger));
          if (complete) resolve({ ready: ready!, ...(debuggerPort !== undefined ? { debuggerPort } : {}) });
        };
        lines.on('line', (line) => {
          const event = parsePlankEvent(line);
          if (event?.event === 'error') return reject(errorFromEvent(event));
          if (event?.event === 'ready') {
            ready = event;
            return settle();
          }
          const record = parseRecord(line);
          if (record?.msg === 'ready' && typeof record.debuggerPort === 'number') {
            debuggerPort = record.debuggerPort;
            settle();
          }
        });
        lines.on('close', () => reject(new LoopError('DEBUGGER_ATTACH_FAILED', `the plank in pod ${name} ended its log without a ready line`, { hint: `kubectl logs -n ${PLANK_NAMESPACE} ${name}` })));
      }),
    ]);
  } catch (err) {
    throw err instanceof LoopError || signal.aborted ? err : new LoopError('DEBUGGER_ATTACH_FAILED', `reading the log of plank pod ${name}: ${messageOf(err)}`, { cause: err });
  } finally {
    lines.close();
    controller?.abort();
    stream.destroy();
  }
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** How a plank pod ended during a session: deleted (or being deleted), or stopped with its phase. */
export type PlankPodEnd = { deleted: true } | { deleted: false; phase: 'Succeeded' | 'Failed'; reason?: string; message?: string };

/**
 * What squashctl says when a session's plank pod ended without it, and whether that is a failure (the
 * plank failed) rather than the plank letting go as designed (its TTL, the target exiting) or a deletion.
 * `why` is the plank's own reason from its log, when it could be read.
 */
export function describePlankPodEnd(name: string, end: PlankPodEnd, why?: string): { message: string; failed: boolean } {
  const pod = `${PLANK_NAMESPACE}/${name}`;
  if (end.deleted) return { message: `the plank pod ${pod} was deleted`, failed: false };
  if (end.reason === 'DeadlineExceeded') return { message: `the plank pod ${pod} reached its TTL (activeDeadlineSeconds) and was stopped`, failed: false };
  if (end.phase === 'Succeeded') return { message: `the plank in pod ${pod} let go of the target${why ? `: ${why}` : ''}`, failed: false };
  const detail = [end.reason, end.message, why].filter(Boolean).join(': ');
  return { message: `the plank pod ${pod} failed${detail ? ` (${detail})` : ''}`, failed: true };
}

/** The pod's end, when it has ended or is being deleted. */
export function plankPodEnd(pod: V1Pod): PlankPodEnd | undefined {
  if (pod.metadata?.deletionTimestamp) return { deleted: true };
  const { phase, reason, message } = pod.status ?? {};
  if (phase !== 'Succeeded' && phase !== 'Failed') return undefined;
  return { deleted: false, phase, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** How long to wait before reading the pod again after its watch ended or a read failed. */
const REWATCH_DELAY_MS = 2000;

/**
 * Resolves once the plank pod ends (the plank let go at its TTL, the target exited, the kubelet stopped
 * it at activeDeadlineSeconds) or is deleted (`squashctl cleanup --platform kube`, kubectl); undefined
 * when `signal` aborts first. API servers end watches after some minutes: each time, the pod is read
 * again (a pod gone meanwhile is a deletion) and watched anew.
 */
export async function untilPlankPodEnds(conn: KubeConnection, name: string, signal: AbortSignal): Promise<PlankPodEnd | undefined> {
  const watch = new Watch(conn.kc);
  const action = { verb: 'get', resource: 'pods', namespace: PLANK_NAMESPACE };
  while (!signal.aborted) {
    const pod = await kubeCall(action, () => conn.core.readNamespacedPod({ name, namespace: PLANK_NAMESPACE }), conn.server).catch((err: LoopError) => (err.code === 'NOT_FOUND' ? null : undefined));
    if (pod === null) return { deleted: true };
    const end = pod ? plankPodEnd(pod) : undefined;
    if (end) return end;
    const seen = pod ? await watchUntilEnd(watch, name, pod.metadata?.resourceVersion, signal) : undefined;
    if (seen) return seen;
    await delay(REWATCH_DELAY_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}

/** One watch of the plank pod: its end, or undefined when the watch ends first or `signal` aborts. */
function watchUntilEnd(watch: Watch, name: string, resourceVersion: string | undefined, signal: AbortSignal): Promise<PlankPodEnd | undefined> {
  return new Promise((resolve) => {
    let controller: AbortController | undefined;
    let done = false;
    const finish = (end: PlankPodEnd | undefined): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      resolve(end);
    };
    const onAbort = (): void => finish(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    const query = { fieldSelector: `metadata.name=${name}`, ...(resourceVersion ? { resourceVersion } : {}) };
    void watch
      .watch(`/api/v1/namespaces/${PLANK_NAMESPACE}/pods`, query, (type: string, obj: V1Pod) => {
        const end = type === 'DELETED' ? ({ deleted: true } as const) : plankPodEnd(obj);
        if (end) finish(end);
      }, () => finish(undefined))
      .then((c) => {
        controller = c;
        if (done) c.abort();
      });
  });
}

/** The plank's reason for letting go (its "letting go of the target" log record), or undefined when the log cannot be read. */
export async function plankLetGoReason(conn: KubeConnection, name: string): Promise<string | undefined> {
  const stream = new PassThrough();
  const giveUp = new AbortController();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  try {
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));
    await new Log(conn.kc).log(PLANK_NAMESPACE, name, PLANK_CONTAINER, stream, { follow: false, tailLines: 50 });
    await Promise.race([ended, delay(5000, undefined, { signal: giveUp.signal }).catch(() => undefined)]);
  } catch {
    return undefined;
  } finally {
    giveUp.abort();
    stream.destroy();
  }
  const records = text.split('\n').map(parseRecord).filter((r) => r?.msg === 'letting go of the target');
  const detail = records.at(-1)?.detail;
  return typeof detail === 'string' ? detail : undefined;
}
