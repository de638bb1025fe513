// The TapConfig controller against a Kubernetes API stand-in on loopback, driven by the official client
// library through a kubeconfig that points at it. Every wait is on an event (a request the stand-in
// answered, a controller event, a registry change), never on a timer.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { tapConfigKey, type TapConfig } from '../../tapconfig/tapconfig.js';
import { startKubeApiStandIn, standInKubeconfig, type KubeApiStandIn, type RecordedRequest } from './kube-api-stand-in.test-helper.js';
import { loadKubeConfig } from './kube-config.js';
import { startTapConfigController, type ControllerEvent, type TapConfigController, type TapConfigTarget } from './tapconfig-controller.js';
import type { KubeCondition } from './tapconfig-resource.js';

const FIVE_XX = 'responseHeaders[":status"] == prefix("5")';
const POSTS = 'requestHeaders[":method"] == "POST"';
const TYPO = 'responseHeaders[":status"] == prefx("5")';

let api: KubeApiStandIn;
let dir: string;
let kubeconfigFile: string;
let bus: EventEmitter;
let seen: ControllerEvent[];
let target: ReturnType<typeof memoryTarget>;
let controller: TapConfigController | undefined;

beforeEach(async () => {
  api = await startKubeApiStandIn();
  dir = await mkdtemp(path.join(tmpdir(), 'loop-kube-'));
  kubeconfigFile = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfigFile, standInKubeconfig(api.url));
  bus = new EventEmitter();
  for (const e of ['request', 'watch', 'held', 'watch-closed']) api.events.on(e, () => bus.emit('tick'));
  seen = [];
  target = memoryTarget(bus);
  controller = undefined;
});

afterEach(async () => {
  await controller?.stop();
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

/** The registry's side: what is in force, and every write in order. */
function memoryTarget(events: EventEmitter): TapConfigTarget & { configs: Map<string, TapConfig>; writes: string[] } {
  const configs = new Map<string, TapConfig>();
  const writes: string[] = [];
  return {
    configs,
    writes,
    get: (key) => configs.get(key),
    list: () => [...configs.values()],
    async apply(list) {
      for (const c of list) {
        configs.set(tapConfigKey(c), c);
        writes.push(`apply ${tapConfigKey(c)}`);
      }
      events.emit('tick');
    },
    async delete(namespace, name) {
      const had = configs.delete(`${namespace}/${name}`);
      writes.push(`delete ${namespace}/${name}`);
      events.emit('tick');
      return had;
    },
  };
}

function start(namespaces: string[] = [], file = kubeconfigFile): TapConfigController {
  controller = startTapConfigController({
    kubeConfig: loadKubeConfig({ kubeconfig: file, env: {} }),
    target,
    logger: silentLogger,
    namespaces,
    backoff: { initialMs: 5, maxMs: 50 },
    clock: () => new Date('2025-01-02T03:04:05.678Z'),
    onEvent: (e) => {
      seen.push(e);
      bus.emit('tick');
    },
  });
  return controller;
}

/** Resolves with the first truthy value of `check`, re-evaluated whenever anything happens. */
function until<T>(what: string, check: () => T | undefined | false): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const attempt = (): void => {
      const value = check();
      if (value) {
        bus.off('tick', attempt);
        clearTimeout(timer);
        resolve(value);
      }
    };
    // Only a backstop for a broken test run: a clear message instead of vitest's generic timeout.
    const timer = setTimeout(() => {
      bus.off('tick', attempt);
      reject(new Error(`timed out waiting for ${what}; controller events: ${JSON.stringify(seen.slice(-8))}`));
    }, 10_000);
    bus.on('tick', attempt);
    attempt();
  });
}

const tc = (name: string, match: string, namespace = 'gloo-system', extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace },
  spec: { match, ...extra },
});

const lists = () => api.requests.filter((r) => r.method === 'GET' && r.query.watch === undefined);
const watchRequests = () => api.requests.filter((r) => r.query.watch === 'true');
const statusPatches = (name?: string) =>
  api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/status') && (name === undefined || r.path.endsWith(`/${name}/status`)));
const ready = (namespace: string, name: string): KubeCondition | undefined =>
  api.get(namespace, name)?.status?.conditions?.find((c) => c.type === 'Ready');
const readyIs = (namespace: string, name: string, status: string, generation: number) => () => {
  const c = ready(namespace, name);
  return c && c.status === status && c.observedGeneration === generation ? c : undefined;
};
const inForce = (key: string) => target.configs.get(key)?.spec.match;

describe('TapConfig controller', () => {
  it('lists what exists, applies it, marks it Ready through the status subresource, then watches from the list', async () => {
    api.apply(tc('gloo', FIVE_XX));
    await start().synced;
    expect(inForce('gloo-system/gloo')).toBe(FIVE_XX);

    const condition = await until('Ready=True', readyIs('gloo-system', 'gloo', 'True', 1));
    expect(condition).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Applied',
      message: 'in force on the loop server',
      lastTransitionTime: '2025-01-02T03:04:05Z',
      observedGeneration: 1,
    });
    expect(api.get('gloo-system', 'gloo')?.status?.observedGeneration).toBe(1);
    const patch = statusPatches()[0]!;
    expect(patch.path).toBe('/apis/loop.solo.io/v1/namespaces/gloo-system/tapconfigs/gloo/status');
    expect(patch.contentType).toBe('application/merge-patch+json');
    expect(Object.keys(patch.body as object)).toEqual(['status']);

    expect(lists()[0]!.path).toBe('/apis/loop.solo.io/v1/tapconfigs');
    const watch = await until('the watch', () => watchRequests()[0]);
    expect(watch.query).toMatchObject({ allowWatchBookmarks: 'true', resourceVersion: '101' });
  });

  it('mirrors add, modify and delete, and its own status writes cause no further writes', async () => {
    await start().synced;
    await until('watching', () => api.openWatches() === 1);

    api.apply(tc('gloo', FIVE_XX));
    await until('the add', () => inForce('gloo-system/gloo') === FIVE_XX);
    await until('Ready for generation 1', readyIs('gloo-system', 'gloo', 'True', 1));
    api.apply(tc('gloo', POSTS, 'gloo-system', { sampling: 0.5 }));
    await until('the modify', () => inForce('gloo-system/gloo') === POSTS);
    expect(target.configs.get('gloo-system/gloo')?.spec.sampling).toBe(0.5);
    await until('Ready for generation 2', readyIs('gloo-system', 'gloo', 'True', 2));

    // The status write comes back as a MODIFIED event; once a later bookmark is handled, so is that event.
    const rv = api.bookmark();
    await until('the bookmark', () => seen.some((e) => e.type === 'bookmark' && e.resourceVersion === rv));
    expect(statusPatches()).toHaveLength(2);
    expect(target.writes).toEqual(['apply gloo-system/gloo', 'apply gloo-system/gloo']);

    api.remove('gloo-system', 'gloo');
    await until('the delete', () => !target.configs.has('gloo-system/gloo'));
    expect(target.writes.at(-1)).toBe('delete gloo-system/gloo');
    expect(lists()).toHaveLength(1);
  });

  it('rejects an invalid TapConfig with a Ready=False condition naming line:column, and applies it once fixed', async () => {
    await start().synced;
    await until('watching', () => api.openWatches() === 1);

    api.apply(tc('gloo', TYPO));
    const rejected = await until('Ready=False', readyIs('gloo-system', 'gloo', 'False', 1));
    expect(rejected.reason).toBe('InvalidMatch');
    expect(rejected.message).toMatch(/^spec\.match: 1:31: unknown matcher "prefx".*did you mean "prefix".* \(not applied\)$/);
    expect(target.configs.has('gloo-system/gloo')).toBe(false);

    api.apply(tc('gloo', FIVE_XX));
    await until('Ready=True', readyIs('gloo-system', 'gloo', 'True', 2));
    expect(inForce('gloo-system/gloo')).toBe(FIVE_XX);
  });

  it('keeps the last good version in force while an edit is invalid', async () => {
    api.apply(tc('gloo', FIVE_XX));
    await start().synced;
    await until('watching', () => api.openWatches() === 1);
    const good = await until('Ready=True', readyIs('gloo-system', 'gloo', 'True', 1));

    api.apply(tc('gloo', FIVE_XX, 'gloo-system', { sampling: 2 }));
    const bad = await until('Ready=False', readyIs('gloo-system', 'gloo', 'False', 2));
    expect(bad.reason).toBe('InvalidSpec');
    expect(bad.message).toMatch(/^spec\.sampling: expected a number greater than 0 and at most 1.*found number 2 \(not applied; the previously applied version stays in force\)$/);
    expect(target.configs.get('gloo-system/gloo')?.spec).toEqual({ match: FIVE_XX });

    api.apply(tc('gloo', POSTS));
    const fixed = await until('Ready=True again', readyIs('gloo-system', 'gloo', 'True', 3));
    expect(inForce('gloo-system/gloo')).toBe(POSTS);
    expect(fixed.lastTransitionTime).toBe(good.lastTransitionTime);
    expect(target.writes).toEqual(['apply gloo-system/gloo', 'apply gloo-system/gloo']);
  });

  it('resumes a watch from the last bookmark', async () => {
    api.apply(tc('gloo', FIVE_XX));
    await start().synced;
    await until('watching', () => api.openWatches() === 1);
    await until('Ready', readyIs('gloo-system', 'gloo', 'True', 1));

    const rv = api.bookmark();
    await until('the bookmark', () => seen.some((e) => e.type === 'bookmark' && e.resourceVersion === rv));
    api.dropWatches();
    const resumed = await until('a resumed watch', () => watchRequests()[1]);
    expect(resumed.query.resourceVersion).toBe(rv);
    expect(lists()).toHaveLength(1);
  });

  it('resumes a dropped watch from the last resourceVersion without losing what changed meanwhile', async () => {
    api.apply(tc('a', FIVE_XX));
    api.apply(tc('c', FIVE_XX));
    await start().synced;
    await until('watching', () => api.openWatches() === 1);
    await until('both Ready', () => ready('gloo-system', 'a') && ready('gloo-system', 'c'));
    const lastSeen = api.get('gloo-system', 'c')!.metadata.resourceVersion!;
    // Let the status echoes be handled, so the last version the controller saw is known.
    await until('the echo of the last status write', () => seen.filter((e) => e.type === 'unchanged').length >= 2);

    api.holdWatches();
    api.dropWatches();
    await until('the reconnect', () => watchRequests().length === 2);
    api.apply(tc('b', POSTS));
    api.apply(tc('a', POSTS));
    api.remove('gloo-system', 'c');
    api.releaseWatches();

    await until('every change', () => inForce('gloo-system/b') === POSTS && inForce('gloo-system/a') === POSTS && !target.configs.has('gloo-system/c'));
    expect(watchRequests()[1]!.query.resourceVersion).toBe(String(Number(lastSeen)));
    expect(lists()).toHaveLength(1);
  });

  it.each(['event', 'http'] as const)('re-lists after 410 Gone (as %s) and removes what was deleted meanwhile', async (as) => {
    api.apply(tc('a', FIVE_XX));
    api.apply(tc('c', FIVE_XX));
    await start().synced;
    await until('watching', () => api.openWatches() === 1);

    api.holdWatches();
    api.dropWatches();
    await until('the reconnect', () => watchRequests().length === 2);
    api.remove('gloo-system', 'c');
    api.apply(tc('b', POSTS));
    api.compact(as);
    api.releaseWatches();

    await until('the re-list', () => seen.some((e) => e.type === 'expired') && lists().length === 2);
    await until('the re-listed state', () => inForce('gloo-system/b') === POSTS && !target.configs.has('gloo-system/c'));
    expect(inForce('gloo-system/a')).toBe(FIVE_XX);
    const next = await until('a watch from the new list', () => watchRequests()[2]);
    expect(Number(next.query.resourceVersion)).toBeGreaterThan(Number(watchRequests()[1]!.query.resourceVersion));
  });

  it('follows only the namespaces it is given, and removes only there what Kubernetes does not have', async () => {
    await target.apply([
      { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { name: 'stale', namespace: 'team-a' }, spec: { match: 'true' } },
      { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { name: 'local', namespace: 'team-b' }, spec: { match: 'true' } },
    ]);
    api.apply(tc('mine', FIVE_XX, 'team-a'));
    api.apply(tc('theirs', FIVE_XX, 'team-b'));
    await start(['team-a']).synced;

    expect([...target.configs.keys()].sort()).toEqual(['team-a/mine', 'team-b/local']);
    expect(lists().map((r) => r.path)).toEqual(['/apis/loop.solo.io/v1/namespaces/team-a/tapconfigs']);
    const watch = await until('the watch', () => watchRequests()[0]);
    expect(watch.path).toBe('/apis/loop.solo.io/v1/namespaces/team-a/tapconfigs');
    expect(statusPatches('theirs')).toHaveLength(0);
  });

  it('reports refused credentials, keeps retrying, and stops cleanly', async () => {
    const wrong = path.join(dir, 'wrong');
    await writeFile(wrong, standInKubeconfig(api.url).replace('stand-in-token', 'wrong-token'));
    const c = start([], wrong);
    await until('two failed lists', () => seen.filter((e) => e.type === 'error').length >= 2);
    expect(seen.find((e) => e.type === 'error')).toEqual({ type: 'error', scope: '*', message: 'HTTP 401: Unauthorized' });
    await c.stop();
    expect(target.writes).toEqual([]);
  });

  it('closes its watch when stopped', async () => {
    const c = start();
    await c.synced;
    await until('watching', () => api.openWatches() === 1);
    await c.stop();
    await until('the watch closed', () => api.openWatches() === 0);
    const before = api.requests.length;
    api.apply(tc('late', FIVE_XX));
    expect(api.requests.length).toBe(before);
    expect(target.configs.size).toBe(0);
  });
});

describe('the stand-in speaks like an API server', () => {
  it('answers unknown objects and paths with Status objects', async () => {
    const get = async (p: string) => {
      const res = await fetch(api.url + p, { headers: { authorization: 'Bearer stand-in-token' } });
      return { code: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await get('/apis/loop.solo.io/v1/namespaces/x/tapconfigs/nope')).toEqual({
      code: 404,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'tapconfigs.loop.solo.io "nope" not found' },
    });
    expect((await get('/api/v1/pods')).body.reason).toBe('NotFound');
    const recorded: RecordedRequest | undefined = api.requests.at(-1);
    expect(recorded?.path).toBe('/api/v1/pods');
  });
});
