// What the Kubernetes pickers offer, as plain data (tested without a terminal or a cluster): namespaces
// (the system ones and squash-debugger hidden unless asked), Running pods filtered by what is typed,
// the pod's containers, and the debugger a container most likely wants, guessed from its image and command.
import type { V1Container, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { DebuggerName } from '../squash-types.js';
import type { PickerChoice } from '../squashctl/index.js';
import { PLANK_NAMESPACE } from './plank-pod.js';

export const HIDDEN_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', PLANK_NAMESPACE];

export function namespaceChoices(namespaces: readonly V1Namespace[], allNamespaces: boolean): string[] {
  return namespaces
    .map((n) => n.metadata?.name ?? '')
    .filter((n) => n !== '' && (allNamespaces || !HIDDEN_NAMESPACES.includes(n)))
    .sort();
}

/** Running pods whose name (or node, or a container name) holds every typed word, case-insensitively. */
export function podChoices(pods: readonly V1Pod[], term: string | undefined): PickerChoice<string>[] {
  const words = (term ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return pods
    .filter((p) => p.status?.phase === 'Running' && p.metadata?.deletionTimestamp === undefined)
    .filter((p) => {
      const hay = [p.metadata?.name, p.spec?.nodeName, ...(p.spec?.containers ?? []).map((c) => c.name)].join(' ').toLowerCase();
      return words.every((w) => hay.includes(w));
    })
    .map((p) => ({
      value: p.metadata!.name!,
      name: p.metadata!.name!,
      description: `node ${p.spec?.nodeName ?? '?'}; containers ${(p.spec?.containers ?? []).map((c) => c.name).join(', ')}`,
    }));
}

/** A pod's containers as choices, image shown. */
export function containerChoices(pod: V1Pod): PickerChoice<string>[] {
  return (pod.spec?.containers ?? []).map((c) => ({ value: c.name, name: `${c.name}  (${c.image ?? '?'})` }));
}

const RULES: ReadonlyArray<[DebuggerName, readonly string[]]> = [
  ['dlv', ['golang', 'go', 'dlv']],
  ['nodejs', ['node', 'nodejs']],
  ['python', ['python', 'python2', 'python3', 'pypy', 'pypy3', 'gunicorn', 'uvicorn']],
  ['java', ['openjdk', 'java', 'temurin', 'jdk', 'jre', 'corretto']],
];

/**
 * The debugger a container most likely needs, from the words of its image repository name (registry and
 * tag left out) and the programs in its command and args: golang/go → dlv, node → nodejs, python →
 * python, openjdk/java/eclipse-temurin → java, anything else gdb (it debugs any native process).
 */
export function detectDebugger(container: Pick<V1Container, 'image' | 'command' | 'args'>): DebuggerName {
  const repo = (container.image ?? '').replace(/@.*$/, '').replace(/:[^/]*$/, '').split('/').pop() ?? '';
  const programs = [...(container.command ?? []), ...(container.args ?? []).slice(0, 1)].map((a) => a.split('/').pop() ?? '');
  const words = new Set([repo, ...programs].flatMap((s) => s.toLowerCase().split(/[^a-z0-9]+/)).filter(Boolean));
  for (const [name, hints] of RULES) if (hints.some((h) => words.has(h))) return name;
  return 'gdb';
}

/** Debugger choices for a container: the detected one first and marked; all offered (the plank checks fit). */
export function kubeDebuggerChoices(detected: DebuggerName, all: readonly DebuggerName[]): PickerChoice<DebuggerName>[] {
  return [detected, ...all.filter((d) => d !== detected)].map((d) => ({ value: d, name: d === detected ? `${d} (detected from the image)` : d }));
}
