// deploy/squash-debugger.yaml: every object valid against the Kubernetes schemas (kubernetes-models), the
// RBAC exactly what squashctl's calls need (least privilege), the plank pod's service account present.
// Schema validation only: no cluster was involved.
import { describe, expect, it } from 'vitest';
import { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { manifestAuthorizer, readSquashManifest, type ManifestObject } from './manifest-rbac.test-helper.js';
import { PLANK_POLICY_CONFIGMAP, PLANK_POLICY_KEY, parsePlankPolicy } from './kube-attach.js';
import { LABEL_TARGET_NAMESPACE, PLANK_NAMESPACE, PLANK_SERVICE_ACCOUNT, plankPod } from './plank-pod.js';

const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': ValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': ValidatingAdmissionPolicyBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

const objects = readSquashManifest();
const find = (kind: string, name: string): ManifestObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};

describe('deploy/squash-debugger.yaml', () => {
  it.each(objects.map((o) => [`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`, o] as const))('%s is valid for its apiVersion and kind', (_name, o) => {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
    expect(() => new Model(o as never).validate()).not.toThrow();
  });

  it('the validation can fail: a misspelt field is reported', () => {
    const bad = { ...find('Role', 'squash-user'), rules: [{ apiGroups: [''], resources: ['pods'], verb: ['get'] }] };
    expect(() => new Role(bad as never).validate()).toThrow();
  });

  it('creates the namespace the plank pods run in (privileged Pod Security level for hostPID) and their service account', () => {
    expect(find('Namespace', PLANK_NAMESPACE).metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    const sa = find('ServiceAccount', PLANK_SERVICE_ACCOUNT);
    expect(sa.metadata.namespace).toBe(PLANK_NAMESPACE);
    expect(sa.automountServiceAccountToken).toBe(false);
    const pod = plankPod({ target: { namespace: 'default', pod: 'p', container: 'c', nodeName: 'n', containerId: 'a'.repeat(64) }, debugger: 'dlv', ttlMs: 60_000, image: 'i', attachTimeoutMs: 15_000 });
    expect(pod.spec!.serviceAccountName).toBe(sa.metadata.name);
  });

  it('binds the plank service account to nothing (planks never call the API)', () => {
    const subjects = objects.flatMap((o) => ((o.subjects as Array<{ kind: string }> | undefined) ?? []).map((s) => s.kind));
    expect(subjects).not.toContain('ServiceAccount');
  });

  it('ships the plank policy ConfigMap, readable by squashctl users by its name only', () => {
    const cm = find('ConfigMap', PLANK_POLICY_CONFIGMAP);
    expect(cm.metadata.namespace).toBe(PLANK_NAMESPACE);
    expect(parsePlankPolicy((cm.data as Record<string, string>)[PLANK_POLICY_KEY])).toEqual(['default']);
    const rules = find('Role', 'squash-user').rules as Array<{ resources: string[]; resourceNames?: string[]; verbs: string[] }>;
    expect(rules.filter((r) => r.resources.includes('configmaps'))).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: [PLANK_POLICY_CONFIGMAP], verbs: ['get'] }]);
  });

  it('binds an admission policy on pods in squash-debugger to the plank policy ConfigMap (absent: allow)', () => {
    const policy = find('ValidatingAdmissionPolicy', 'squash-plank-target-namespace');
    const spec = policy.spec as { paramKind: unknown; failurePolicy: string; matchConstraints: { namespaceSelector: unknown; resourceRules: unknown }; validations: Array<{ expression: string }> };
    expect(spec.paramKind).toEqual({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(spec.failurePolicy).toBe('Fail');
    expect(spec.matchConstraints.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': PLANK_NAMESPACE } });
    expect(spec.matchConstraints.resourceRules).toEqual([{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }]);
    const [rule] = spec.validations;
    expect(rule!.expression).toContain(`object.metadata.labels['${LABEL_TARGET_NAMESPACE}']`);
    expect(rule!.expression).toContain(`params.data['${PLANK_POLICY_KEY}'].split(',')`);
    const binding = find('ValidatingAdmissionPolicyBinding', 'squash-plank-target-namespace');
    expect(binding.spec).toEqual({
      policyName: policy.metadata.name,
      validationActions: ['Deny'],
      paramRef: { name: PLANK_POLICY_CONFIGMAP, namespace: PLANK_NAMESPACE, parameterNotFoundAction: 'Allow' },
    });
  });

  const may = manifestAuthorizer(objects, 'squash-users');
  it.each([
    // What squashctl does.
    ['list', 'namespaces', undefined, true],
    ['list', 'pods', 'shop', true],
    ['get', 'pods', 'default', true],
    ['create', 'pods', PLANK_NAMESPACE, true],
    ['watch', 'pods', PLANK_NAMESPACE, true],
    ['watch', 'events', PLANK_NAMESPACE, true],
    ['get', 'pods/log', PLANK_NAMESPACE, true],
    ['create', 'pods/portforward', PLANK_NAMESPACE, true],
    ['create', 'pods/portforward', 'default', true],
    ['delete', 'pods', PLANK_NAMESPACE, true],
    ['get', 'configmaps', PLANK_NAMESPACE, true],
    // What it must not be able to do.
    ['create', 'pods', 'default', false],
    ['delete', 'pods', 'default', false],
    ['create', 'pods/exec', PLANK_NAMESPACE, false],
    ['create', 'pods/portforward', 'kube-system', false],
    ['get', 'secrets', PLANK_NAMESPACE, false],
    ['get', 'pods/log', 'default', false],
    ['update', 'pods', PLANK_NAMESPACE, false],
    ['list', 'configmaps', PLANK_NAMESPACE, false],
    ['get', 'configmaps', 'default', false],
  ] as const)('%s %s in %s → %s', (verb, resource, namespace, allowed) => {
    expect(may(verb, resource, namespace)).toBe(allowed);
  });
});
