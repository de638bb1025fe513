// What `squashctl kube namespaces|pods -o json` prints for editor plugins: namespaces (system ones hidden
// unless asked, as in the picker), and the Running pods of a namespace with their containers — name,
// image, the runtime's container ID (when it runs) and the debugger it most likely needs. Plain data, no I/O.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { DebuggerName } from '../squash-types.js';
import { detectDebugger, namespaceChoices, podChoices } from './pod-choices.js';
import { stripRuntimePrefix } from './plank-pod.js';

export interface KubeNamespaceListing {
  name: string;
}

export interface KubeContainerListing {
  name: string;
  image: string;
  /** The runtime's ID without `containerd://` (what the plank looks for); absent while the container is not running. */
  containerId?: string;
  /** Guessed from the image and command; the plank checks the real process. */
  debugger: DebuggerName;
}

export interface KubePodListing {
  namespace: string;
  name: string;
  node: string;
  containers: KubeContainerListing[];
}

export function listNamespaces(namespaces: readonly V1Namespace[], allNamespaces: boolean): KubeNamespaceListing[] {
  return namespaceChoices(namespaces, allNamespaces).map((name) => ({ name }));
}

/** The Running pods (the ones there is a process to attach to), sorted by name. */
export function listPods(pods: readonly V1Pod[]): KubePodListing[] {
  const running = new Set(podChoices(pods, '').map((c) => c.value));
  return pods
    .filter((p) => running.has(p.metadata?.name ?? ''))
    .map((p) => ({
      namespace: p.metadata?.namespace ?? '',
      name: p.metadata!.name!,
      node: p.spec?.nodeName ?? '',
      containers: (p.spec?.containers ?? []).map((c) => {
        const status = p.status?.containerStatuses?.find((s) => s.name === c.name);
        const containerId = status?.state?.running && status.containerID ? idOrUndefined(status.containerID) : undefined;
        return { name: c.name, image: c.image ?? '', ...(containerId ? { containerId } : {}), debugger: detectDebugger(c) };
      }),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function idOrUndefined(raw: string): string | undefined {
  try {
    return stripRuntimePrefix(raw);
  } catch {
    return undefined;
  }
}
