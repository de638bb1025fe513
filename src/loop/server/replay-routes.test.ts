// Replay safety over real HTTP: a loop server started as `loop serve` starts it (tokens, audit log in the
// data dir), a real destination service on loopback, and loopctl's replay command run in-process.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { registerCommands } from '../../cli/loopctl/commands.js';
import { addGlobalOptions } from '../../cli/loopctl/global-options.js';
import { listen, type Listening } from '../../core/listen.js';
import { createLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import type { ReplayAuditEntry } from './audit-log.js';
import { serverOptionsSchema } from './server-options.js';
import { AUDIT_LOG_FILE } from './server-security.js';
import { startLoopServer, type RunningLoopServer } from './start-loop-server.js';

const ADMIN = 'admin-token-0123456789abcdef';

let dir: string;
let dataDir: string;
let service: Listening;
let received: Array<{ method: string; url: string; host: string }>;
let loop: RunningLoopServer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loop-replay-safety-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  received = [];
  service = await listen(
    http.createServer((req, res) => {
      received.push({ method: req.method!, url: req.url!, host: req.headers.host! });
      req.resume();
      req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('still broken'));
    }),
    { host: '127.0.0.1', port: 0 },
  );
});
afterEach(async () => {
  await loop?.close();
  loop = undefined;
  await service.close();
});

async function start(values: Record<string, unknown> = {}): Promise<RunningLoopServer> {
  dataDir = await mkdtemp(path.join(dir, 'data-'));
  const options = resolveOptions(serverOptionsSchema, [
    { source: 'test', values: { listen: '127.0.0.1:0', dataDir, tapConfigPollInterval: '1m', alias: { 'web.default:9090': `127.0.0.1:${service.port}` }, ...values } },
  ]);
  loop = await startLoopServer(options, createLogger({ level: 'error', write: () => undefined }), { processMetrics: false, env: { LOOP_ADMIN_TOKEN: ADMIN } });
  await loop.store.insertBatch([capture('GET', '/'), capture('POST', '/pay')]);
  return loop;
}

const capture = (method: string, p: string): CaptureInput => ({
  capturedAt: '2026-11-26T08:00:00.000Z',
  tapConfig: 'default/web',
  source: 'gateway',
  destination: 'web.default:9090',
  durationMs: 3,
  request: { headers: [[':method', method], [':path', p], [':authority', 'web.default:9090']], trailers: [] },
  response: { headers: [[':status', '500']], body: { bytes: Buffer.from('broken'), truncated: false }, trailers: [] },
});

async function replay(id: number, body: Record<string, unknown>): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const res = await fetch(`${loop!.url}/v1/captures/${id}/replays`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

async function auditEntries(): Promise<ReplayAuditEntry[]> {
  const text = await readFile(path.join(dataDir, AUDIT_LOG_FILE), 'utf8');
  expect(text).not.toContain(ADMIN);
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReplayAuditEntry);
}

async function loopctl(args: string[]): Promise<{ stdout: string; error?: unknown }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const program = addGlobalOptions(new Command('loopctl').exitOverride());
  registerCommands(program, { stdout, stderr: new PassThrough(), stdin: new PassThrough(), isTTY: false });
  try {
    await program.parseAsync(['--server', loop!.url, '--token', ADMIN, ...args], { from: 'user' });
    return { stdout: out };
  } catch (error) {
    return { stdout: out, error };
  }
}

describe('replay destinations', () => {
  it('replays to an alias (the default allows aliases and loopback) and audits who, what, where and the outcome', async () => {
    await start();
    const r = await replay(1, { destination: 'web.default:9090' });
    expect(r.status).toBe(201);
    expect(received).toEqual([{ method: 'GET', url: '/', host: 'web.default:9090' }]);
    const [entry] = await auditEntries();
    expect(entry).toMatchObject({
      who: { name: 'LOOP_ADMIN_TOKEN', role: 'admin' },
      remoteAddress: '127.0.0.1',
      captureId: 1,
      method: 'GET',
      path: '/',
      destination: 'web.default:9090',
      target: `127.0.0.1:${service.port}`,
      address: '127.0.0.1',
      outcome: 'replayed',
      status: 500,
      replayId: 1,
    });
    expect(Date.parse(entry!.time)).not.toBeNaN();
  });

  it('denies a destination outside --replay-allow with 403 naming it, and sends nothing', async () => {
    await start();
    const r = await replay(1, { destination: '192.0.2.10:80' });
    expect(r).toEqual({
      status: 403,
      body: { error: expect.objectContaining({ code: 'REPLAY_DESTINATION_DENIED', message: 'replay destination "192.0.2.10:80" is not allowed: no --replay-allow rule matches it (rules: aliases, loopback)' }) },
    });
    expect(await auditEntries()).toEqual([expect.objectContaining({ outcome: 'denied', destination: '192.0.2.10:80', error: expect.objectContaining({ code: 'REPLAY_DESTINATION_DENIED' }) })]);
  });

  it('denies a host name that DNS resolves into a denied range, naming the rule', async () => {
    await start({ replayAllow: ['*', '!127.0.0.0/8'] });
    const r = await replay(1, { destination: `localhost:${service.port}` });
    expect(r.status).toBe(403);
    expect(r.body.error?.message).toMatch(new RegExp(`^replay destination "localhost:${service.port}" \\(.*127\\.0\\.0\\.1.*\\) is denied by --replay-allow rule "!127.0.0.0/8"$`));
    expect(received).toEqual([]);
  });
});

describe('state-changing methods', () => {
  it('refuses to replay a POST without allowUnsafe (422), and replays it with', async () => {
    await start();
    let r = await replay(2, { destination: 'web.default:9090' });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'REPLAY_UNSAFE_METHOD', message: expect.stringContaining('capture 2 is a POST request') });
    expect(received).toEqual([]);

    r = await replay(2, { destination: 'web.default:9090', allowUnsafe: true });
    expect(r.status).toBe(201);
    expect(received).toEqual([{ method: 'POST', url: '/pay', host: 'web.default:9090' }]);
    expect((await auditEntries()).map((e) => [e.outcome, e.method, e.allowUnsafe ?? false])).toEqual([
      ['refused', 'POST', false],
      ['replayed', 'POST', true],
    ]);
  });

  it('loopctl replay --allow-unsafe sends allowUnsafe, and without it the server says how', async () => {
    await start();
    const refused = await loopctl(['replay', '--id', '2', '--destination', 'web.default:9090']);
    expect(refused.error).toMatchObject({ code: 'REPLAY_UNSAFE_METHOD', hint: 'loopctl replay --allow-unsafe sends it anyway' });
    const sent = await loopctl(['replay', '--id', '2', '--destination', 'web.default:9090', '--allow-unsafe']);
    expect(sent.error).toBeUndefined();
    expect(sent.stdout).toMatch(/^replayed capture 2 to web\.default:9090/);
    expect(received.map((r) => r.method)).toEqual(['POST']);
  });
});

// Ingest keeps what a tap sent (any text but NUL); node:http throws on what HTTP/1.1 cannot carry, and that
// used to surface as a 500 "internal error" in the UI and loopctl.
describe('captures holding what HTTP/1.1 cannot carry', () => {
  it('sends the rest: such headers are left out and the path percent-encoded, each with a warning', async () => {
    await start();
    const odd = capture('GET', '/ünï/😀 x?q=ß');
    odd.request.headers.push(['<img src=x>', '1'], ['x-rtl', '\u202eevil'], ['x-esc', '\x1b[31m'], ['x-ok', 'café']);
    const [id] = await loop!.store.insertBatch([odd]);
    const r = await replay(id!, { destination: 'web.default:9090' });
    expect(r.status).toBe(201);
    expect(received).toEqual([{ method: 'GET', url: '/%C3%BCn%C3%AF/%F0%9F%98%80%20x?q=%C3%9F', host: 'web.default:9090' }]);
    expect((r.body as { diff?: { warnings?: string[] } }).diff?.warnings).toEqual([
      'header "<img src=x>" holds characters an HTTP/1.1 header cannot carry and is not sent',
      'header "x-rtl" holds characters an HTTP/1.1 header cannot carry and is not sent',
      'header "x-esc" holds characters an HTTP/1.1 header cannot carry and is not sent',
      'the path holds characters a request line cannot carry (spaces, controls, non-ASCII): they are sent percent-encoded (UTF-8)',
    ]);
  });

  it('refuses a method that is not a token (422) and an override value HTTP cannot carry (400), naming them', async () => {
    await start();
    const [id] = await loop!.store.insertBatch([capture("G'ET;id", '/')]);
    let r = await replay(id!, { destination: 'web.default:9090', allowUnsafe: true });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'REPLAY_NOT_REPLAYABLE', message: `capture ${id}'s method "G'ET;id" is not an HTTP method (a token), so it cannot be sent` });
    r = await replay(1, { destination: 'web.default:9090', headers: { 'x-a': 'café 😀' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'BAD_REQUEST', message: 'replay: headers.x-a: "café 😀" holds a character an HTTP/1.1 header cannot carry; expected printable ASCII or Latin-1 text' });
    expect(received).toEqual([]);
  });
});

// Replays are read with the read role, like captures: what a destination answers is redacted as a capture
// of it would be. It was stored and shown as it came (a Set-Cookie session in loopctl get replays -o json).
describe('the replayed answer', () => {
  it('is redacted like its capture before it is compared and stored: default and configured headers, JSON fields', async () => {
    const secrets = await listen(
      http.createServer((req, res) => {
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json', 'set-cookie': 'session=SECRET-SESSION', 'x-api-key': 'SECRET-KEY' });
        res.end(JSON.stringify({ error: 'still broken', password: 'SECRET-PASSWORD' }));
      }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      await start({ redactHeaders: ['x-api-key'], redactJsonFields: ['password'] });
      const r = await replay(1, { destination: `127.0.0.1:${secrets.port}` });
      expect(r.status).toBe(201);
      const history = await fetch(`${loop!.url}/v1/captures/1/replays`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const stored = await history.text();
      for (const text of [JSON.stringify(r.body), stored]) {
        expect(text).not.toMatch(/SECRET-/);
        expect(text).toContain('[REDACTED]');
      }
      const [record] = (JSON.parse(stored) as { items: Array<{ response: { headers: [string, string][] }; diff: { headers: Array<{ name: string; replayed?: string }> } }> }).items;
      expect(record!.response.headers).toEqual(expect.arrayContaining([['set-cookie', '[REDACTED]'], ['x-api-key', '[REDACTED]']]));
      expect(record!.diff.headers).toContainEqual({ name: 'x-api-key', replayed: '[REDACTED]' });
    } finally {
      await secrets.close();
    }
  });
});

describe('a replay timeout', () => {
  // 0 failed before anything was sent, and 99999h (past what node's timer holds) failed at once with
  // "did not answer within 359996400000 ms".
  it.each(['0s', '99999h', '25h', 'soon'])('refuses %j (400) naming the range, and sends nothing', async (timeout) => {
    await start();
    const r = await replay(1, { destination: 'web.default:9090', timeout });
    expect(r).toEqual({ status: 400, body: { error: expect.objectContaining({ code: 'BAD_REQUEST', message: `replay: timeout: "${timeout}" is not a duration from 1ms to 24h such as 500ms, 30s, 5m or 2h` }) } });
    expect(received).toEqual([]);
  });

  it('takes 24h', async () => {
    await start();
    expect((await replay(1, { destination: 'web.default:9090', timeout: '24h' })).status).toBe(201);
  });
});
