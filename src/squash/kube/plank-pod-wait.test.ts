// How squashctl reads a plank pod's state while waiting (no socket: pods and events fed in).
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describePlankPodEnd, judgePlankPod, plankPodEnd } from './plank-pod-wait.js';

const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'plank-abcde' }, spec: { containers: [{ name: 'plank', image: 'registry.example/squash-plank:0.1.0' }] }, status });
const waiting = (reason: string, message?: string): V1Pod['status'] => ({ phase: 'Pending', containerStatuses: [{ name: 'plank', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } } }] });
const failure = (p: V1Pod, events: Record<string, string> = {}): string => {
  const v = judgePlankPod(p, new Map(Object.entries(events)));
  if (!('error' in v)) throw new Error(`not a failure: ${JSON.stringify(v)}`);
  return v.error.message;
};

describe('judgePlankPod', () => {
  it.each([
    [pod({ phase: 'Pending' }), 'Pending'],
    [pod(waiting('ContainerCreating')), 'ContainerCreating'],
  ])('keeps waiting on %#', (p, detail) => expect(judgePlankPod(p, new Map())).toEqual({ done: false, detail }));

  it('is done once the pod runs', () => expect(judgePlankPod(pod({ phase: 'Running' }), new Map())).toEqual({ done: true }));

  it.each(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'])('%s fails naming the image and the kubelet reason', (reason) => {
    expect(failure(pod(waiting(reason)), { Failed: 'Failed to pull image "x": not found' })).toBe(
      `the node cannot pull the plank image registry.example/squash-plank:0.1.0 (${reason}): Failed to pull image "x": not found`,
    );
  });

  it('a FailedScheduling event fails with the scheduler message', () => {
    expect(failure(pod({ phase: 'Pending' }), { FailedScheduling: '0/3 nodes are available: 3 Insufficient cpu.' })).toMatch(/cannot be scheduled: 0\/3 nodes are available: 3 Insufficient cpu\.$/);
  });

  it('an Unschedulable condition fails too (events may be rate-limited away)', () => {
    expect(failure(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'node(s) had untolerated taint' }] }))).toMatch(/untolerated taint/);
  });

  it('a pod the kubelet rejected or that ended fails with its reason', () => {
    expect(failure(pod({ phase: 'Failed', reason: 'OutOfmemory', message: 'Node didn\'t have enough resource: memory' }))).toBe(
      "the plank pod plank-abcde ended (Failed: OutOfmemory: Node didn't have enough resource: memory) before it was ready",
    );
  });
});

describe('a plank pod that ends during a session', () => {
  it.each([
    [{ phase: 'Running' }, undefined],
    [{ phase: 'Succeeded' }, { deleted: false, phase: 'Succeeded' }],
    [{ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }, { deleted: false, phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }],
  ] as Array<[V1Pod['status'], unknown]>)('status %j ends the session as %j', (status, end) => expect(plankPodEnd(pod(status))).toEqual(end));

  it('a pod being deleted (deletionTimestamp set, still Running) is over already', () => {
    expect(plankPodEnd({ ...pod({ phase: 'Running' }), metadata: { name: 'plank-abcde', deletionTimestamp: new Date() } })).toEqual({ deleted: true });
  });

  it.each([
    [{ deleted: true }, undefined, 'the plank pod squash-debugger/plank-abcde was deleted', false],
    [{ deleted: false, phase: 'Succeeded' }, 'the TTL of 3600000 ms ran out', 'the plank in pod squash-debugger/plank-abcde let go of the target: the TTL of 3600000 ms ran out', false],
    [{ deleted: false, phase: 'Failed', reason: 'DeadlineExceeded' }, undefined, 'the plank pod squash-debugger/plank-abcde reached its TTL (activeDeadlineSeconds) and was stopped', false],
    [{ deleted: false, phase: 'Failed' }, 'the dlv debugger ended while process 42 still runs', 'the plank pod squash-debugger/plank-abcde failed (the dlv debugger ended while process 42 still runs)', true],
    [{ deleted: false, phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }, undefined, 'the plank pod squash-debugger/plank-abcde failed (Evicted: The node was low on resource: memory.)', true],
  ] as const)('%j (plank said %j): "%s", failed %s', (end, why, message, failed) => {
    expect(describePlankPodEnd('plank-abcde', end, why)).toEqual({ message, failed });
  });
});
