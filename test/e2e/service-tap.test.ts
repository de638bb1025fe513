// A Node service tapping itself through the package's public entry, `squash-loop/tap`, as a user's service
// would import it: a real `loop serve`, a TapConfig applied with loopctl, the service as its own process.
// Also checks that a TypeScript consumer gets the entry's types (a misspelt option is an error).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../../src/core/spawn-server.js';
import { loopctl, ROOT, startLoopServe, type RunningLoop } from './harness.js';

// Inside the repository, so that `squash-loop/tap` resolves to this package (Node's self-reference).
let consumer: string;
let loop: RunningLoop;
let service: SpawnedServer | undefined;

const SERVICE = `
import http from 'node:http';
import { createServiceTap } from 'squash-loop/tap';

const tap = createServiceTap({ source: 'payment', destination: 'payment.default:9091', loopServer: process.env.LOOP });
const app = (req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.url === '/fail') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'card declined', got: body }));
    } else res.end('ok ' + body);
  });
};
const ready = await tap.ready(5000);
const server = http.createServer(tap.wrap(app)).listen(0, '127.0.0.1', () => {
  console.log('tap ready: ' + ready + '; listening on http://127.0.0.1:' + server.address().port);
});
process.on('SIGTERM', () => {
  server.close();
  void tap.close().then(() => process.exit(0));
});
`;

beforeAll(async () => {
  consumer = await mkdtemp(path.join(ROOT, '.tap-consumer-'));
  loop = await startLoopServe();
  const tapconfig = 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: failures, namespace: default}\nspec:\n  match: responseHeaders[":status"] == prefix("5")\n';
  expect((await loopctl(loop.url, ['apply', '-f', '-'], { stdin: tapconfig })).code).toBe(0);
});

afterAll(async () => {
  await service?.stop();
  await loop?.stop();
  await rm(consumer, { recursive: true, force: true });
});

async function captures(): Promise<Array<{ id: number; status: number; source: string; destination: string }>> {
  const res = await fetch(`${loop.url}/v1/captures`);
  return ((await res.json()) as { items: Array<{ id: number; status: number; source: string; destination: string }> }).items;
}

describe('squash-loop/tap: a Node service taps itself', () => {
  it('captures what the TapConfig matches, redacted, and leaves the service answers untouched', async () => {
    await writeFile(path.join(consumer, 'service.mjs'), SERVICE);
    service = await spawnServer([path.join(consumer, 'service.mjs')], { name: 'tapped service', env: { LOOP: loop.url } });
    const fail = await fetch(`${service.url}/fail`, { method: 'POST', headers: { authorization: 'Bearer sk_live_123', 'content-type': 'text/plain' }, body: 'card=4242' });
    expect(fail.status).toBe(500);
    expect(await fail.json()).toEqual({ error: 'card declined', got: 'card=4242' });
    const ok = await fetch(`${service.url}/fine`, { method: 'POST', body: 'x' });
    expect(await ok.text()).toBe('ok x');

    await expect.poll(captures, { timeout: 10_000 }).toHaveLength(1);
    const [listed] = await captures();
    expect(listed).toMatchObject({ status: 500, source: 'payment', destination: 'payment.default:9091' });
    const got = await loopctl(loop.url, ['get', String(listed!.id), '-o', 'json']);
    const capture = JSON.parse(got.stdout) as { request: { headers: Array<[string, string]>; body?: string } };
    const auth = capture.request.headers.find(([n]) => n.toLowerCase() === 'authorization');
    expect(auth?.[1]).toBe('[REDACTED]');
    expect(got.stdout).not.toContain('sk_live_123');
    expect(got.stdout).toContain('card=4242');

    // SIGTERM: close() ships what is queued and the service exits cleanly.
    expect(await service.stop()).toBe(0);
    service = undefined;
  });

  it('gives a TypeScript consumer the types: the right use compiles, a misspelt option does not', async () => {
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const flags = ['--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck'];
    const good = path.join(consumer, 'good.ts');
    await writeFile(
      good,
      "import http from 'node:http';\nimport { createServiceTap, type ServiceTap } from 'squash-loop/tap';\nconst tap: ServiceTap = createServiceTap({ source: 'web', maxBodyBytes: 1024 });\nhttp.createServer(tap.wrap((_req, res) => res.end('hi')));\nconst ready: Promise<boolean> = tap.ready();\nvoid ready;\n",
    );
    await promisify(execFile)(process.execPath, [tsc, ...flags, good], { cwd: consumer });
    const bad = path.join(consumer, 'bad.ts');
    await writeFile(bad, "import { createServiceTap } from 'squash-loop/tap';\ncreateServiceTap({ sorce: 'web' });\n");
    const failed = await promisify(execFile)(process.execPath, [tsc, ...flags, bad], { cwd: consumer }).then(
      () => undefined,
      (err: { stdout: string }) => err.stdout,
    );
    expect(failed).toContain("'sorce' does not exist in type 'ServiceTapOptions'");
  });
});
