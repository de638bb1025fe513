// Which Kubernetes namespaces a plank may debug in: with an allowlist set, the target's namespace must be
// on it before any debugger touches the process. The namespace is read from the target itself when it can
// be (the service account's namespace file a pod's containers get, seen through /proc/PID/root) and that
// beats what the caller claims; a claim that disagrees is refused, and with neither the plank cannot tell
// and refuses. Limit: a target that mounts no token but ships its own file at that path chooses what it
// says; that only lets its own image's owner mislabel it, and the caller's claim must still agree.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LoopError } from '../../core/errors.js';
import { DEFAULT_PROC_ROOT } from '../targets/index.js';

/** Where a pod's containers find their namespace (Kubernetes mounts it with the service account token). */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = 'var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** A DNS-1123 label, what a Kubernetes namespace name is. */
export function checkNamespaceName(name: string): string | undefined {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name) ? undefined : 'a Kubernetes namespace name (lower-case letters, digits and -, at most 63)';
}

export interface NamespacePolicy {
  /** Undefined: no restriction (a plank on a developer's machine). */
  allow: readonly string[] | undefined;
  /** What the caller says the target's namespace is; '' when it says nothing. */
  claimed: string;
}

/**
 * The target's namespace as its own filesystem says, or undefined when the file is absent or unreadable
 * (not a pod, a pod without a token, a process gone).
 */
export async function readTargetNamespace(pid: number, procRoot: string = DEFAULT_PROC_ROOT): Promise<string | undefined> {
  try {
    const text = (await readFile(join(procRoot, String(pid), 'root', SERVICE_ACCOUNT_NAMESPACE_FILE), 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * The decision: returns the namespace the target is judged to be in (undefined when unknown and there is
 * no allowlist), or throws PERMISSION_DENIED naming the namespace and the allowlist.
 */
export function judgeTargetNamespace(policy: NamespacePolicy, actual: string | undefined, pid: number): string | undefined {
  const { allow, claimed } = policy;
  const allowed = allow?.join(', ');
  if (actual !== undefined && claimed !== '' && actual !== claimed) {
    throw new LoopError('PERMISSION_DENIED', `process ${pid} is in namespace ${actual}, not ${claimed} as --target-namespace says: refusing a mismatched target`, {
      hint: 'the plank checks the namespace the target itself reports; target the pod by its real namespace',
      details: { pid, namespace: actual, claimed, ...(allow ? { allowedNamespaces: [...allow] } : {}) },
    });
  }
  const namespace = actual ?? (claimed || undefined);
  if (allow === undefined) return namespace;
  if (namespace === undefined) {
    throw new LoopError('PERMISSION_DENIED', `cannot tell the namespace of process ${pid} (no service account namespace file, no --target-namespace); allowed namespaces: ${allowed}`, {
      hint: 'pass --target-namespace NS, or run the plank without --allow-namespaces on a machine outside Kubernetes',
      details: { pid, allowedNamespaces: [...allow] },
    });
  }
  if (!allow.includes(namespace)) {
    throw new LoopError('PERMISSION_DENIED', `process ${pid} is in namespace ${namespace}, which planks may not debug; allowed namespaces: ${allowed}`, {
      hint: 'ask the cluster admin to add it to the allowedNamespaces of ConfigMap squash-plank-policy in namespace squash-debugger',
      details: { pid, namespace, allowedNamespaces: [...allow] },
    });
  }
  return namespace;
}

/** Reads the target's namespace and judges it. Throws PERMISSION_DENIED (see judgeTargetNamespace). */
export async function checkTargetNamespace(pid: number, policy: NamespacePolicy, procRoot?: string): Promise<string | undefined> {
  if (policy.allow === undefined && policy.claimed === '') return undefined;
  return judgeTargetNamespace(policy, await readTargetNamespace(pid, procRoot), pid);
}
