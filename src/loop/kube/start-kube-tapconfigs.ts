// `loop serve --kube` / `--kube-namespaces`: loads the Kubernetes credentials and starts the TapConfig
// controller against the server's registry. Off (undefined) unless one of the two options is given.
// The Kubernetes client (some 600 modules, most of a second to load) is imported only when following is on,
// so `loop serve` without --kube, `loop gateway` and `loop --help` start without it.
import type { Logger } from '../../core/logger.js';
import type { TapConfigController, TapConfigTarget } from './tapconfig-controller.js';

export interface KubeTapConfigOptions {
  kube: boolean;
  kubeNamespaces: string[];
  kubeconfig: string;
}

/** @throws LoopError CONFIG_INVALID when following is asked for and no cluster credentials load. */
export async function startKubeTapConfigs(
  options: KubeTapConfigOptions,
  target: TapConfigTarget,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TapConfigController | undefined> {
  if (!options.kube && options.kubeNamespaces.length === 0) return undefined;
  const [{ loadKubeConfig }, { startTapConfigController }] = await Promise.all([import('./kube-config.js'), import('./tapconfig-controller.js')]);
  const kubeConfig = loadKubeConfig({ kubeconfig: options.kubeconfig, env });
  return startTapConfigController({ kubeConfig, target, logger: logger.child({ component: 'tapconfig-controller' }), namespaces: options.kubeNamespaces });
}
