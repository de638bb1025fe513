// deploy/squash-debugger.yaml: every object valid against the Kubernetes schemas (kubernetes-models), the
// RBAC exactly what squashctl's calls need (least privilege), the plank pod's service account present.
// Schema validation only: no cluster was involved.
import { describe, expect, it } from 'vitest';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { manifestAuthorizer, readSquashManifest, type ManifestObject } from './manifest-rbac.test-helper.js';
import { PLANK_NAMESPACE, PLANK_SERVICE_ACCOUNT, plankPod } from './plank-pod.js';

const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
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
    // What it must not be able to do.
    ['create', 'pods', 'default', false],
    ['delete', 'pods', 'default', false],
    ['create', 'pods/exec', PLANK_NAMESPACE, false],
    ['create', 'pods/portforward', 'kube-system', false],
    ['get', 'secrets', PLANK_NAMESPACE, false],
    ['get', 'pods/log', 'default', false],
    ['update', 'pods', PLANK_NAMESPACE, false],
  ] as const)('%s %s in %s → %s', (verb, resource, namespace, allowed) => {
    expect(may(verb, resource, namespace)).toBe(allowed);
  });
});
