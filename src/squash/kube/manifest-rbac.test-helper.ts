// Reads deploy/squash-debugger.yaml and answers "may this group do verb on resource in namespace?" the
// way RBAC would for the objects in it (Roles, ClusterRoles and their bindings; core API group only), so
// tests can run squashctl against the stand-in with exactly the permissions the manifest grants.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}
interface Rule { apiGroups?: string[]; resources?: string[]; verbs: string[] }
interface Binding { roleRef: { kind: string; name: string }; subjects?: Array<{ kind: string; name: string }> }

export const SQUASH_MANIFEST = fileURLToPath(new URL('../../../deploy/squash-debugger.yaml', import.meta.url));

export function readSquashManifest(file = SQUASH_MANIFEST): ManifestObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i + 1}: ${doc.errors[0]!.message}`);
    return doc.toJS() as ManifestObject;
  });
}

export function manifestAuthorizer(objects: readonly ManifestObject[], group: string): (verb: string, resource: string, namespace: string | undefined) => boolean {
  const rulesOf = (kind: string, name: string, namespace: string | undefined): Rule[] =>
    (objects.find((o) => o.kind === kind && o.metadata.name === name && (kind === 'ClusterRole' || o.metadata.namespace === namespace))?.rules as Rule[] | undefined) ?? [];
  const grants: Array<{ namespace: string | undefined; rules: Rule[] }> = [];
  for (const o of objects) {
    if (o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') continue;
    const b = o as unknown as Binding & ManifestObject;
    if (!b.subjects?.some((s) => s.kind === 'Group' && s.name === group)) continue;
    const namespace = o.kind === 'RoleBinding' ? o.metadata.namespace : undefined;
    grants.push({ namespace, rules: rulesOf(b.roleRef.kind, b.roleRef.name, namespace) });
  }
  const has = (list: string[] | undefined, v: string) => list?.includes(v) === true || list?.includes('*') === true;
  return (verb, resource, namespace) =>
    grants.some((g) => (g.namespace === undefined || g.namespace === namespace) && g.rules.some((r) => has(r.apiGroups, '') && has(r.resources, resource) && has(r.verbs, verb)));
}
