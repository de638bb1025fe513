// The interactive Kubernetes pickers (@inquirer): namespace → pod (type to filter) → container (skipped
// when there is one) → debugger (Enter takes the detected one). Prompts draw on `context` (stderr).
import search from '@inquirer/search';
import select from '@inquirer/select';
import type { V1Pod } from '@kubernetes/client-node';
import { LoopError } from '../../core/errors.js';
import type { DebuggerName } from '../squash-types.js';
import type { PromptContext } from '../squashctl/pickers.js';
import { containerChoices, kubeDebuggerChoices, podChoices } from './pod-choices.js';

export async function pickNamespace(namespaces: readonly string[], context: PromptContext): Promise<string> {
  if (namespaces.length === 0) throw new LoopError('TARGET_NOT_FOUND', 'no namespaces to pick from', { hint: 'system namespaces are hidden: add --all-namespaces' });
  return search<string>(
    {
      message: 'Namespace (type to filter)',
      source: (term) => namespaces.filter((n) => n.includes((term ?? '').toLowerCase())).map((n) => ({ value: n, name: n })),
      pageSize: 15,
    },
    context,
  );
}

export async function pickPod(namespace: string, pods: readonly V1Pod[], context: PromptContext): Promise<string> {
  if (podChoices(pods, '').length === 0) throw new LoopError('TARGET_NOT_FOUND', `no Running pods in namespace ${namespace}`);
  return search<string>({ message: `Pod in ${namespace} (type to filter; Running only)`, source: (term) => podChoices(pods, term), pageSize: 15 }, context);
}

export async function pickContainer(pod: V1Pod, context: PromptContext): Promise<string> {
  const choices = containerChoices(pod);
  if (choices.length === 1) return choices[0]!.value;
  return select<string>({ message: 'Container', choices }, context);
}

export async function pickKubeDebugger(detected: DebuggerName, all: readonly DebuggerName[], context: PromptContext): Promise<DebuggerName> {
  return select<DebuggerName>({ message: 'Debugger', choices: kubeDebuggerChoices(detected, all), default: detected }, context);
}
