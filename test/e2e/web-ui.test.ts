// The web UI in a real Chromium (playwright-core driving Debian's /usr/bin/chromium) against the built
// `loop serve` with real captures ingested over HTTP and a real service on loopback for replays.
// Screenshots go to test-artifacts/web-ui/. Without Chromium the suite is skipped with the reason in its
// name, except in CI (CI=true), where a missing browser fails it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/core/ports.test-helper.js';
import { ROOT, startLoopServe, startService, type RunningLoop } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts/web-ui');
const haveChromium = existsSync(CHROMIUM);
const haveBuild = existsSync(path.join(ROOT, 'web/dist/index.html'));
const skipReason = !haveChromium ? `skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)` : !haveBuild ? 'skipped: web/dist is missing (npm run build)' : '';
const runSuite = skipReason === '' || process.env.CI !== undefined;

interface TraceOptions {
  method?: string;
  path: string;
  status: number;
  body?: string;
  contentType?: string;
  /** Request headers after the usual ones. */
  headers?: Array<[string, string]>;
}

/** An Envoy HttpBufferedTrace as Envoy's tap filter writes it (cf. examples/envoy/trace-500.json). */
function envoyTrace(t: TraceOptions): string {
  const h = (pairs: Array<[string, string]>) => pairs.map(([key, value]) => ({ key, value }));
  return JSON.stringify({
    http_buffered_trace: {
      request: { headers: h([[':authority', 'web.default:9090'], [':path', t.path], [':method', t.method ?? 'GET'], [':scheme', 'http'], ['accept', 'application/json'], ...(t.headers ?? [])]), trailers: [] },
      response: {
        headers: h([[':status', String(t.status)], ['content-type', t.contentType ?? 'application/json'], ['x-version', 'green']]),
        ...(t.body !== undefined ? { body: { truncated: false, as_bytes: Buffer.from(t.body).toString('base64') } } : {}),
        trailers: [],
      },
    },
  });
}

/** Debian's Chromium, headless, with a laptop-sized page. */
async function openBrowser(): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  return { browser, page };
}

describe.runIf(runSuite)('web UI in Chromium', () => {
  let loop: RunningLoop;
  let service: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  let page: Page;

  const ingest = async (t: TraceOptions, destination = 'web.default:9090', tapConfig = 'default/errors', server = loop.url): Promise<number> => {
    const res = await fetch(`${server}/v1/taps?destination=${encodeURIComponent(destination)}&tapConfig=${encodeURIComponent(tapConfig)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: envoyTrace(t),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { ids: number[] }).ids[0]!;
  };
  const row = (id: number) => page.locator(`tr[data-id="${id}"]`);
  // Evaluated in the page as a string: the root tsconfig has no DOM types, on purpose.
  const active = (prop: 'className' | 'textContent' | 'tagName') => page.evaluate<string>(`String(document.activeElement?.${prop} ?? '')`);
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!haveChromium || !haveBuild) throw new Error(`web UI suite cannot run in CI: ${skipReason}`);
    await mkdir(ARTIFACTS, { recursive: true });
    // The service a replay reaches: healthy now (the "blue" version), where the capture saw a 500.
    service = await startService(() => ({ status: 200, headers: { 'content-type': 'application/json', 'x-version': 'blue' }, body: '{"error":null,"ok":true}' }));
    loop = await startLoopServe(['--alias', `web.default:9090=127.0.0.1:${service.port}`, '--max-body-bytes', '120']);
    await ingest({ path: '/', status: 500, body: '{"error":"payment timed out","ok":false}' });
    await ingest({ path: '/health', status: 404, body: 'not here', contentType: 'text/plain' }, 'payment:9091', 'default/all');
    await ingest({ path: '/api/report', status: 502, body: JSON.stringify({ rows: Array.from({ length: 20 }, (_, i) => ({ i, name: `row ${i}` })) }) });
    ({ browser, page } = await openBrowser());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await loop?.stop();
    await service?.close();
  });

  it('lists captures with the tutorial columns and adds a new one live, without reload', async () => {
    await page.goto(`${loop.url}/ui/`);
    await expect.poll(() => page.locator('.live').textContent()).toContain('live');
    expect(await page.locator('table.captures thead th').allTextContents()).toEqual(['ID', 'PATH', 'VERB', 'STATUS', 'DESTINATION', 'TIME', 'DURATION']);
    await row(1).waitFor();
    expect(await row(1).locator('td').allTextContents()).toEqual(expect.arrayContaining(['1', '/', 'GET', '500', 'web.default:9090']));
    const id = await ingest({ method: 'POST', path: '/api/orders', status: 503, body: '{"error":"db down"}' });
    await row(id).waitFor({ timeout: 5_000 });
    expect(await page.locator('table.captures tbody tr').first().getAttribute('data-id')).toBe(String(id));
    await shot('capture-list');
  });

  it('narrows the list with filters kept in the address', async () => {
    await page.goto(`${loop.url}/ui/`);
    await row(1).waitFor();
    await page.getByLabel('Method').selectOption('POST');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('table.captures tbody tr').count()).toBe(1);
    expect(page.url()).toContain('method=POST');
    await page.goto(`${loop.url}/ui/?status=4xx`);
    await row(2).waitFor();
    expect(await page.locator('table.captures tbody tr').count()).toBe(1);
    await page.goto(`${loop.url}/ui/?path=%2Fapi%2F&destination=web.default%3A9090`);
    await expect.poll(() => page.locator('table.captures tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).toEqual(['4', '3']);
    // A live capture outside the filter stays out; one inside it comes in.
    await ingest({ path: '/other', status: 500 });
    const inside = await ingest({ path: '/api/late', status: 500 });
    await row(inside).waitFor({ timeout: 5_000 });
    expect(await page.locator('table.captures tbody tr').count()).toBe(3);
    await shot('capture-list-filtered');
    await page.goto(`${loop.url}/ui/?tapConfig=default%2Fall`);
    await row(2).waitFor();
    expect(await page.locator('table.captures tbody tr').count()).toBe(1);
  });

  it('opens a capture: headers, pretty-printed JSON body, curl and HAR', async () => {
    await page.goto(`${loop.url}/ui/captures/1`);
    await page.getByRole('heading', { name: /Capture 1: GET/ }).waitFor();
    const response = page.locator('section.message').nth(1);
    expect(await response.locator('table.headers').textContent()).toContain('content-type');
    expect(await response.locator('pre.body').textContent()).toBe('{\n  "error": "payment timed out",\n  "ok": false\n}');
    await expect.poll(() => page.locator('section.message').first().locator('table.headers').textContent()).toContain(':method');
    expect(await page.locator('.notice').count()).toBe(0);
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    await expect.poll(() => page.locator('pre.curl').textContent()).toContain('curl');
    const har = await page.request.get(loop.url + (await page.getByRole('link', { name: 'Download HAR' }).getAttribute('href'))!);
    expect(((await har.json()) as { log: { entries: unknown[] } }).log.entries).toHaveLength(1);
    await shot('capture-view');
  });

  it('says when a body was truncated at capture', async () => {
    await page.goto(`${loop.url}/ui/captures/3`);
    await page.getByRole('heading', { name: /Capture 3/ }).waitFor();
    expect(await page.locator('.notice').textContent()).toContain('Truncated: only the first 120 B of this body were captured');
    await shot('capture-truncated');
  });

  it('replays against the local service through an alias and shows the diff, then keeps it in the history', async () => {
    await page.goto(`${loop.url}/ui/captures/1`);
    await page.getByLabel('Destination').fill('web.default:9090');
    await page.getByLabel(/Header overrides/).fill('x-debug: 1');
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    const headline = page.getByTestId('diff-headline');
    await headline.waitFor({ timeout: 10_000 });
    expect(await headline.textContent()).toBe('differs: status 500 → 200, 1 header, 2 JSON changes');
    const outcome = page.locator('.replay-outcome');
    expect(await outcome.textContent()).toContain(`127.0.0.1:${service.port}`);
    const rows = await outcome.locator('table.diff-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(rows).toEqual([
      ['status', 'changed', '500', '200'],
      ['x-version', 'changed', 'green', 'blue'],
      ['$.error', 'changed', '"payment timed out"', 'null'],
      ['$.ok', 'changed', 'false', 'true'],
    ]);
    expect(service.requests.at(-1)?.headers['x-debug']).toBe('1');
    expect(await page.locator('table.history tbody tr').count()).toBe(1);
    await shot('replay-diff');
    await page.reload();
    await page.getByRole('button', { name: 'Show replay 1' }).click();
    expect(await page.getByTestId('diff-headline').textContent()).toContain('status 500 → 200');
  });

  it('shows the TapConfigs in force with their expressions, live', async () => {
    await page.goto(`${loop.url}/ui/tapconfigs`);
    await page.getByText('No TapConfig is applied').waitFor();
    const yaml = 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: errors, namespace: default}\nspec:\n  match: responseHeaders[":status"] == prefix("5")\n';
    expect((await fetch(`${loop.url}/v1/tapconfigs`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml })).status).toBe(200);
    await page.getByRole('rowheader', { name: 'default/errors' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('code.expr').textContent()).toBe('responseHeaders[":status"] == prefix("5")');
    await shot('tapconfigs');
  });

  it('is usable with the keyboard alone: Tab reaches a row, Enter opens it, focus stays visible', async () => {
    await page.goto(`${loop.url}/ui/`);
    await row(1).waitFor();
    let focused = '';
    for (let i = 0; i < 30 && !focused.includes('row-link'); i++) {
      await page.keyboard.press('Tab');
      focused = await active('className');
    }
    expect(focused).toContain('row-link');
    // The focus ring is drawn (not suppressed).
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
    await page.keyboard.press('ArrowDown');
    const id = await active('textContent');
    await shot('keyboard-focus');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/ui/captures/${id}`);
    await page.getByRole('heading', { name: new RegExp(`Capture ${id}:`) }).waitFor();
    // Focus moved to the new view's heading; Tab goes on from there into the view.
    expect(await active('tagName')).toBe('H1');
    await page.keyboard.press('Tab');
    expect(await active('textContent')).toBe('Copy as curl');
  });

  // Found by a hostile user test: every page logged a 404 for /favicon.ico, noise next to real errors.
  it('loads its pages without errors in the console', async () => {
    const errors: string[] = [];
    const listener = (m: { type(): string; text(): string }) => void (m.type() === 'error' && errors.push(m.text()));
    page.on('console', listener);
    try {
      for (const p of ['/ui/', '/ui/captures/1', '/ui/tapconfigs']) {
        await page.goto(`${loop.url}${p}`);
        await page.locator('h1').first().waitFor();
      }
    } finally {
      page.off('console', listener);
    }
    expect(errors).toEqual([]);
  });

  it('serves the UI from the server with real content types and answers unknown UI routes with the app', async () => {
    const html = await fetch(`${loop.url}/ui/captures/999`);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await page.goto(`${loop.url}/ui/captures/999`);
    expect(await page.locator('.error').textContent()).toContain('capture 999 does not exist');
  });

  // Found by a hostile user test: an HTML error page from a proxy in front of the server showed as a
  // JSON.parse SyntaxError.
  it('says what answered when it is not the loop server', async () => {
    await page.route('**/v1/captures/1', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' }));
    await page.route('**/v1/captures/2', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<html>login</html>' }));
    try {
      await page.goto(`${loop.url}/ui/captures/1`);
      await expect.poll(() => page.locator('.error').textContent()).toBe('502 Bad Gateway');
      await page.goto(`${loop.url}/ui/captures/2`);
      await expect.poll(() => page.locator('.error').textContent()).toBe('/v1/captures/2 did not answer JSON: is a proxy between this page and the loop server?');
    } finally {
      await page.unrouteAll();
    }
  });

  // Found by a hostile user test: a long header name pushed its table past the page, and below 28rem the
  // request and response columns did not fit at all, so the page scrolled sideways.
  it('fits long captured names, values and paths in the page, wide and narrow, and shows markup as text', async () => {
    const markup = `<img src=x onerror="document.title='pwned'">`;
    const id = await ingest({ path: `/${'segment'.repeat(150)}?q=${markup}`, status: 500, body: markup, contentType: 'text/html', headers: [[`x-${'n'.repeat(200)}`, 'v'], ['x-markup', markup]] });
    const overflow = (selector: string) => page.evaluate<number>(`Math.max(...[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.getBoundingClientRect().right)) - document.documentElement.clientWidth`);
    await page.goto(`${loop.url}/ui/captures/${id}`);
    await page.getByRole('heading', { name: new RegExp(`Capture ${id}:`) }).waitFor();
    expect(await overflow('table.headers, h1, dl.facts')).toBeLessThanOrEqual(0);
    // The heading stays short (the path on one line, cut with an ellipsis; whole in its title and in :path).
    const heading = page.locator('h1');
    const pathCode = heading.locator('code.path');
    expect(await pathCode.getAttribute('title')).toBe(`/${'segment'.repeat(150)}?q=${markup}`);
    expect(await heading.evaluate((h) => h.getBoundingClientRect().height)).toBeLessThan(120);
    expect(await page.locator('section.message').first().evaluate((s) => s.scrollWidth - s.clientWidth)).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByTestId('diff-headline').waitFor({ timeout: 10_000 });
    await page.setViewportSize({ width: 390, height: 800 });
    const sideways = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    try {
      await page.goto(`${loop.url}/ui/`);
      await row(id).waitFor();
      expect(await sideways()).toBeLessThanOrEqual(0);
      // The capture with its replay's diff and history open.
      await page.goto(`${loop.url}/ui/captures/${id}`);
      await page.getByRole('button', { name: /Show replay/ }).first().click();
      await page.getByTestId('diff-headline').waitFor();
      expect(await sideways()).toBeLessThanOrEqual(0);
      await shot('capture-view-narrow');
    } finally {
      await page.setViewportSize({ width: 1366, height: 768 });
    }
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('section.message').nth(1).locator('pre.body').textContent()).toBe(markup);
  });

  // Found in review: a loop server restarted on another store (ids starting over) under a running page left
  // the old store's rows in the list, and the new store's first captures never came (their ids were "seen").
  it('reads the list again when the loop server it follows comes back with another store', async () => {
    const port = await freePort();
    const servers: RunningLoop[] = [await startLoopServe(['--listen', `127.0.0.1:${port}`])];
    try {
      for (const p of ['/old-1', '/old-2', '/old-3']) await ingest({ path: p, status: 500 }, undefined, undefined, servers[0]!.url);
      await page.goto(`${servers[0]!.url}/ui/`);
      await row(3).waitFor();
      await servers.shift()!.stop();
      servers.push(await startLoopServe(['--listen', `127.0.0.1:${port}`]));
      await ingest({ path: '/new-1', status: 503 }, undefined, undefined, servers[0]!.url);
      await expect.poll(() => page.locator('table.captures tbody td.path').allTextContents(), { timeout: 15_000 }).toEqual(['/new-1']);
      await ingest({ path: '/new-2', status: 503 }, undefined, undefined, servers[0]!.url);
      await expect.poll(() => page.locator('table.captures tbody td.path').allTextContents(), { timeout: 15_000 }).toEqual(['/new-2', '/new-1']);
    } finally {
      for (const s of servers) await s.stop();
    }
  });

  // Found in review: a page that had received no capture over the stream reconnected without a position, so
  // what was stored while it was away never came.
  it('after the loop server restarts, shows what was stored before the page reconnected', async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'web-ui-restart-'));
    const serve = () => startLoopServe(['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
    const servers: RunningLoop[] = [await serve()];
    try {
      await ingest({ path: '/before', status: 500 }, undefined, undefined, servers[0]!.url);
      await page.goto(`${servers[0]!.url}/ui/`);
      await row(1).waitFor();
      await expect.poll(() => page.locator('.live').textContent()).toContain('live');
      // Hold the page's reconnect until the restarted server stored a capture.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/v1/captures/watch', async (route) => {
        await held;
        await route.continue();
      });
      await servers.shift()!.stop();
      servers.push(await serve());
      await ingest({ path: '/while-away', status: 503 }, undefined, undefined, servers[0]!.url);
      release();
      await expect.poll(() => page.locator('table.captures tbody td.path').allTextContents(), { timeout: 15_000 }).toEqual(['/while-away', '/before']);
    } finally {
      await page.unrouteAll();
      for (const s of servers) await s.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  // Found by a hostile user test: ?status=abc showed the form's message and the server's, and after Back
  // from a longer list the other list's "Load older captures" stayed.
  it('says once what is wrong with a status filter in the address, and offers no older page of another list', async () => {
    const bulk = Array.from({ length: 60 }, (_, i) => envoyTrace({ path: `/bulk/${i}`, status: 500 })).join('\n');
    expect((await fetch(`${loop.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk })).status).toBe(200);
    await page.goto(`${loop.url}/ui/?status=abc`);
    await page.locator('#status-error').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('button', { name: 'Load older captures' }).waitFor();
    await page.goBack();
    await expect.poll(() => page.inputValue('input[name=status]')).toBe('abc');
    await page.locator('#status-error').waitFor();
    expect(await page.locator('.error, .empty').allTextContents()).toEqual([]);
    expect(await page.getByRole('button', { name: 'Load older captures' }).count()).toBe(0);
    expect(await page.locator('table.captures tbody tr').count()).toBe(0);
  });

  // Found by a hostile user test: the server wants allowUnsafe for a POST, and the UI had no way to send it.
  it('replays a POST only when asked to, with the reason shown first', async () => {
    const id = await ingest({ method: 'POST', path: '/api/refund', status: 500, body: '{"error":"db down"}' });
    await page.goto(`${loop.url}/ui/captures/${id}`);
    await page.getByRole('combobox', { name: 'Destination', exact: true }).fill('web.default:9090');
    const before = service.requests.length;
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await expect.poll(() => page.locator('form.replay-form .error').textContent()).toContain('may change state there');
    expect(service.requests.length).toBe(before);
    await page.getByLabel(/Send this POST request even though it may change state/).check();
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByTestId('diff-headline').waitFor({ timeout: 10_000 });
    expect(service.requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/refund' });
    expect(await page.locator('form.replay-form .error').count()).toBe(0);
    await page.goto(`${loop.url}/ui/captures/1`);
    await page.getByRole('combobox', { name: 'Destination', exact: true }).waitFor();
    expect(await page.getByLabel(/even though it may change state/).count()).toBe(0);
  });

  // Found by a hostile user test: with thousands of captures, Back from a capture opened from an older page
  // showed the first 50 rows again, scrolled to the top, and the older pages had to be loaded again.
  it('goes back from a capture to the same rows, older pages included, with focus on the row opened', async () => {
    await page.goto(`${loop.url}/ui/`);
    await page.getByRole('button', { name: 'Load older captures' }).click();
    await expect.poll(() => page.locator('table.captures tbody tr').count()).toBeGreaterThan(50);
    const count = await page.locator('table.captures tbody tr').count();
    const link = page.locator('a.row-link').last();
    const id = await link.textContent();
    await link.click();
    await page.getByRole('heading', { name: new RegExp(`Capture ${id}:`) }).waitFor();
    await page.goBack();
    await expect.poll(() => active('textContent')).toBe(id);
    expect(await active('className')).toBe('row-link');
    expect(await page.locator('table.captures tbody tr').count()).toBe(count);
    // Captures stored meanwhile still come in, once each.
    const late = await ingest({ path: '/after-back', status: 500 });
    await row(late).waitFor({ timeout: 5_000 });
    expect(await page.locator('table.captures tbody tr').count()).toBe(count + 1);
  });
});

describe.runIf(runSuite)('web UI in Chromium against a loop server that requires API tokens', () => {
  const READ = 'read-token-0123456789abcdef';
  const ADMIN = 'admin-token-0123456789abcdef';
  let loop: RunningLoop;
  let service: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  let page: Page;
  const ingest = async (path: string, status: number): Promise<number> => {
    const res = await fetch(`${loop.url}/v1/taps?destination=web.default%3A9090`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: envoyTrace({ path, status, body: '{"ok":false}' }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { ids: number[] }).ids[0]!;
  };
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const useToken = async (token: string): Promise<void> => {
    await page.getByLabel('API token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
  };

  beforeAll(async () => {
    if (!haveChromium || !haveBuild) throw new Error(`web UI suite cannot run in CI: ${skipReason}`);
    service = await startService(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }));
    loop = await startLoopServe(['--alias', `web.default:9090=127.0.0.1:${service.port}`], { LOOP_READ_TOKEN: READ, LOOP_ADMIN_TOKEN: ADMIN });
    await ingest('/', 500);
    ({ browser, page } = await openBrowser());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await loop?.stop();
    await service?.close();
  });

  it('asks for a token, then lists and streams captures with a read token, and says a replay needs admin', async () => {
    await page.goto(`${loop.url}/ui/`);
    await page.getByRole('heading', { name: 'This loop server needs an API token' }).waitFor();
    expect(await page.locator('.token-prompt [role=alert]').textContent()).toContain('needs a bearer token');
    expect(await page.locator('table.captures tbody tr').count()).toBe(0);
    await shot('token-prompt');

    await useToken('not-a-token-of-this-server');
    await page.getByRole('heading', { name: 'The API token was refused' }).waitFor();
    expect(await page.locator('.token-prompt [role=alert]').textContent()).toContain('not known to this server');

    await useToken(READ);
    await page.locator('tr[data-id="1"]').waitFor();
    await expect.poll(() => page.locator('.live').textContent()).toContain('live');
    expect(await page.locator('.token-prompt').count()).toBe(0);
    // The live stream carries the token too: a new capture appears without reload.
    const id = await ingest('/late', 503);
    await page.locator(`tr[data-id="${id}"]`).waitFor({ timeout: 5_000 });

    await page.goto(`${loop.url}/ui/captures/1`);
    await page.getByRole('heading', { name: /Capture 1: GET/ }).waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download HAR' }).click();
    const har = JSON.parse(await readFile((await (await download).path())!, 'utf8')) as { log: { entries: unknown[] } };
    expect(har.log.entries).toHaveLength(1);
    await page.getByLabel('Destination').fill('web.default:9090');
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByText(/needs the admin role/).waitFor({ timeout: 10_000 });
    expect(service.requests).toHaveLength(0);
  });

  it('replays with an admin token after forgetting the read token', async () => {
    await page.getByRole('button', { name: 'Forget API token' }).click();
    await page.getByLabel('API token', { exact: true }).waitFor();
    await useToken(ADMIN);
    await page.getByRole('heading', { name: /Capture 1: GET/ }).waitFor();
    await page.getByLabel('Destination').fill('web.default:9090');
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByTestId('diff-headline').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('diff-headline').textContent()).toContain('status 500 → 200');
    expect(service.requests).toHaveLength(1);
  });
});

if (!runSuite) {
  describe(`web UI in Chromium — ${skipReason}`, () => {
    it.skip(skipReason, () => undefined);
  });
}
