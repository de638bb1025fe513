// The plank pod as squashctl creates it: valid against the Kubernetes Pod schema (kubernetes-models),
// least privilege pinned, the TTL as activeDeadlineSeconds, the labels that tie it to its target.
import { describe, expect, it } from 'vitest';
import { Pod } from 'kubernetes-models/v1';
import { plankPod, stripRuntimePrefix, type PlankPodInput } from './plank-pod.js';

const ID = 'ab12'.padEnd(64, 'f');
const input: PlankPodInput = {
  target: { namespace: 'default', pod: 'payment-7d9f-x2x', container: 'payment', nodeName: 'worker-2', containerId: ID },
  debugger: 'dlv',
  ttlMs: 3_600_000,
  image: 'registry.example/squash-plank:0.1.0',
  attachTimeoutMs: 15_000,
};

describe('plankPod', () => {
  const pod = plankPod(input);
  const container = pod.spec!.containers[0]!;

  it('is a valid Pod for the API server', () => {
    expect(() => new Pod(pod as never).validate()).not.toThrow();
  });

  it('the schema check can fail: a mistyped field is refused', () => {
    expect(() => new Pod({ ...pod, spec: { ...pod.spec, hostPID: 'yes' } } as never).validate()).toThrow();
  });

  it('runs in squash-debugger on the target node, sharing the host PID namespace and nothing else', () => {
    expect(pod.metadata).toMatchObject({ namespace: 'squash-debugger', generateName: 'plank-' });
    expect(pod.spec).toMatchObject({ nodeName: 'worker-2', hostPID: true, restartPolicy: 'Never', automountServiceAccountToken: false, serviceAccountName: 'squash-plank' });
    expect(pod.spec!.hostNetwork).toBeUndefined();
    expect(pod.spec!.hostIPC).toBeUndefined();
    expect(pod.spec!.volumes!.every((v) => v.hostPath === undefined)).toBe(true);
  });

  it('adds SYS_PTRACE and drops every other capability, without privilege', () => {
    expect(container.securityContext).toMatchObject({ capabilities: { drop: ['ALL'], add: ['SYS_PTRACE'] }, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  });

  it("hands the plank the container ID to find on the node, the debugger, the TTL and the target's namespace", () => {
    expect(container.args).toEqual(['plank', '--container', ID, '--debugger', 'dlv', '--ttl', '1h', '--timeout', '15s', '--target-namespace', 'default', '--netns-relay', 'off']);
    expect(container.image).toBe('registry.example/squash-plank:0.1.0');
  });

  it('passes the namespace policy on as --allow-namespaces when there is one', () => {
    const args = plankPod({ ...input, allowNamespaces: ['prod', 'staging'] }).spec!.containers[0]!.args!;
    expect(args.slice(-6, -2)).toEqual(['--target-namespace', 'default', '--allow-namespaces', 'prod,staging']);
  });

  it('labels it with its target', () => {
    expect(pod.metadata!.labels).toEqual({
      plank: 'true',
      'squash.solo.io/target-namespace': 'default',
      'squash.solo.io/target-pod': 'payment-7d9f-x2x',
      'squash.solo.io/target-container': 'payment',
      'squash.solo.io/debugger': 'dlv',
    });
  });

  it.each([
    [3_600_000, 3600, '1h'],
    [600_000, 600, '10m'],
    [1_500, 2, '1500ms'],
  ])('TTL %i ms → activeDeadlineSeconds %i, --ttl %s', (ttlMs, seconds, flag) => {
    const p = plankPod({ ...input, ttlMs });
    expect(p.spec!.activeDeadlineSeconds).toBe(seconds);
    expect(p.spec!.containers[0]!.args![6]).toBe(flag);
  });
});

describe('stripRuntimePrefix', () => {
  it.each([
    [`containerd://${ID}`, ID],
    [`cri-o://${ID}`, ID],
    [`docker://${ID}`, ID],
  ])('%s → the bare ID', (raw, id) => expect(stripRuntimePrefix(raw)).toBe(id));

  it.each(['', ID, 'containerd://', 'containerd://not-hex'])('refuses %j', (raw) => {
    expect(() => stripRuntimePrefix(raw)).toThrow(/unexpected container ID/);
  });
});
