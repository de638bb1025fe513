// TapConfigs: list, get, apply (YAML or JSON, one or many; all or nothing), put, delete, and a watch
// stream (NDJSON events, Kubernetes-style: ADDED/MODIFIED/DELETED, then BOOKMARK once the initial set is
// sent and as a heartbeat) that gateways follow to apply changes without restarting.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopError } from '../../core/errors.js';
import { loadTapConfigs, validateTapConfig } from '../../tapconfig/tapconfig-loader.js';
import { tapConfigKey, type TapConfig } from '../../tapconfig/tapconfig.js';
import { mediaType, parseJsonBody, readBody, sendJson } from './http-io.js';
import type { Router } from './router.js';
import type { ServerContext } from './server-context.js';
import type { TapConfigEvent } from './tapconfig-registry.js';

const MAX_TAPCONFIG_BYTES = 1024 * 1024;
const TAPCONFIG_TOO_LARGE = 'TapConfigs are applied at most 1MiB at a time: split the file';
const WATCH_HEARTBEAT_MS = 15_000;

export function registerTapConfigRoutes(router: Router, ctx: ServerContext): void {
  router.on('GET', '/v1/tapconfigs', (req, res, _p, url) => {
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return watch(ctx, req, res);
    sendJson(res, 200, { items: ctx.registry.list(), resourceVersion: ctx.registry.resourceVersion() });
  });
  router.on('POST', '/v1/tapconfigs', async (req, res, _p, url) => {
    const configs = await readConfigs(req, sourceLabel(url.searchParams.get('source')));
    refuseKubeOwned(ctx, configs.map((c) => c.metadata), 'applied');
    sendJson(res, 200, { items: await apply(ctx, configs) });
  });
  router.on('GET', '/v1/tapconfigs/:namespace/:name', (_req, res, params) => {
    const found = ctx.registry.get(`${params.namespace}/${params.name}`);
    if (!found) throw notFound(params.namespace!, params.name!);
    sendJson(res, 200, found);
  });
  router.on('PUT', '/v1/tapconfigs/:namespace/:name', async (req, res, params) => {
    const config = validateTapConfig(parseJsonBody(await readBody(req, MAX_TAPCONFIG_BYTES, TAPCONFIG_TOO_LARGE), 'TapConfig'), 'body');
    if (config.metadata.namespace !== params.namespace || config.metadata.name !== params.name) {
      throw new LoopError('BAD_REQUEST', `metadata names ${tapConfigKey(config)} but the path names ${params.namespace}/${params.name}`);
    }
    refuseKubeOwned(ctx, [config.metadata], 'applied');
    const [result] = await apply(ctx, [config]);
    sendJson(res, result?.action === 'created' ? 201 : 200, ctx.registry.get(tapConfigKey(config)));
  });
  router.on('DELETE', '/v1/tapconfigs/:namespace/:name', async (_req, res, params) => {
    refuseKubeOwned(ctx, [{ namespace: params.namespace!, name: params.name! }], 'deleted');
    if (!(await ctx.registry.delete(params.namespace!, params.name!))) throw notFound(params.namespace!, params.name!);
    res.writeHead(204).end();
  });
}

/**
 * What problems name the body after: `?source=tap.yaml` (loopctl apply -f sends its file name, so an
 * error reads as the file's), else "request body". One line of printable text, at most 200 characters.
 */
function sourceLabel(source: string | null): string {
  if (source === null || source === '') return 'request body';
  // eslint-disable-next-line no-control-regex
  if (source.length > 200 || /[\u0000-\u001f\u007f-\u009f]/.test(source)) {
    throw new LoopError('BAD_REQUEST', 'source must be one line of printable text, at most 200 characters (the name errors call the body by)');
  }
  return source;
}

async function readConfigs(req: IncomingMessage, source: string): Promise<TapConfig[]> {
  const body = await readBody(req, MAX_TAPCONFIG_BYTES, TAPCONFIG_TOO_LARGE);
  const type = mediaType(req);
  if (type === 'application/json') {
    const value = parseJsonBody(body, 'TapConfig');
    const list = Array.isArray(value) ? value : [value];
    const problems: string[] = [];
    const configs: TapConfig[] = [];
    list.forEach((v, i) => {
      try {
        configs.push(validateTapConfig(v, source === 'request body' ? `item ${i + 1}` : `${source} item ${i + 1}`));
      } catch (err) {
        problems.push((err as Error).message);
      }
    });
    if (problems.length > 0) throw new LoopError('TAPCONFIG_INVALID', problems.join('\n'));
    return configs;
  }
  if (type === '' || type.includes('yaml') || type === 'text/plain') {
    return loadTapConfigs(body.toString('utf8'), source);
  }
  throw new LoopError('UNSUPPORTED_MEDIA_TYPE', `content-type "${type}" is not accepted for TapConfigs; send application/yaml or application/json`);
}

/**
 * In the namespaces `loop serve --kube` follows, Kubernetes is the source of truth: a TapConfig written or
 * deleted here would override the Kubernetes object (whose status still says what is in force) until its
 * next event, or vanish at the controller's next re-list. Refused instead, all of it, naming where to go.
 */
function refuseKubeOwned(ctx: ServerContext, targets: ReadonlyArray<{ namespace: string; name: string }>, done: 'applied' | 'deleted'): void {
  const { kube, kubeNamespaces } = ctx.options;
  if (!kube && kubeNamespaces.length === 0) return;
  const owned = targets.filter((t) => kubeNamespaces.length === 0 || kubeNamespaces.includes(t.namespace));
  if (owned.length === 0) return;
  const first = owned[0]!;
  const scope = kubeNamespaces.length === 0 ? 'every namespace (--kube)' : `namespace${kubeNamespaces.length > 1 ? 's' : ''} ${kubeNamespaces.join(', ')} (--kube-namespaces)`;
  throw new LoopError('CONFLICT', `TapConfig ${owned.map((t) => `${t.namespace}/${t.name}`).join(', ')}: this loop server follows TapConfigs from Kubernetes in ${scope}, and there Kubernetes is their source of truth; nothing was ${done}`, {
    hint: done === 'applied' ? 'kubectl apply -f the same file (kubectl get tc -A shows whether each is Ready)' : `kubectl delete tapconfig -n ${first.namespace} ${first.name}`,
  });
}

export interface ApplyResult {
  key: string;
  action: 'created' | 'configured' | 'unchanged';
}

/** Writes the configs that changed (in one transaction); unchanged ones keep their version. */
async function apply(ctx: ServerContext, configs: TapConfig[]): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  const changed: TapConfig[] = [];
  const seen = new Set<string>();
  for (const config of configs) {
    const key = tapConfigKey(config);
    if (seen.has(key)) throw new LoopError('TAPCONFIG_INVALID', `TapConfig ${key} appears twice`);
    seen.add(key);
    const before = ctx.registry.get(key);
    if (before && JSON.stringify(before.spec) === JSON.stringify(config.spec)) {
      results.push({ key, action: 'unchanged' });
      continue;
    }
    results.push({ key, action: before ? 'configured' : 'created' });
    changed.push(config);
  }
  if (changed.length > 0) await ctx.registry.apply(changed);
  for (const r of results) if (r.action !== 'unchanged') ctx.logger.info('tapconfig applied', { ...r });
  return results;
}

function watch(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const send = (event: TapConfigEvent): void => {
    res.write(JSON.stringify(event) + '\n');
  };
  const bookmark = (): void => send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: ctx.registry.resourceVersion() } } });
  // Subscribe before sending the initial set, so no change can fall between the two.
  const unsubscribe = ctx.registry.subscribe(send);
  for (const config of ctx.registry.list()) send({ type: 'ADDED', object: config });
  bookmark();
  ctx.metrics.tapConfigWatchers.inc();
  const heartbeat = setInterval(bookmark, WATCH_HEARTBEAT_MS);
  const end = (): void => {
    clearInterval(heartbeat);
    if (unsubscribe()) ctx.metrics.tapConfigWatchers.dec();
  };
  req.on('close', end);
  res.on('close', end);
}

function notFound(namespace: string, name: string): LoopError {
  return new LoopError('NOT_FOUND', `TapConfig ${namespace}/${name} does not exist`, { hint: 'loopctl get tapconfigs lists them' });
}
