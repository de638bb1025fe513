import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { listen } from '../../core/listen.js';
import { createLoopClient, normalizeServer } from './loop-client.js';

describe('normalizeServer', () => {
  it.each([
    ['localhost:5678', 'http://localhost:5678'],
    [':5678', 'http://localhost:5678'],
    ['127.0.0.1', 'http://127.0.0.1'],
    ['http://loop:5678/', 'http://loop:5678'],
    ['HTTPS://loop.example/api/', 'HTTPS://loop.example/api'],
    ['http://[::1]:5678', 'http://[::1]:5678'],
  ])('%s → %s', (given, base) => {
    expect(normalizeServer(given)).toBe(base);
  });

  it.each([
    ['ftp://x', 'loop server "ftp://x" is not an http:// or https:// address (ftp:// is not supported)'],
    ['unix:///tmp/loop.sock', 'loop server "unix:///tmp/loop.sock" is not an http:// or https:// address (unix:// is not supported)'],
    ['http://', 'loop server "http://" is not a valid address'],
    ['', 'loop server "" is not a valid address'],
    ['loop server', 'loop server "loop server" is not a valid address'],
    ['ftp:x', 'loop server "ftp:x" is not a valid address'],
  ])('refuses %j', (given, message) => {
    expect(() => normalizeServer(given)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message, hint: expect.stringContaining('--server') as unknown }));
  });
});

// loopctl replay --timeout 5m gave up after loopctl's own 120 s with "cannot reach the loop server … start it
// with loop serve", while the server was up and went on to store the replay.
describe('a server that does not answer', () => {
  it('ends a request at the client limit, saying the server did not answer (not that it is down)', async () => {
    const server = await listen(http.createServer(() => undefined), { host: '127.0.0.1', port: 0 });
    try {
      const client = createLoopClient({ server: server.url, timeoutMs: 50 });
      await expect(client.json('GET', '/v1/captures?limit=1')).rejects.toMatchObject({
        code: 'SERVER_UNREACHABLE',
        message: `the loop server at ${server.url} did not answer GET /v1/captures within 50ms`,
        hint: expect.not.stringContaining('start it') as unknown,
      });
    } finally {
      await server.close();
    }
  });

  it('waits without a limit of its own for a request the server bounds (a replay)', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = await listen(
      http.createServer((req, res) => {
        // The replay is answered only once a request with the client's limit has run out of it.
        if (req.method === 'POST') void released.then(() => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}'));
      }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const client = createLoopClient({ server: server.url, timeoutMs: 50 });
      const replay = client.json('POST', '/v1/captures/1/replays', { destination: 'web.default:9090' }, { timeoutMs: Infinity });
      await expect(client.json('GET', '/v1/captures')).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
      release();
      await expect(replay).resolves.toEqual({ id: 1 });
    } finally {
      await server.close();
    }
  });
});

// loopctl import of a tap file over the server's --max-ingest-bytes said 'cannot reach the loop server …
// (EPIPE); hint: start it with loop serve': the server answers 413 and closes without reading the rest.
describe('a server that closes the connection during an upload', () => {
  it('says so, with the size sent and the limit that cuts bodies off, not that the server is down', async () => {
    const server = await listen(
      http.createServer((req) => {
        req.once('data', () => req.socket.destroy());
      }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const client = createLoopClient({ server: server.url });
      const body = Buffer.alloc(8 * 1024 * 1024, 'x');
      const err = await client.request('POST', '/v1/taps?source=file', { body, contentType: 'application/json' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        code: 'INGEST_TOO_LARGE',
        message: expect.stringMatching(new RegExp(`^the loop server at ${server.url} closed the connection while loopctl was sending 8388608 bytes \\(POST /v1/taps\\) \\((EPIPE|ECONNRESET|UND_ERR_SOCKET)\\)$`)) as unknown,
        hint: expect.stringContaining('--max-ingest-bytes') as unknown,
      });
      const tapConfigs = await client.request('POST', '/v1/tapconfigs', { body, contentType: 'application/yaml' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(tapConfigs).toMatchObject({ code: 'INGEST_TOO_LARGE', hint: expect.not.stringContaining('--max-ingest-bytes') as unknown });
    } finally {
      await server.close();
    }
  });
});
