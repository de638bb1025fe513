// The plank pod: one per attach, in namespace squash-debugger on the target's node, sharing the host PID
// namespace so the plank finds the target's process through /proc by its container ID. Least privilege:
// SYS_PTRACE is the only capability (every other one dropped), no host network, no CRI socket, no service
// account token, a read-only root filesystem; `activeDeadlineSeconds` is the TTL, so the kubelet ends a
// forgotten plank even when squashctl never comes back to delete it.
import type { V1Pod } from '@kubernetes/client-node';
import { LoopError } from '../../core/errors.js';
import { formatDuration } from '../../core/options-schema.js';
import type { DebuggerName } from '../squash-types.js';

export const PLANK_NAMESPACE = 'squash-debugger';
export const PLANK_SERVICE_ACCOUNT = 'squash-plank';
export const PLANK_CONTAINER = 'plank';
export const LABEL_PLANK = 'plank';
export const LABEL_TARGET_NAMESPACE = 'squash.solo.io/target-namespace';
export const LABEL_TARGET_POD = 'squash.solo.io/target-pod';
export const LABEL_TARGET_CONTAINER = 'squash.solo.io/target-container';
export const LABEL_DEBUGGER = 'squash.solo.io/debugger';
/** Selects every plank pod (what `squashctl cleanup --platform kube` deletes). */
export const PLANK_SELECTOR = `${LABEL_PLANK}=true`;

export interface PlankPodInput {
  target: { namespace: string; pod: string; container: string; nodeName: string; containerId: string };
  debugger: DebuggerName;
  ttlMs: number;
  image: string;
  /** How long the plank may take to attach, passed on as its --timeout. */
  attachTimeoutMs: number;
  /** The namespaces planks may debug in (ConfigMap squash-plank-policy); undefined: no restriction. */
  allowNamespaces?: readonly string[] | undefined;
}

/**
 * The container runtime's ID from a containerStatuses[].containerID (`containerd://abc…`, `cri-o://…`,
 * `docker://…`): what the plank looks for in /proc/PID/cgroup.
 */
export function stripRuntimePrefix(containerId: string): string {
  const m = /^[a-z0-9-]+:\/\/(.+)$/.exec(containerId);
  if (!m || !/^[0-9a-f]{12,}$/i.test(m[1]!)) {
    throw new LoopError('TARGET_NOT_FOUND', `unexpected container ID "${containerId}" (expected runtime://<hex id>)`, { details: { containerId } });
  }
  return m[1]!;
}

/** The pod squashctl creates; the API server names it (`plank-xxxxx`). */
export function plankPod(input: PlankPodInput): V1Pod {
  const { target } = input;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'plank-',
      namespace: PLANK_NAMESPACE,
      labels: {
        [LABEL_PLANK]: 'true',
        [LABEL_TARGET_NAMESPACE]: target.namespace,
        [LABEL_TARGET_POD]: target.pod,
        [LABEL_TARGET_CONTAINER]: target.container,
        [LABEL_DEBUGGER]: input.debugger,
      },
      annotations: { 'squash.solo.io/target-container-id': target.containerId },
    },
    spec: {
      nodeName: target.nodeName,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: Math.ceil(input.ttlMs / 1000),
      serviceAccountName: PLANK_SERVICE_ACCOUNT,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: PLANK_CONTAINER,
          image: input.image,
          imagePullPolicy: 'IfNotPresent',
          args: [
            'plank',
            '--container', target.containerId,
            '--debugger', input.debugger,
            '--ttl', formatDuration(input.ttlMs),
            '--timeout', formatDuration(input.attachTimeoutMs),
            // The plank checks this against the target's own namespace file, and both against the policy.
            '--target-namespace', target.namespace,
            ...(input.allowNamespaces ? ['--allow-namespaces', input.allowNamespaces.join(',')] : []),
            // Without CAP_SYS_ADMIN the plank cannot enter the target's network namespace: it reports the
            // in-namespace port of nodejs/python/java, and squashctl port-forwards to the target pod.
            '--netns-relay', 'off',
          ],
          securityContext: {
            capabilities: { drop: ['ALL'], add: ['SYS_PTRACE'] },
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsUser: 0,
          },
          resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '1Gi' } },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }],
    },
  };
}
