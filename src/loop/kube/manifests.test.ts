// The files in deploy/: every object validated against the Kubernetes schemas (kubernetes-models), the
// TapConfig CRD's own schema checked against src/tapconfig (both ways) and against the example TapConfigs,
// the security posture and RBAC pinned, the ConfigMaps read as `loop serve --config` reads them.
// No cluster was involved: this is schema validation, not a deployment.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { resolveOptions } from '../../core/options-schema.js';
import { redactPatternProblem } from '../../capture/redact-pattern.js';
import { MAX_BODY_BYTES_LIMIT } from '../../tapconfig/tapconfig-schema.js';
import { loadTapConfigs, validateTapConfig } from '../../tapconfig/tapconfig-loader.js';
import type { TapConfigRedaction, TapConfigSpec } from '../../tapconfig/tapconfig.js';
import { serverOptionsSchema } from '../server/server-options.js';
import { schemaProblems, validateAgainstSchema, type OpenApiSchema } from './openapi-schema-check.test-helper.js';
import { TAPCONFIG_CRD_NAME, TAPCONFIG_GROUP, TAPCONFIG_KIND, TAPCONFIG_PLURAL, TAPCONFIG_VERSION } from './tapconfig-resource.js';

const repo = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

function readManifests(file: string): Obj[] {
  return parseAllDocuments(readFileSync(repo(file), 'utf8')).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i + 1}: ${doc.errors[0]!.message}`);
    return doc.toJS() as Obj;
  });
}

/** The model class for each apiVersion/kind shipped; a kind not listed here fails the test. */
const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
};

function validateWithModel(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind} (${o.metadata.name})`);
  new Model(o as never).validate();
}

const loopYaml = readManifests('deploy/loop.yaml');
const postgresYaml = readManifests('deploy/loop-postgres.yaml');
const glooYaml = readManifests('deploy/gloo-tap-upstream.yaml');
const find = (objects: Obj[], kind: string, name?: string): Obj => {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''}`);
  return o;
};

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: Array<{ name: string; jsonPath: string }>;
  schema: { openAPIV3Schema: OpenApiSchema };
}
const crd = find(loopYaml, 'CustomResourceDefinition') as Obj & {
  spec: { group: string; scope: string; names: Record<string, unknown>; versions: CrdVersion[] };
};
const v1 = crd.spec.versions.find((v) => v.name === TAPCONFIG_VERSION)!;
const rootSchema = v1.schema.openAPIV3Schema;
const specSchema = rootSchema.properties!.spec!;

describe('deploy/*.yaml against the Kubernetes schemas', () => {
  it.each([
    ['deploy/loop.yaml', loopYaml],
    ['deploy/loop-postgres.yaml', postgresYaml],
  ])('%s: every object is valid for its apiVersion and kind', (_file, objects) => {
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(() => validateWithModel(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });

  it('has the resources the tutorial names', () => {
    expect(loopYaml.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'Namespace//loop-system',
      'ConfigMap/loop-system/loop-config',
      'ServiceAccount/loop-system/loop',
      `CustomResourceDefinition//${TAPCONFIG_CRD_NAME}`,
      'ClusterRole//loop-tap-manager-role',
      'ClusterRoleBinding//loop-role-binding',
      'Service/loop-system/loop',
      'Deployment/loop-system/loop',
    ]);
    const service = find(loopYaml, 'Service') as Obj & { spec: { ports: Array<{ name: string; port: number }> } };
    expect(service.spec.ports.find((p) => p.name === 'http')?.port).toBe(5678);
  });

  it('the model validation can fail: a mistyped Deployment is rejected', () => {
    const broken = structuredClone(find(loopYaml, 'Deployment')) as Obj & { spec: { replicas: unknown } };
    broken.spec.replicas = 'one';
    expect(() => validateWithModel(broken)).toThrow(/replicas/);
    expect(() => validateWithModel({ ...broken, kind: 'Deploymnet' })).toThrow(/no schema/);
  });
});

describe('the TapConfig CRD', () => {
  it('defines loop.solo.io/v1 TapConfig, namespaced, short name tc, status subresource and printer columns', () => {
    expect(crd.metadata.name).toBe(TAPCONFIG_CRD_NAME);
    expect(crd.spec.group).toBe(TAPCONFIG_GROUP);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: TAPCONFIG_KIND, plural: TAPCONFIG_PLURAL, shortNames: ['tc'] });
    expect(crd.spec.versions).toHaveLength(1);
    expect(v1).toMatchObject({ served: true, storage: true, subresources: { status: {} } });
    expect(v1.additionalPrinterColumns?.map((c) => `${c.name} ${c.jsonPath}`)).toEqual(
      expect.arrayContaining(['Match .spec.match', 'Ready .status.conditions[?(@.type=="Ready")].status']),
    );
    expect(specSchema.required).toEqual(['match']);
    expect(rootSchema.properties!.status!.properties!.conditions!.items!.required).toEqual(['type', 'status', 'reason', 'message', 'lastTransitionTime']);
  });

  it('has a structural schema using only keywords the checker handles', () => {
    expect(schemaProblems(rootSchema)).toEqual([]);
    expect(schemaProblems({ type: 'object', properties: { a: {} }, additionalProperties: false } as OpenApiSchema)).toEqual([
      '<root>: keyword additionalProperties is not handled',
      '.a: no type (not structural)',
    ]);
  });

  it('accepts the example TapConfigs', () => {
    const examples = loadTapConfigs(readFileSync(repo('examples/tutorial/gloo-loop/tap.yaml'), 'utf8'), 'tap.yaml');
    expect(examples.length).toBeGreaterThan(0);
    for (const tc of examples) expect(validateAgainstSchema(tc, rootSchema)).toEqual([]);
  });

  // The CRD cannot parse the match language; everything else it should decide as the loader does.
  // Each row: a spec, and whether both accept it.
  const rows: Array<[string, Record<string, unknown>, boolean]> = [
    ['match only', { match: 'true' }, true],
    ['every field', { match: 'true', maxBodyBytes: 4096, sampling: 0.25, redact: { headers: ['x-api-key', ':authority'], jsonFields: ['user.password'], patterns: ['sk_live_[0-9a-zA-Z]{24}'] } }, true],
    ['largest body cap', { match: 'true', maxBodyBytes: MAX_BODY_BYTES_LIMIT }, true],
    ['zero body cap', { match: 'true', maxBodyBytes: 0 }, true],
    ['sampling 1', { match: 'true', sampling: 1 }, true],
    ['empty redact', { match: 'true', redact: {} }, true],
    ['no match', { sampling: 0.5 }, false],
    ['empty match', { match: '' }, false],
    ['match not a string', { match: 500 }, false],
    ['body cap too big', { match: 'true', maxBodyBytes: MAX_BODY_BYTES_LIMIT + 1 }, false],
    ['negative body cap', { match: 'true', maxBodyBytes: -1 }, false],
    ['fractional body cap', { match: 'true', maxBodyBytes: 1.5 }, false],
    ['sampling 0', { match: 'true', sampling: 0 }, false],
    ['sampling above 1', { match: 'true', sampling: 1.5 }, false],
    ['sampling a string', { match: 'true', sampling: '0.5' }, false],
    ['bad header name', { match: 'true', redact: { headers: ['not ok'] } }, false],
    ['bad JSON path', { match: 'true', redact: { jsonFields: ['a..b'] } }, false],
    ['redact a list', { match: 'true', redact: ['a'] }, false],
    ['empty pattern', { match: 'true', redact: { patterns: [''] } }, false],
    ['pattern not a string', { match: 'true', redact: { patterns: [7] } }, false],
    ['pattern too long', { match: 'true', redact: { patterns: ['a'.repeat(1001)] } }, false],
    ['unknown spec field', { match: 'true', maxBodySize: 10 }, false],
    ['unknown redact field', { match: 'true', redact: { header: ['a'] } }, false],
  ];
  it.each(rows)('decides %s as the loader does', (_what, spec, valid) => {
    const object = { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { name: 't', namespace: 'default' }, spec };
    const crdProblems = validateAgainstSchema(object, rootSchema);
    let loaderError = '';
    try {
      validateTapConfig(object, 'test');
    } catch (err) {
      loaderError = (err as Error).message;
    }
    expect(crdProblems.length === 0, `CRD: ${crdProblems.join('; ')}`).toBe(valid);
    expect(loaderError === '', `loader: ${loaderError}`).toBe(valid);
  });

  it('lists exactly the spec fields src/tapconfig knows, and the loader accepts exactly those', () => {
    // The TypeScript type: adding or removing a field of TapConfigSpec/TapConfigRedaction breaks this at compile time.
    const specFields: Record<keyof TapConfigSpec, true> = { match: true, maxBodyBytes: true, sampling: true, redact: true };
    const redactFields: Record<keyof TapConfigRedaction, true> = { headers: true, jsonFields: true, patterns: true };
    expect(Object.keys(specSchema.properties!).sort()).toEqual(Object.keys(specFields).sort());
    expect(Object.keys(specSchema.properties!.redact!.properties!).sort()).toEqual(Object.keys(redactFields).sort());
    // The loader at run time: its "unknown field" message lists what it accepts.
    const listed = (spec: Record<string, unknown>, field: string) => {
      try {
        validateTapConfig({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { name: 't' }, spec }, 'test');
      } catch (err) {
        const m = new RegExp(`${field.replace('.', '\\.')}: unknown field; expected one of ([\\w, ]+)`).exec((err as Error).message);
        if (m) return m[1]!.split(', ').sort();
      }
      throw new Error(`the loader did not list the fields of ${field}`);
    };
    expect(listed({ match: 'true', zzz: 1 }, 'spec.zzz')).toEqual(Object.keys(specSchema.properties!).sort());
    expect(listed({ match: 'true', redact: { zzz: 1 } }, 'spec.redact.zzz')).toEqual(Object.keys(specSchema.properties!.redact!.properties!).sort());
  });

  it('describes spec.redact.patterns as the loader checks them (kubectl explain): nested quantifiers run, backreferences, lookaround and empty matches are refused', () => {
    const patterns = (specSchema.properties!.redact!.properties!.patterns as OpenApiSchema & { description: string }).description;
    expect(redactPatternProblem('(a+)+b')).toBeUndefined();
    expect(patterns).not.toMatch(/nested quantifiers/);
    for (const [refused, named] of [['(a)\\1', 'backreferences'], ['(?=a)b', 'lookaround'], ['a*', 'empty string']] as const) {
      expect(redactPatternProblem(refused), refused).toBeDefined();
      expect(patterns).toContain(named);
    }
  });

  it('admits the status the controller writes', () => {
    const object = {
      apiVersion: 'loop.solo.io/v1',
      kind: 'TapConfig',
      metadata: { name: 'gloo', namespace: 'gloo-system' },
      spec: { match: 'true' },
      status: {
        observedGeneration: 2,
        conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidMatch', message: 'spec.match: 1:1: x', lastTransitionTime: '2025-01-02T03:04:05Z', observedGeneration: 2 }],
      },
    };
    expect(validateAgainstSchema(object, rootSchema)).toEqual([]);
    object.status.conditions[0]!.status = 'Maybe';
    expect(validateAgainstSchema(object, rootSchema)).toEqual(['status.conditions[0].status: "Maybe" is not one of ["True","False","Unknown"]']);
  });
});

type Container = {
  image: string;
  args: string[];
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
};
type PodSpec = {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Array<{ name: string; emptyDir?: object; configMap?: { name: string }; persistentVolumeClaim?: object }>;
};
const podOf = (d: Obj) => (d as unknown as { spec: { replicas: number; template: { spec: PodSpec } } }).spec;

describe('the loop Deployments', () => {
  it.each([
    ['SQLite', loopYaml],
    ['PostgreSQL', postgresYaml],
  ])('%s: non-root, read-only root filesystem, no privilege escalation, requests and limits, probes', (_what, objects) => {
    const pod = podOf(find(objects, 'Deployment', 'loop')).template.spec;
    expect(pod.serviceAccountName).toBe('loop');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0]!;
    expect(c.image).toMatch(/^squash-loop\/loop:\d+\.\d+\.\d+$/);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(Object.keys(c.resources.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(c.resources.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.args.slice(0, 3)).toEqual(['serve', '--config', '/etc/loop/loop.yaml']);
    expect(c.volumeMounts.find((m) => m.mountPath === '/etc/loop')).toMatchObject({ readOnly: true });
    // Everything the server writes is on an emptyDir, since the root filesystem is read-only.
    for (const m of c.volumeMounts.filter((v) => !v.readOnly)) expect(pod.volumes.find((v) => v.name === m.name)?.emptyDir, m.name).toBeDefined();
  });

  it('SQLite: one replica, the data directory of its config on an emptyDir', () => {
    const spec = podOf(find(loopYaml, 'Deployment'));
    expect(spec.replicas).toBe(1);
    const config = configOf(find(loopYaml, 'ConfigMap', 'loop-config'));
    const data = spec.template.spec.containers[0]!.volumeMounts.find((m) => m.mountPath === config.dataDir);
    expect(spec.template.spec.volumes.find((v) => v.name === data?.name)?.emptyDir).toBeDefined();
  });

  it('PostgreSQL: three replicas, the store URL from a Secret, no SQLite volume', () => {
    const spec = podOf(find(postgresYaml, 'Deployment'));
    expect(spec.replicas).toBe(3);
    const c = spec.template.spec.containers[0]!;
    const env = c.env?.find((e) => e.name === 'LOOP_STORE_URL');
    expect(env?.valueFrom?.secretKeyRef).toEqual({ name: 'loop-store', key: 'url' });
    expect(c.args.slice(3)).toEqual(['--store', '$(LOOP_STORE_URL)']);
    expect(c.volumeMounts.map((m) => m.mountPath).sort()).toEqual(['/etc/loop', '/tmp']);
    expect(configOf(find(postgresYaml, 'ConfigMap')).store).toBe('');
    expect(spec.template.spec.volumes.find((v) => v.configMap)?.configMap?.name).toBe('loop-config-postgres');
  });

  it.each([
    ['deploy/loop.yaml', () => find(loopYaml, 'ConfigMap', 'loop-config')],
    ['deploy/loop-postgres.yaml', () => find(postgresYaml, 'ConfigMap', 'loop-config-postgres')],
  ])('%s: the ConfigMap is a valid `loop serve --config` file that listens on 5678 and follows TapConfigs', (_file, configMap) => {
    const options = configOf(configMap());
    expect(options.listen).toBe('0.0.0.0:5678');
    expect(options.kube).toBe(true);
  });
});

function configOf(configMap: Obj) {
  const text = (configMap as unknown as { data: Record<string, string> }).data['loop.yaml']!;
  const values = parseAllDocuments(text)[0]!.toJS() as Record<string, unknown>;
  return resolveOptions(serverOptionsSchema, [{ source: `${configMap.metadata.name}/loop.yaml`, values }]);
}

describe('RBAC', () => {
  it('grants exactly: tapconfigs get/list/watch, tapconfigs/status update/patch', () => {
    const role = find(loopYaml, 'ClusterRole') as Obj & { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    const grants = role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g} ${res} ${v}`))));
    expect(grants.sort()).toEqual(
      ['loop.solo.io tapconfigs get', 'loop.solo.io tapconfigs list', 'loop.solo.io tapconfigs watch', 'loop.solo.io tapconfigs/status patch', 'loop.solo.io tapconfigs/status update'].sort(),
    );
    expect(JSON.stringify(role.rules)).not.toContain('*');
  });

  it('binds the role to the loop service account the Deployment runs as', () => {
    const binding = find(loopYaml, 'ClusterRoleBinding') as Obj & { roleRef: Record<string, string>; subjects: Array<Record<string, string>> };
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'loop-tap-manager-role' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'loop', namespace: 'loop-system' }]);
  });
});

describe('deploy/gloo-tap-upstream.yaml', () => {
  // No Gloo schema ships here: this checks the shape against the fields Gloo documents for
  // gloo.solo.io/v1 Upstream (kube = kubernetes.options.gloo.solo.io.UpstreamSpec: serviceName,
  // serviceNamespace, servicePort, selector, serviceSpec, subsetSpec; useHttp2 a BoolValue), not Gloo's own validation.
  const UPSTREAM_SPEC_FIELDS = ['kube', 'useHttp2'];
  const KUBE_FIELDS = ['serviceName', 'serviceNamespace', 'servicePort', 'selector', 'serviceSpec', 'subsetSpec'];
  const service = find(loopYaml, 'Service') as Obj & { spec: { ports: Array<{ name: string; port: number }> } };

  it.each(glooYaml.map((u) => [u.metadata.name, u] as const))('%s points at a port of the loop Service', (_name, u) => {
    const upstream = u as Obj & { spec: { kube: Record<string, unknown>; useHttp2?: boolean } };
    expect(upstream.apiVersion).toBe('gloo.solo.io/v1');
    expect(upstream.kind).toBe('Upstream');
    expect(upstream.metadata.namespace).toBe('gloo-system');
    for (const k of Object.keys(upstream.spec)) expect(UPSTREAM_SPEC_FIELDS, `spec.${k}`).toContain(k);
    for (const k of Object.keys(upstream.spec.kube)) expect(KUBE_FIELDS, `spec.kube.${k}`).toContain(k);
    expect(upstream.spec.kube.serviceName).toBe(service.metadata.name);
    expect(upstream.spec.kube.serviceNamespace).toBe(service.metadata.namespace);
    const port = service.spec.ports.find((p) => p.port === upstream.spec.kube.servicePort);
    expect(port, 'a port of Service loop').toBeDefined();
    // gRPC (the ReportTap stream) needs HTTP/2 to the gRPC port; the HTTP sink goes to the API port.
    expect(upstream.spec.useHttp2 === true).toBe(port!.name === 'grpc-tap');
  });
});
