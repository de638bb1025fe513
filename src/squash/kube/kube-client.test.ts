// The cluster connection: kubeconfig and context selection, and API failures as LoopErrors that say
// what was refused.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiException } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInKubeconfig } from '../../loop/kube/kube-api-stand-in.test-helper.js';
import { connectKube, kubeCall, kubeError } from './kube-client.js';

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'squash-kubeconfig-'));
  file = path.join(dir, 'config');
  await writeFile(file, standInKubeconfig('http://127.0.0.1:1'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('connectKube', () => {
  it('uses the named file and its current context', () => expect(connectKube({ kubeconfig: file, context: '' }).server).toBe('http://127.0.0.1:1'));
  it('refuses a context the file does not have, listing the ones it has', () => {
    expect(() => connectKube({ kubeconfig: file, context: 'prod' })).toThrow(/--context: no context "prod"/);
  });
  it('says a --kubeconfig file that does not exist does not exist', () => {
    const missing = path.join(dir, 'missing');
    expect(() => connectKube({ kubeconfig: missing, context: '' })).toThrow(expect.objectContaining({
      code: 'CONFIG_INVALID',
      message: `--kubeconfig: ${missing} does not exist`,
      hint: expect.not.stringContaining('pass --kubeconfig') as unknown,
    }));
  });
  it('names a file it cannot parse', async () => {
    const bad = path.join(dir, 'bad');
    await writeFile(bad, 'clusters: [');
    expect(() => connectKube({ kubeconfig: bad, context: '' })).toThrow(/cannot read .*bad/);
  });
  it('says a kubeconfig without a current context has none, and which contexts --context can name', async () => {
    const noCurrent = path.join(dir, 'no-current');
    await writeFile(noCurrent, standInKubeconfig('http://127.0.0.1:1').replace(/^current-context: .*$/m, ''));
    expect(() => connectKube({ kubeconfig: noCurrent, context: '' })).toThrow(expect.objectContaining({
      code: 'CONFIG_INVALID',
      message: `${noCurrent} sets no current-context and --context was not given`,
      hint: 'pass --context with one of: stand-in',
    }));
    expect(connectKube({ kubeconfig: noCurrent, context: 'stand-in' }).server).toBe('http://127.0.0.1:1');
    const empty = path.join(dir, 'empty');
    await writeFile(empty, 'apiVersion: v1\n');
    expect(() => connectKube({ kubeconfig: empty, context: '' })).toThrow(expect.objectContaining({
      message: `${empty} sets no current-context and --context was not given`,
      hint: expect.stringContaining('defines no contexts') as unknown,
    }));
  });
  it('with no kubeconfig anywhere says so, instead of trying http://localhost:8080', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'squash-home-'));
    try {
      expect(() => connectKube({ kubeconfig: '', context: '' }, { env: {}, home })).toThrow(expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: `no kubeconfig found: ${path.join(home, '.kube/config')} does not exist and $KUBECONFIG is unset`,
        hint: expect.stringContaining('pass --kubeconfig <file>') as unknown,
      }));
      // ~/.kube/config is the default when there is one.
      await mkdir(path.join(home, '.kube'));
      await writeFile(path.join(home, '.kube/config'), standInKubeconfig('http://127.0.0.1:2'));
      expect(connectKube({ kubeconfig: '', context: '' }, { env: {}, home }).server).toBe('http://127.0.0.1:2');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('kubeError', () => {
  const status = (code: number, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'Forbidden', code });

  it('403: PERMISSION_DENIED naming verb, resource and namespace, with the manifest as the fix', () => {
    const err = kubeError(new ApiException(403, 'Unknown API Status Code!', status(403, 'pods is forbidden: User "dev" cannot create resource "pods"'), {}), { verb: 'create', resource: 'pods', namespace: 'squash-debugger' });
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toBe('not allowed to create pods in namespace squash-debugger: pods is forbidden: User "dev" cannot create resource "pods"');
    expect(err.hint).toMatch(/deploy\/squash-debugger\.yaml/);
  });

  it('cluster-scoped refusals say so', () => {
    expect(kubeError(new ApiException(403, 'x', '', {}), { verb: 'list', resource: 'namespaces' }).message).toMatch(/^not allowed to list namespaces \(cluster-wide\)/);
  });

  it('a refused watch (client-node hands `done` an Error with statusCode) is a refusal, not an unreachable server', () => {
    const refused = Object.assign(new Error('Forbidden'), { statusCode: 403 });
    const err = kubeError(refused, { verb: 'watch', resource: 'pods', namespace: 'squash-debugger' }, 'https://api.example:6443');
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toBe('not allowed to watch pods in namespace squash-debugger: Forbidden');
  });

  it('a refused log request (an ApiException without a body) reads as one line, not a dump of its headers', () => {
    const refused = new ApiException(403, 'Error occurred in log request', undefined, { 'content-type': 'application/json', connection: 'close' });
    const err = kubeError(refused, { verb: 'get', resource: 'pods/log', namespace: 'squash-debugger' });
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toBe('not allowed to get pods/log in namespace squash-debugger: Forbidden');
  });

  it('a connection failure is SERVER_UNREACHABLE naming the server', () => {
    const err = kubeError(new Error('connect ECONNREFUSED 127.0.0.1:1'), { verb: 'get', resource: 'pods', namespace: 'default' }, 'http://127.0.0.1:1');
    expect(err.code).toBe('SERVER_UNREACHABLE');
    expect(err.message).toMatch(/cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('kubeCall', () => {
  it('gives up on an API server that accepts the connection and never answers, naming it and the action', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const server = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      const kubeconfig = path.join(dir, 'silent');
      await writeFile(kubeconfig, standInKubeconfig(server));
      const conn = connectKube({ kubeconfig, context: '' });
      const call = kubeCall({ verb: 'list', resource: 'namespaces' }, () => conn.core.listNamespace(), conn.server, 300);
      await expect(call).rejects.toMatchObject({
        code: 'SERVER_UNREACHABLE',
        message: `the Kubernetes API at ${server} did not answer within 300ms (list namespaces (cluster-wide))`,
      });
      expect(held.length).toBe(1); // the request did reach it
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  it('passes an answer through', async () => {
    await expect(kubeCall({ verb: 'get', resource: 'pods' }, () => Promise.resolve(42))).resolves.toBe(42);
  });
});
