// squashctl's Kubernetes options: which cluster (kubeconfig, context), which target (namespace, pod; the
// container comes from --container), how the plank pod runs (image, how long it may take to start).
import { LoopError } from '../../core/errors.js';
import { durationProblem, opt, type OptionsOf } from '../../core/options-schema.js';
import { packageVersion } from '../../core/version.js';

/** The wait for the plank pod is a timer: past 24.8 days node fires it at once; a day is plenty for a pull and a start. */
const POD_TIMEOUT_BOUNDS = { min: 1_000, max: 24 * 3_600_000 };

export const PLATFORMS = ['local', 'kube'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The plank image squashctl starts unless --plank-image says otherwise (built from deploy/plank.Dockerfile). */
export function defaultPlankImage(): string {
  return `squash-plank:${packageVersion()}`;
}

export const kubeOptionsSchema = {
  platform: {
    ...opt.enumOf({ description: 'where the target runs: this machine, or a Kubernetes pod', default: 'local', values: PLATFORMS }),
    showDefault: 'kube when --namespace or --pod is given, else local',
  },
  kubeconfig: opt.string({ description: 'kubeconfig file', default: '', valueName: 'file', showDefault: '$KUBECONFIG or ~/.kube/config' }),
  context: opt.string({ description: 'kubeconfig context', default: '', valueName: 'name', showDefault: 'the current context' }),
  namespace: opt.string({ description: "Kubernetes: the target pod's namespace", default: '', valueName: 'name', showDefault: 'pick one' }),
  pod: opt.string({ description: 'Kubernetes: the target pod (with --container naming its container)', default: '', valueName: 'name', showDefault: 'pick one' }),
  allNamespaces: opt.flag({ description: 'Kubernetes: also offer kube-system, kube-public, kube-node-lease and squash-debugger in the picker' }),
  plankImage: opt.string({ description: 'Kubernetes: the plank image (deploy/plank.Dockerfile)', default: '', valueName: 'image', showDefault: 'squash-plank:<version>' }),
  podTimeout: opt.duration({ description: 'Kubernetes: how long the plank pod may take to pull, start and attach (1s to 24h)', default: 300_000, ...POD_TIMEOUT_BOUNDS }),
};

/** --pod-timeout within bounds again, for a value that did not come through its parser. Throws CONFIG_INVALID, before any plank pod. */
export function checkKubeOptions(k: Pick<KubeOptions, 'podTimeout'>): void {
  const problem = durationProblem('--pod-timeout', k.podTimeout, POD_TIMEOUT_BOUNDS);
  if (problem) throw new LoopError('CONFIG_INVALID', problem);
}

export type KubeOptions = OptionsOf<typeof kubeOptionsSchema>;

/** `--platform` given wins; otherwise naming a namespace or pod means Kubernetes. */
export function choosePlatform(o: Pick<KubeOptions, 'namespace' | 'pod'>, explicit: Platform | undefined): Platform {
  if (explicit) return explicit;
  return o.namespace !== '' || o.pod !== '' ? 'kube' : 'local';
}
