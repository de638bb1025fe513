// `loop serve --kube`: a TapConfig created in (a stand-in of) Kubernetes is served by the loop server's
// own API, through the real registry and SQLite store; and the switch is off unless asked for.
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { freePort } from '../../core/ports.test-helper.js';
import { resolveOptions } from '../../core/options-schema.js';
import { serverOptionsSchema } from '../server/server-options.js';
import { startLoopServer } from '../server/start-loop-server.js';
import { startKubeApiStandIn, standInKubeconfig, type KubeApiStandIn, type RecordedRequest } from './kube-api-stand-in.test-helper.js';
import { startKubeTapConfigs, type KubeTapConfigOptions } from './start-kube-tapconfigs.js';

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;

beforeEach(async () => {
  api = await startKubeApiStandIn();
  dir = await mkdtemp(path.join(tmpdir(), 'loop-kube-serve-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, standInKubeconfig(api.url));
});

afterEach(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

const nextStatusPatch = () =>
  new Promise<RecordedRequest>((resolve) => {
    const on = (r: RecordedRequest) => {
      if (r.method !== 'PATCH') return;
      api.events.off('request', on);
      resolve(r);
    };
    api.events.on('request', on);
  });

describe('loop serve --kube', () => {
  it('serves a TapConfig created in Kubernetes on /v1/tapconfigs', async () => {
    const options = resolveOptions(serverOptionsSchema, [
      { source: 'test', values: { listen: '127.0.0.1:0', dataDir: dir, kube: true, kubeconfig, tapConfigPollInterval: 60_000 } },
    ]);
    const running = await startLoopServer(options, silentLogger, { processMetrics: false });
    try {
      const patched = nextStatusPatch();
      api.apply({ metadata: { name: 'gloo', namespace: 'gloo-system' }, spec: { match: 'responseHeaders[":status"] == prefix("5")' } });
      expect(((await patched).body as { status: { conditions: Array<{ status: string }> } }).status.conditions[0]!.status).toBe('True');
      const res = await fetch(`${running.url}/v1/tapconfigs/gloo-system/gloo`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { spec: unknown }).spec).toEqual({ match: 'responseHeaders[":status"] == prefix("5")' });
    } finally {
      await running.close();
    }
    // Closing the server ends its watch (the stand-in sees the connection go).
    while (api.openWatches() > 0) await once(api.events, 'watch-closed');
  });

  it('refuses to apply, replace or delete through its API a TapConfig in a namespace it follows from Kubernetes, and applies elsewhere', async () => {
    const options = resolveOptions(serverOptionsSchema, [
      { source: 'test', values: { listen: '127.0.0.1:0', dataDir: dir, kubeNamespaces: ['team-a'], kubeconfig, tapConfigPollInterval: 60_000 } },
    ]);
    const running = await startLoopServer(options, silentLogger, { processMetrics: false });
    try {
      const patched = nextStatusPatch();
      api.apply({ metadata: { name: 'gloo', namespace: 'team-a' }, spec: { match: 'responseHeaders[":status"] == prefix("5")' } });
      await patched;
      const doc = (ns: string, name: string): string => `apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {match: "true"}\n`;
      const applyYaml = (yaml: string) => fetch(`${running.url}/v1/tapconfigs`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
      const refused = await applyYaml(`${doc('team-b', 'mine')}---\n${doc('team-a', 'gloo')}`);
      expect(refused.status).toBe(409);
      const { error } = (await refused.json()) as { error: { code: string; message: string; hint: string } };
      expect(error.code).toBe('CONFLICT');
      expect(error.message).toMatch(/^TapConfig team-a\/gloo: this loop server follows TapConfigs from Kubernetes in namespace team-a \(--kube-namespaces\).*nothing was applied$/);
      expect(error.hint).toMatch(/^kubectl apply/);
      const put = await fetch(`${running.url}/v1/tapconfigs/team-a/gloo`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'team-a', name: 'gloo' }, spec: { match: 'true' } }),
      });
      expect(put.status).toBe(409);
      const del = await fetch(`${running.url}/v1/tapconfigs/team-a/gloo`, { method: 'DELETE' });
      expect(del.status).toBe(409);
      expect(((await del.json()) as { error: { hint: string } }).error.hint).toBe('kubectl delete tapconfig -n team-a gloo');
      // Nothing of the refused file was applied; Kubernetes' version is still the one in force.
      const listed = (await (await fetch(`${running.url}/v1/tapconfigs`)).json()) as { items: Array<{ metadata: { namespace: string; name: string }; spec: { match: string } }> };
      expect(listed.items.map((c) => [c.metadata.namespace, c.metadata.name, c.spec.match])).toEqual([['team-a', 'gloo', 'responseHeaders[":status"] == prefix("5")']]);
      expect((await applyYaml(doc('team-b', 'mine'))).status).toBe(200);
    } finally {
      await running.close();
    }
    while (api.openWatches() > 0) await once(api.events, 'watch-closed');
  });

  it('refuses to start without the credentials, and leaves nothing listening', async () => {
    const port = await freePort();
    const options = resolveOptions(serverOptionsSchema, [
      { source: 'test', values: { listen: `127.0.0.1:${port}`, dataDir: dir, kube: true, kubeconfig: path.join(dir, 'missing') } },
    ]);
    const err = await startLoopServer(options, silentLogger, { processMetrics: false }).catch((e: unknown) => e);
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    // The port is free again: the server that had started listening was closed on the way out.
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => again.close(resolve));
  });
});

describe('startKubeTapConfigs', () => {
  const target = { get: () => undefined, list: () => [], apply: async () => undefined, delete: async () => false };
  const off: KubeTapConfigOptions = { kube: false, kubeNamespaces: [], kubeconfig: '' };

  it('is off unless --kube or --kube-namespaces is given', async () => {
    expect(await startKubeTapConfigs(off, target, silentLogger, {})).toBeUndefined();
  });

  it('names the kubeconfig it cannot read', async () => {
    let err: unknown;
    try {
      await startKubeTapConfigs({ ...off, kubeNamespaces: ['a'], kubeconfig: path.join(dir, 'missing') }, target, silentLogger, {});
    } catch (e) {
      err = e;
    }
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/^cannot load Kubernetes credentials from .*missing: /);
  });
});
