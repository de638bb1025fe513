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
