// The TapConfig custom resource as Kubernetes serves it: where it lives in the API, the shape of the
// objects the controller reads, and the status it writes. The CRD itself is deploy/loop.yaml.
import { TAPCONFIG_API_VERSION, TAPCONFIG_KIND } from '../../tapconfig/tapconfig.js';

export const TAPCONFIG_GROUP = 'loop.solo.io';
export const TAPCONFIG_VERSION = 'v1';
export const TAPCONFIG_PLURAL = 'tapconfigs';
export const TAPCONFIG_CRD_NAME = `${TAPCONFIG_PLURAL}.${TAPCONFIG_GROUP}`;
export { TAPCONFIG_API_VERSION, TAPCONFIG_KIND };

/** A `metav1.Condition`. */
export interface KubeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface TapConfigStatus {
  observedGeneration?: number;
  conditions?: KubeCondition[];
}

/** A TapConfig as read from the API server: spec unchecked, Kubernetes metadata present. */
export interface KubeTapConfig {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number };
  spec?: unknown;
  status?: TapConfigStatus;
}

/** `/apis/loop.solo.io/v1/namespaces/{ns}/tapconfigs`, or every namespace's when `namespace` is undefined. */
export function tapConfigCollectionPath(namespace: string | undefined): string {
  const base = `/apis/${TAPCONFIG_GROUP}/${TAPCONFIG_VERSION}`;
  return namespace === undefined ? `${base}/${TAPCONFIG_PLURAL}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${TAPCONFIG_PLURAL}`;
}
