// Finds the cluster the loop server talks to: an explicit --kubeconfig file, else the pod's service
// account when running in a cluster, else $KUBECONFIG or ~/.kube/config (the client library's default).
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { LoopError, messageOf } from '../../core/errors.js';

/** Where a pod's service account token is mounted. */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeConfigSource {
  /** A kubeconfig file; empty for the in-cluster/default lookup. */
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  /** Overridable for tests. */
  serviceAccountToken?: string;
}

/**
 * @throws LoopError CONFIG_INVALID when the file cannot be read or names no cluster.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  const inCluster = Boolean(source.env.KUBERNETES_SERVICE_HOST) && existsSync(source.serviceAccountToken ?? SERVICE_ACCOUNT_TOKEN);
  const where = source.kubeconfig !== '' ? source.kubeconfig : inCluster ? 'the in-cluster service account' : 'the default kubeconfig';
  try {
    if (source.kubeconfig !== '') kc.loadFromFile(source.kubeconfig);
    else if (inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new LoopError('CONFIG_INVALID', `cannot load Kubernetes credentials from ${where}: ${messageOf(err)}`, {
      cause: err,
      hint: 'pass --kubeconfig <file>, set KUBECONFIG, or run the loop server in a pod with a service account',
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new LoopError('CONFIG_INVALID', `no Kubernetes cluster in ${where} (current context "${kc.getCurrentContext()}")`, {
      hint: 'pass --kubeconfig <file> or select a context with kubectl config use-context',
    });
  }
  return kc;
}
