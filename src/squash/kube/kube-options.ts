// squashctl's Kubernetes options: which cluster (kubeconfig, context), which target (namespace, pod; the
// container comes from --container), how the plank pod runs (image, how long it may take to start).
import { opt, type OptionsOf } from '../../core/options-schema.js';
import { packageVersion } from '../../core/version.js';
import { ATTACH_TIMEOUT_BOUNDS } from '../plank/index.js';

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
  podTimeout: opt.duration({ description: 'Kubernetes: how long the plank pod may take to pull, start and attach', default: 300_000, ...ATTACH_TIMEOUT_BOUNDS }),
};

export type KubeOptions = OptionsOf<typeof kubeOptionsSchema>;

/** `--platform` given wins; otherwise naming a namespace or pod means Kubernetes. */
export function choosePlatform(o: Pick<KubeOptions, 'namespace' | 'pod'>, explicit: Platform | undefined): Platform {
  if (explicit) return explicit;
  return o.namespace !== '' || o.pod !== '' ? 'kube' : 'local';
}
