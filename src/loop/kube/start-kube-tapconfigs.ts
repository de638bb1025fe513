// `loop serve --kube` / `--kube-namespaces`: loads the Kubernetes credentials and starts the TapConfig
// controller against the server's registry. Off (undefined) unless one of the two options is given.
import type { Logger } from '../../core/logger.js';
import { loadKubeConfig } from './kube-config.js';
import { startTapConfigController, type TapConfigController, type TapConfigTarget } from './tapconfig-controller.js';

export interface KubeTapConfigOptions {
  kube: boolean;
  kubeNamespaces: string[];
  kubeconfig: string;
}

/** @throws LoopError CONFIG_INVALID when following is asked for and no cluster credentials load. */
export function startKubeTapConfigs(
  options: KubeTapConfigOptions,
  target: TapConfigTarget,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): TapConfigController | undefined {
  if (!options.kube && options.kubeNamespaces.length === 0) return undefined;
  const kubeConfig = loadKubeConfig({ kubeconfig: options.kubeconfig, env });
  return startTapConfigController({ kubeConfig, target, logger: logger.child({ component: 'tapconfig-controller' }), namespaces: options.kubeNamespaces });
}
