// API tokens and roles: the parsing and the rules as units, then a real loop server on loopback (started
// the way `loop serve` starts it) answering 401 / 403 / 200, refusing to listen off loopback with no
// tokens, and serving HTTPS to a client that trusts a self-signed certificate made here with openssl.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { createLoopClient } from '../../cli/loopctl/loop-client.js';
import { isLoopError, LoopError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { createTapShipper } from '../tap/tap-shipper.js';
import { followTapConfigs } from '../tap/tapconfig-follower.js';
import { accessFor, createAccessControl, isLoopbackHost, parseTokensFile, type Access, type Role } from './auth.js';
import { serverOptionsSchema, type ServerOptions } from './server-options.js';
import { startLoopServer, type RunningLoopServer } from './start-loop-server.js';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const INGEST = 'ingest-token-0123456789abcdef';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loop-auth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const caught = (fn: () => unknown): LoopError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof LoopError) return err;
    throw err;
  }
  throw new Error('expected a LoopError');
};

describe('tokens file', () => {
  it('reads ROLE TOKEN [NAME] lines, skipping blanks and comments', () => {
    const entries = parseTokensFile(`# who may call\nadmin ${ADMIN} alice\n\nread ${READ}\n`, 'tokens');
    expect(entries).toEqual([
      { role: 'admin', token: ADMIN, name: 'alice' },
      { role: 'read', token: READ, name: 'read@tokens:4' },
    ]);
  });

  it.each([
    [`owner ${ADMIN}`, /tokens:1: role "owner" is not one of ingest, read, admin/],
    ['admin', /tokens:1: expected ROLE TOKEN \[NAME\]/],
    [`admin ${ADMIN} alice extra`, /three fields at most/],
    ['read short', /tokens:1: the token is 5 characters; use at least 16/],
  ])('refuses %j with a message naming the line and not the token', (text, message) => {
    const err = caught(() => parseTokensFile(text, 'tokens'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(ADMIN);
  });
});

describe('which role each endpoint needs', () => {
  it.each<[string, string, Access]>([
    ['GET', '/healthz', 'open'],
    ['GET', '/readyz', 'open'],
    ['GET', '/ui/index.html', 'open'],
    ['GET', '/', 'open'],
    ['POST', '/', 'admin'],
    ['POST', '/v1/taps', 'ingest'],
    ['GET', '/v1/tapconfigs', 'tapconfigs'],
    ['GET', '/v1/tapconfigs/default/web', 'tapconfigs'],
    ['GET', '/v1/captures', 'read'],
    ['GET', '/v1/captures/1/export', 'read'],
    ['GET', '/v1/captures/1/replays', 'read'],
    ['GET', '/metrics', 'read'],
    ['POST', '/v1/captures/1/replays', 'admin'],
    ['DELETE', '/v1/captures/1', 'admin'],
    ['POST', '/v1/tapconfigs', 'admin'],
    ['PUT', '/v1/tapconfigs/default/web', 'admin'],
    ['DELETE', '/v1/tapconfigs/default/web', 'admin'],
    ['PATCH', '/v1/anything-new', 'admin'],
  ])('%s %s → %s', (method, pathname, access) => {
    expect(accessFor(method, pathname)).toBe(access);
  });

  const control = createAccessControl([
    { role: 'admin', token: ADMIN, name: 'alice' },
    { role: 'read', token: READ, name: 'grafana' },
    { role: 'ingest', token: INGEST, name: 'edge' },
  ]);
  const outcome = (token: string | undefined, access: Access): string => {
    try {
      return control.authorizeHeader(token === undefined ? undefined : `Bearer ${token}`, access, 'X').name;
    } catch (err) {
      return (err as LoopError).code;
    }
  };
  it.each<[Role, string, Record<Exclude<Access, 'open'>, string>]>([
    ['admin', ADMIN, { admin: 'alice', read: 'alice', ingest: 'alice', tapconfigs: 'alice' }],
    ['read', READ, { admin: 'FORBIDDEN', read: 'grafana', ingest: 'FORBIDDEN', tapconfigs: 'grafana' }],
    ['ingest', INGEST, { admin: 'FORBIDDEN', read: 'FORBIDDEN', ingest: 'edge', tapconfigs: 'edge' }],
  ])('a %s token', (_role, token, expected) => {
    for (const [access, result] of Object.entries(expected)) expect(outcome(token, access as Access), access).toBe(result);
  });

  it('answers UNAUTHORIZED for no token, an unknown one, or another scheme; probes stay open', () => {
    expect(outcome(undefined, 'read')).toBe('UNAUTHORIZED');
    expect(outcome(`${READ}x`, 'read')).toBe('UNAUTHORIZED');
    expect(caught(() => control.authorizeHeader(`Basic ${READ}`, 'read', 'X')).code).toBe('UNAUTHORIZED');
    expect(outcome(undefined, 'open')).toBe('anonymous');
  });

  it('is open (loopback, admin) when no token is configured', () => {
    expect(createAccessControl([]).authorizeHeader(undefined, 'admin', 'X')).toEqual({ name: 'loopback', role: 'admin' });
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['loop.example', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

function recordingLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }), text: () => lines.join('') };
}

const servers: RunningLoopServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

async function start(values: Record<string, unknown>, env: Record<string, string> = {}, logger?: Logger): Promise<RunningLoopServer> {
  const dataDir = await mkdtemp(path.join(dir, 'data-'));
  const options: ServerOptions = resolveOptions(serverOptionsSchema, [{ source: 'test', values: { listen: '127.0.0.1:0', dataDir, tapConfigPollInterval: '1m', ...values } }]);
  const running = await startLoopServer(options, logger ?? createLogger({ level: 'error', write: () => undefined }), { processMetrics: false, env });
  servers.push(running);
  return running;
}

const capture = (path: string): CaptureInput => ({
  capturedAt: '2026-11-26T08:00:00.000Z',
  tapConfig: 'default/web',
  source: 'test',
  destination: '',
  durationMs: 1,
  request: { headers: [[':method', 'GET'], [':path', path]], trailers: [] },
  response: { headers: [[':status', '500']], trailers: [] },
});

describe('a loop server with tokens, over real HTTP', () => {
  it('answers 401 with WWW-Authenticate: Bearer, 403 for a weaker role, and keeps the probes open', async () => {
    const tokensFile = path.join(dir, 'tokens');
    await writeFile(tokensFile, `admin ${ADMIN} alice\nread ${READ} grafana\n`);
    const log = recordingLogger();
    const loop = await start({ tokensFile }, { LOOP_INGEST_TOKEN: INGEST }, log.logger);
    const call = (method: string, p: string, token?: string): Promise<Response> =>
      fetch(loop.url + p, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

    let res = await call('GET', '/v1/captures');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="loop"');
    expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED', message: 'GET /v1/captures needs a bearer token' } });

    res = await call('GET', '/v1/captures', 'not-a-token-of-this-server');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');

    res = await call('DELETE', '/v1/captures/1', READ);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'DELETE /v1/captures/1 needs the admin role; token "grafana" has role read' } });

    expect((await call('GET', '/v1/captures', READ)).status).toBe(200);
    expect((await call('GET', '/metrics', READ)).status).toBe(200);
    expect((await call('GET', '/v1/captures', INGEST)).status).toBe(403);
    expect((await call('GET', '/v1/tapconfigs', INGEST)).status).toBe(200);
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    expect((await call('DELETE', '/v1/captures/99', ADMIN)).status).toBe(404);

    // Refusals are logged, with who and what, never with a token.
    expect(log.text()).toContain('request refused');
    for (const token of [ADMIN, READ, INGEST, 'not-a-token-of-this-server']) expect(log.text()).not.toContain(token);
  });

  it("lets a gateway's tap with an ingest token follow TapConfigs and ship captures (and refuses it without one)", async () => {
    const loop = await start({}, { LOOP_INGEST_TOKEN: INGEST, LOOP_ADMIN_TOKEN: ADMIN });
    const follower = followTapConfigs({ server: loop.url, token: INGEST });
    const shipper = createTapShipper({ server: loop.url, token: INGEST, flushIntervalMs: 1 });
    try {
      await follower.ready(5_000);
      shipper.enqueue(capture('/shipped'));
      expect(await shipper.flush(5_000)).toBe(true);
    } finally {
      await shipper.close(1_000);
      follower.close();
    }
    expect((await loop.store.list()).items.map((c) => c.path)).toEqual(['/shipped']);

    const anonymous = createTapShipper({ server: loop.url, flushIntervalMs: 1 });
    anonymous.enqueue(capture('/anonymous'));
    expect(await anonymous.flush(5_000)).toBe(true); // a 401 is a rejection: dropped, not retried forever
    await anonymous.close(1_000);
    expect(await loop.store.count()).toBe(1);
  });

  it('loopctl sends --token as a bearer token', async () => {
    const loop = await start({}, { LOOP_READ_TOKEN: READ });
    await expect(createLoopClient({ server: loop.url }).json('GET', '/v1/captures')).rejects.toMatchObject({ code: 'UNAUTHORIZED', hint: expect.stringContaining('LOOP_TOKEN') });
    expect(await createLoopClient({ server: loop.url, token: READ }).json('GET', '/v1/captures')).toEqual({ items: [] });
  });

  it('refuses to listen off loopback without tokens, naming the flag to add; with a token it starts', async () => {
    let err: unknown;
    try {
      await start({ listen: '0.0.0.0:0' });
    } catch (e) {
      err = e;
    }
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as LoopError).message).toContain('--listen 0.0.0.0:0 is not a loopback address');
    expect((err as LoopError).hint).toContain('--tokens-file');

    const loop = await start({ listen: '0.0.0.0:0' }, { LOOP_ADMIN_TOKEN: ADMIN });
    const port = new URL(loop.url).port;
    expect((await fetch(`http://127.0.0.1:${port}/v1/captures`)).status).toBe(401);
  });
});

describe('HTTPS', () => {
  it('serves the API over TLS to a client that trusts the certificate, and names --ca-file to one that does not', async () => {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
    const loop = await start({ tlsCert: cert, tlsKey: key }, { LOOP_READ_TOKEN: READ });
    expect(loop.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const { readFile } = await import('node:fs/promises');
    const trusted = createLoopClient({ server: loop.url, token: READ, ca: await readFile(cert) });
    expect(await trusted.json('GET', '/v1/captures')).toEqual({ items: [] });

    const untrusted = createLoopClient({ server: loop.url, token: READ });
    await expect(untrusted.json('GET', '/v1/captures')).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE', hint: expect.stringContaining('--ca-file') });
  });

  it('refuses a key that is not the certificate\'s, and files swapped, naming the flag and file before anything starts', async () => {
    const make = async (name: string): Promise<{ cert: string; key: string }> => {
      const cert = path.join(dir, `${name}-cert.pem`);
      const key = path.join(dir, `${name}-key.pem`);
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`]);
      return { cert, key };
    };
    const [a, b] = await Promise.all([make('a'), make('b')]);
    // Was "error:05800074:x509 certificate routines::key values mismatch" once it listened, exit 1.
    await expect(start({ tlsCert: a.cert, tlsKey: b.key })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`--tls-key ${b.key} is not the private key of --tls-cert ${a.cert}`),
    });
    // Was "error:0480006C:PEM routines::no start line".
    await expect(start({ tlsCert: a.key, tlsKey: a.cert })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`--tls-cert ${a.key} is not a PEM certificate (chain)`),
    });
    await expect(start({ tlsCert: a.cert, tlsKey: a.cert })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`--tls-key ${a.cert} is not a PEM private key`),
    });
  });

  it('refuses --tls-cert without --tls-key', async () => {
    await expect(start({ tlsCert: path.join(dir, 'cert.pem') })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('--tls-cert is set without --tls-key') });
  });
});
