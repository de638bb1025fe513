// The web UI's file serving over real HTTP: content types, caching, the index.html fallback for the UI's
// own routes, 404s for missing files and for paths that try to leave the build directory, and the page
// shown when there is no build.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../core/listen.js';
import { silentLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { createSqliteCaptureStore } from '../../store/sqlite-capture-store.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { createLoopServer } from './loop-server.js';
import { serverOptionsSchema } from './server-options.js';
import { fileSegments } from './ui-routes.js';

let dir: string;
let store: CaptureStore;
let built: Listening;
let unbuilt: Listening;

async function serve(uiRoot: string): Promise<Listening> {
  const options = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { tapConfigPollInterval: 60_000 } }]);
  const server = createLoopServer({ store, logger: silentLogger, options, uiRoot });
  return listen(http.createServer(server.handler), { host: '127.0.0.1', port: 0 });
}

/** Sends the request target exactly as written (fetch would normalise `..` away before sending). */
function rawGet(base: Listening, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(base.port, base.host, () => socket.write(`GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ui-routes-test-'));
  const root = path.join(dir, 'dist');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>Loop</title><script type="module" src="/ui/assets/index-abc123.js"></script>');
  await writeFile(path.join(root, 'assets', 'index-abc123.js'), 'console.log("ui")');
  await writeFile(path.join(root, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(path.join(dir, 'secret.txt'), 'outside the build');
  store = createSqliteCaptureStore({ path: path.join(dir, 'loop.db') });
  await store.init();
  built = await serve(root);
  unbuilt = await serve(path.join(dir, 'missing'));
});
afterAll(async () => {
  await built.close();
  await unbuilt.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('web UI routes', () => {
  it('serves index.html at /ui/ with a content type, revalidation and a content security policy', async () => {
    const res = await fetch(`${built.url}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('<title>Loop</title>');
    const again = await fetch(`${built.url}/ui/`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('redirects /ui to /ui/', async () => {
    const res = await fetch(`${built.url}/ui?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('/ui/?x=1');
  });

  it('sends a browser at the server\'s root to the UI', async () => {
    const res = await fetch(`${built.url}/?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/ui/?x=1');
  });

  it('serves hashed assets with their type and a long immutable cache', async () => {
    const js = await fetch(`${built.url}/ui/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log("ui")');
    const css = await fetch(`${built.url}/ui/assets/index-abc123.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it("answers the UI's own routes with index.html, and missing files with 404", async () => {
    const route = await fetch(`${built.url}/ui/captures/12`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>Loop</title>');
    expect((await fetch(`${built.url}/ui/assets/gone-1.js`)).status).toBe(404);
    expect((await fetch(`${built.url}/ui/favicon.ico`)).status).toBe(404);
  });

  it('never serves a file outside the build directory', async () => {
    for (const target of ['/ui/../secret.txt', '/ui/%2e%2e/secret.txt', '/ui/..%2fsecret.txt', '/ui/assets/..%2f..%2fsecret.txt', '/ui/%2e%2e%5csecret.txt', '/ui/assets/%00.js']) {
      const res = await rawGet(built, target);
      expect(res.body, target).not.toContain('outside the build');
    }
    expect(fileSegments('/ui/..%2fsecret.txt')).toBeUndefined();
    expect(fileSegments('/ui/.env')).toBeUndefined();
    expect(fileSegments('/ui/assets/a.js')).toEqual(['assets', 'a.js']);
  });

  it('leaves paths outside /ui/ to the API', async () => {
    const res = await fetch(`${built.url}/uix/index.html`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('says how to build the UI when there is no build', async () => {
    const res = await fetch(`${unbuilt.url}/ui/`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('npm run build');
    // Its layout is an inline style attribute, which the UI's own policy (default-src 'self') made Chromium refuse.
    expect(html).toContain(' style="');
    expect(res.headers.get('content-security-policy')).toMatch(/(^|; )style-src 'unsafe-inline'(;|$)/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
